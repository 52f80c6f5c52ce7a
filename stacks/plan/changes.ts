// What a change does to a stack, reasoned as the engine does, from two offline evaluations: the
// resources created, deleted, updated in place and replaced, each with the input paths that
// changed; a replacement's outputs become unknown, so every resource whose inputs carry them is
// updated, or replaced in turn when such an input forces it. Pure: tests build the records.
import type { RecordedResource } from "./resources";
import { forcingPaths, replacementRule } from "./replacement";

export type Action = "create" | "update" | "replace" | "delete";

export interface Change {
    readonly urn: string;
    readonly type: string;
    readonly name: string;
    readonly action: Action;
    /** Input paths that changed (or, downstream of a replacement, that become unknown). */
    readonly properties: string[];
    /** Why a replacement happens: the forcing paths, or the replaced resource an input comes from. */
    readonly replaceReasons?: string[];
    /** The component the resource belongs to (its parent), e.g. "platform:addons:Karpenter us-east-1-karpenter". */
    readonly component?: string;
    /** The chart of a Helm release. */
    readonly chart?: string;
    /** Old and new values of the changed paths, secrets masked. */
    readonly values?: Record<string, { readonly from: unknown; readonly to: unknown }>;
}

/** Resource types whose replacement destroys data or running capacity. */
export const STATEFUL_TYPES: ReadonlySet<string> = new Set([
    "eks:index:Cluster",
    "aws:eks/nodeGroup:NodeGroup",
    "aws:ec2/vpc:Vpc",
    "aws:ec2/subnet:Subnet",
    "aws:kms/key:Key",
    "aws:s3/bucket:Bucket",
    "aws:cloudwatch/logGroup:LogGroup",
]);

const SECRET_KEY = /(password|secret|token|private[-_]?key|credentials|kubeconfig)/i;
export const MASK = "[secret]";

const isObject = (value: unknown): value is Record<string, unknown> => value !== null && typeof value === "object" && !Array.isArray(value);

/** A JSON document held as a string (IAM policies): compared by structure, not text. */
function asDocument(value: unknown): unknown {
    if (typeof value !== "string" || !/^\s*[[{]/.test(value)) return value;
    try {
        return JSON.parse(value);
    } catch {
        return value;
    }
}

/** The leaf paths where `a` and `b` differ, with their values; secrets masked. */
export function diffInputs(a: unknown, b: unknown, path = "", out: Record<string, { from: unknown; to: unknown }> = {}) {
    const [x, y] = [asDocument(a), asDocument(b)];
    if (JSON.stringify(x) === JSON.stringify(y)) return out;
    const secret = SECRET_KEY.test(path.split(".").pop() ?? "");
    if (isObject(x) && isObject(y) && !secret) {
        for (const key of new Set([...Object.keys(x), ...Object.keys(y)]))
            diffInputs(x[key], y[key], path === "" ? key : `${path}.${key}`, out);
        return out;
    }
    if (Array.isArray(x) && Array.isArray(y) && x.length === y.length && !secret) {
        x.forEach((item, i) => diffInputs(item, y[i], `${path}[${i}]`, out));
        return out;
    }
    out[path] = secret ? { from: MASK, to: MASK } : { from: x, to: y };
    return out;
}

/**
 * The values a resource's dependents would see change if it were replaced: its ID and ARN
 * anywhere in a value (a policy document, a kubeconfig), and its name as a whole value.
 */
const outputsOf = (resource: RecordedResource) => ({
    within: [resource.outputs?.id, resource.outputs?.arn].filter((v): v is string => typeof v === "string" && v.length > 4),
    whole: typeof resource.inputs.name === "string" ? [resource.inputs.name] : [],
});

/** Input paths of a resource whose values carry any of `tokens`. */
function pathsCarrying(value: unknown, tokens: ReturnType<typeof outputsOf>, path = ""): string[] {
    if (typeof value === "string") return tokens.whole.includes(value) || tokens.within.some((t) => value.includes(t)) ? [path] : [];
    if (Array.isArray(value)) return value.flatMap((item, i) => pathsCarrying(item, tokens, `${path}[${i}]`));
    if (isObject(value)) return Object.entries(value).flatMap(([k, v]) => pathsCarrying(v, tokens, path === "" ? k : `${path}.${k}`));
    return [];
}

/** The change set between two evaluations of a stack. */
export function changeSet(before: readonly RecordedResource[], after: readonly RecordedResource[]): Change[] {
    const old = new Map(before.map((r) => [r.urn, r]));
    const all = new Map([...before, ...after].map((r) => [r.urn, r]));
    // The component a resource belongs to: its parent, unless that is the stack itself.
    const componentOf = (resource: RecordedResource): { component?: string } => {
        const parent = all.get(resource.parent);
        return parent && parent.type !== "pulumi:pulumi:Stack" ? { component: `${parent.type} ${parent.name}` } : {};
    };
    const now = after.filter((r) => r.custom || r.remote || r.type.startsWith("pulumi:providers:"));
    const changes = new Map<string, Change>();
    for (const resource of now) {
        const previous = old.get(resource.urn);
        const identity = { urn: resource.urn, type: resource.type, name: resource.name, ...componentOf(resource) };
        if (!previous) {
            changes.set(resource.urn, { ...identity, action: "create", properties: [] });
            continue;
        }
        const values = diffInputs(previous.inputs, resource.inputs);
        const properties = Object.keys(values);
        if (properties.length === 0) continue;
        const forcing = forcingPaths(replacementRule(resource.type), properties);
        changes.set(resource.urn, {
            ...identity,
            ...(typeof resource.inputs.chart === "string" ? { chart: resource.inputs.chart } : {}),
            action: forcing.length > 0 ? "replace" : "update",
            properties,
            ...(forcing.length > 0 ? { replaceReasons: forcing } : {}),
            values,
        });
    }
    const kept = new Set(now.map((r) => r.urn));
    for (const resource of before.filter((r) => (r.custom || r.remote) && !kept.has(r.urn)))
        changes.set(resource.urn, {
            urn: resource.urn,
            type: resource.type,
            name: resource.name,
            ...componentOf(resource),
            action: "delete",
            properties: [],
        });

    // Replacements ripple: until nothing more changes, every resource that takes a replaced
    // resource's ID or ARN, or runs through a replaced provider, follows it.
    const byUrn = new Map(now.map((r) => [r.urn, r]));
    let rippled = true;
    while (rippled) {
        rippled = false;
        for (const resource of now) {
            const current = changes.get(resource.urn);
            if (current?.action === "replace" || current?.action === "create") continue;
            const reasons: string[] = [];
            const unknown: string[] = [];
            const provider = resource.provider ? resource.provider.slice(0, resource.provider.lastIndexOf("::")) : "";
            if (provider && changes.get(provider)?.action === "replace")
                reasons.push(`provider ${byUrn.get(provider)?.name ?? provider} is replaced`);
            // A provider configured from a replaced resource points at a new target: pulumi-kubernetes'
            // DiffConfig replaces the provider when its kubeconfig is unknown at preview, as a
            // replaced cluster's is, and a replaced provider replaces every resource it serves.
            if (resource.type.startsWith("pulumi:providers:"))
                for (const dependency of resource.dependencies)
                    if (changes.get(dependency)?.action === "replace")
                        reasons.push(`${byUrn.get(dependency)?.name ?? dependency} is replaced`);
            for (const dependency of resource.dependencies) {
                const upstream = changes.get(dependency);
                const source = byUrn.get(dependency);
                if (upstream?.action !== "replace" || !source) continue;
                const paths = pathsCarrying(resource.inputs, outputsOf(source));
                unknown.push(...paths);
                reasons.push(...forcingPaths(replacementRule(resource.type), paths).map((p) => `${p} (from ${source.name}, replaced)`));
            }
            if (reasons.length === 0 && unknown.length === 0) continue;
            const properties = [...new Set([...(current?.properties ?? []), ...unknown])];
            const action: Action = reasons.length > 0 ? "replace" : "update";
            if (current && current.action === action && properties.length === current.properties.length) continue;
            changes.set(resource.urn, {
                urn: resource.urn,
                type: resource.type,
                name: resource.name,
                ...componentOf(resource),
                action,
                properties,
                ...(action === "replace" ? { replaceReasons: [...(current?.replaceReasons ?? []), ...reasons] } : {}),
                ...(current?.values ? { values: current.values } : {}),
            });
            rippled = true;
        }
    }
    const order: Record<Action, number> = { replace: 0, delete: 1, create: 2, update: 3 };
    return [...changes.values()].sort((a, b) => order[a.action] - order[b.action] || a.urn.localeCompare(b.urn));
}

/** A value as a line of the preview: short, one line. */
export function shortValue(value: unknown, width = 60): string {
    const text = value === undefined ? "(none)" : typeof value === "string" ? value : JSON.stringify(value);
    return text.length > width ? `${text.slice(0, width - 1)}…` : text;
}
