// `npm run plan -- --base <ref>`: what a change does to each stack, without credentials. The
// base revision is checked out once per commit into .plan/base/<commit> (a git worktree sharing
// node_modules), built, and evaluated offline like the working tree; its evaluations are cached
// there. The change set (changes.ts) is printed as text or Markdown and written as JSON.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { type StackConfig, StackConfigError, resolveStackConfig } from "../config/config";
import { type Change, STATEFUL_TYPES, changeSet, shortValue } from "./changes";
import { estimateCost } from "./cost";
import { estimateRegion, minutes } from "./deploytime";
import { type Evaluation, evaluate } from "./offline";
import { resourcesByRegion, shortType } from "./resources";
import { logVolume } from "./render";
import { rawStackConfig, readStackConfig, stackFile } from "./stack-input";

const git = (cwd: string, ...args: string[]) =>
    execFileSync("git", args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).trim();

/** The base revision's checkout, built: created once per commit and kept for the next run. */
export function baseCheckout(root: string, ref: string): { commit: string; dir: string } {
    const commit = git(root, "rev-parse", "--verify", `${ref}^{commit}`);
    const dir = path.join(root, ".plan", "base", commit);
    if (!existsSync(path.join(dir, ".build", "index.js"))) {
        if (!existsSync(dir)) {
            mkdirSync(path.dirname(dir), { recursive: true });
            git(root, "worktree", "add", "--detach", "--force", dir, commit);
        }
        if (!existsSync(path.join(dir, "node_modules")))
            symlinkSync(path.join(root, "node_modules"), path.join(dir, "node_modules"), "dir");
        execFileSync("npm", ["run", "-s", "build"], { cwd: dir, stdio: ["ignore", "ignore", "inherit"] });
    }
    return { commit, dir };
}

/** The shape of a cached evaluation: raise it when RecordedResource changes. */
const EVALUATION_FORMAT = "v1";

/** One stack evaluated at the base revision, from the cache when it was evaluated before. */
async function evaluateBase(checkout: { dir: string }, stack: string): Promise<Evaluation> {
    // Keyed by what records them too: an evaluation recorded by another version of this file's
    // evaluator is not reused.
    const cached = path.join(checkout.dir, ".plan-evaluations", EVALUATION_FORMAT, `${stack}.json`);
    if (existsSync(cached)) return JSON.parse(readFileSync(cached, "utf8")) as Evaluation;
    const evaluation = await evaluate(path.join(checkout.dir, ".build", "index.js"), stack, readStackConfig(checkout.dir, stack));
    mkdirSync(path.dirname(cached), { recursive: true });
    writeFileSync(cached, JSON.stringify({ ...evaluation, outputs: {}, exports: {} }));
    return evaluation;
}

export interface StackPreview {
    readonly stack: string;
    readonly base: string;
    readonly changes: Change[];
    readonly cost: { readonly before: number; readonly after: number };
    /** First `pulumi up` of each region, in seconds, before and after. */
    readonly deploy: Readonly<Record<string, { readonly before?: number; readonly after: number }>>;
    readonly regionOf: Readonly<Record<string, string>>;
}

/** A planned stack: its configuration and what it registers. */
export interface Planned {
    readonly config: StackConfig;
    readonly evaluation: Evaluation;
}

function totals({ config, evaluation }: Planned, base = false) {
    const regions = resourcesByRegion(evaluation.resources);
    const deploy: Record<string, number> = {};
    for (const region of config.regions.filter((r) => regions.has(r.region))) {
        try {
            deploy[region.region] = estimateRegion(region.region, regions.get(region.region) ?? [], region.names.nodeGroups.system).total;
        } catch (error) {
            // A base recorded by an older program may lack what the estimate reads (the node
            // groups it times); its estimate is then unknown rather than the preview failing.
            if (!base) throw error;
        }
    }
    return { cost: estimateCost(regions, logVolume(config), config.karpenter.estimate).total, deploy, regions };
}

/**
 * The base revision's settings for its estimates, read by this revision's schema. A change that
 * makes the schema reject the old stack file (a new required chart version, a renamed setting)
 * takes the working tree's settings instead: the base is still evaluated by its own program, and
 * only the estimates' inputs (regions, node group names, log volume) come from the working tree.
 */
export function baseConfig(dir: string, stack: string, after: StackConfig): StackConfig {
    try {
        return resolveStackConfig(rawStackConfig(readStackConfig(dir, stack), stack));
    } catch (error) {
        if (error instanceof StackConfigError) return after;
        throw error;
    }
}

/** The change set of `stack` from `ref` to the working tree. */
export async function previewStack(root: string, ref: string, stack: string, after: Planned): Promise<StackPreview> {
    const checkout = baseCheckout(root, ref);
    const before = existsSync(stackFile(checkout.dir, stack))
        ? { config: baseConfig(checkout.dir, stack, after.config), evaluation: await evaluateBase(checkout, stack) }
        : undefined;
    const changes = changeSet(before?.evaluation.resources ?? [], after.evaluation.resources);
    const [b, a] = [before && totals(before, true), totals(after)];
    const regionOf: Record<string, string> = {};
    for (const regions of [b?.regions, a.regions])
        for (const [region, resources] of regions ?? []) for (const r of resources) regionOf[r.urn] = region;
    const deploy: Record<string, { before?: number; after: number }> = {};
    for (const region of Object.keys(a.deploy))
        deploy[region] = { before: b?.regions.has(region) ? b.deploy[region] : 0, after: a.deploy[region] };
    return { stack, base: checkout.commit, changes, cost: { before: b?.cost ?? 0, after: a.cost }, deploy, regionOf };
}

/** Where a chart's release notes are, for the charts whose repository publishes them. */
const RELEASE_NOTES: Partial<Record<string, (version: string) => string>> = {
    cilium: (v) => `https://github.com/cilium/cilium/releases/tag/v${v}`,
    karpenter: (v) => `https://github.com/aws/karpenter-provider-aws/releases/tag/v${v}`,
    "argo-cd": (v) => `https://github.com/argoproj/argo-helm/releases/tag/argo-cd-${v}`,
    kyverno: (v) => `https://github.com/kyverno/kyverno/releases/tag/kyverno-chart-${v}`,
    "kube-prometheus-stack": (v) => `https://github.com/prometheus-community/helm-charts/releases/tag/kube-prometheus-stack-${v}`,
    velero: (v) => `https://github.com/vmware-tanzu/helm-charts/releases/tag/velero-${v}`,
    "external-secrets": (v) => `https://github.com/external-secrets/external-secrets/releases/tag/helm-chart-${v}`,
    "cert-manager": (v) => `https://github.com/cert-manager/cert-manager/releases/tag/${v}`,
    loki: (v) => `https://github.com/grafana/loki/releases/tag/helm-loki-${v}`,
};

const label = (change: Change, regionOf: Readonly<Record<string, string>>) =>
    `${regionOf[change.urn] ?? "stack"}  ${shortType(change.type)} ${change.name}`;

function detailLines(change: Change): string[] {
    const version = change.values?.version;
    const notes =
        change.type === "kubernetes:helm.sh/v3:Release" && version && typeof version.to === "string"
            ? RELEASE_NOTES[change.chart ?? ""]
            : undefined;
    return [
        ...(version
            ? [
                  `chart version ${shortValue(version.from)} -> ${shortValue(version.to)}${notes ? `  (release notes: ${notes(version.to as string)})` : ""}`,
              ]
            : []),
        ...Object.entries(change.values ?? {})
            .filter(([p]) => p !== "version")
            .map(([p, v]) => `${p}: ${shortValue(v.from)} -> ${shortValue(v.to)}`),
        ...change.properties.filter((p) => !(p in (change.values ?? {}))).map((p) => `${p}: (known after the replacement)`),
    ];
}

/** The preview as text (or Markdown, for the pull-request comment). */
export function renderPreview(previews: readonly StackPreview[], format: "text" | "markdown"): string {
    const md = format === "markdown";
    const out: string[] = md ? ["### What this pull request changes", ""] : [];
    const destructiveOf = (p: StackPreview) =>
        p.changes.filter((c) => (c.action === "replace" || c.action === "delete") && STATEFUL_TYPES.has(c.type));
    // Stacks where something stateful is destroyed come first.
    for (const p of [...previews].sort((a, b) => destructiveOf(b).length - destructiveOf(a).length)) {
        const count = (action: string) => p.changes.filter((c) => c.action === action).length;
        const destructive = destructiveOf(p);
        const head = `${p.stack} (against ${p.base.slice(0, 12)}): ${count("create")} to create, ${count("update")} to update, ${count("replace")} to replace, ${count("delete")} to delete`;
        const body: string[] = [];
        if (p.changes.length === 0) body.push("no changes");
        if (destructive.length > 0)
            body.push(
                `DESTRUCTIVE: ${destructive.length} stateful resource(s) replaced or deleted`,
                ...destructive.map((c) => `  ${c.action.toUpperCase()} ${label(c, p.regionOf)}`),
            );
        for (const action of ["replace", "delete", "create", "update"] as const) {
            const group = p.changes.filter((c) => c.action === action);
            if (group.length === 0) continue;
            body.push(`${action.toUpperCase()} (${group.length})`);
            let component: string | undefined;
            for (const change of [...group].sort((a, b) => (a.component ?? "").localeCompare(b.component ?? ""))) {
                if (change.component !== component) {
                    component = change.component;
                    body.push(`  [${component ?? "stack"}]`);
                }
                body.push(
                    `    ${label(change, p.regionOf)}${change.replaceReasons ? `  forced by ${change.replaceReasons.join(", ")}` : ""}`,
                );
                if (action === "update" || action === "replace") body.push(...detailLines(change).map((line) => `        ${line}`));
            }
        }
        const delta = p.cost.after - p.cost.before;
        body.push(
            `monthly cost ${p.cost.before.toFixed(2)} -> ${p.cost.after.toFixed(2)} USD (${delta >= 0 ? "+" : ""}${delta.toFixed(2)})`,
        );
        for (const [region, d] of Object.entries(p.deploy))
            body.push(
                `first pulumi up ${region}: ${d.before === undefined ? "(not estimable at the base)" : minutes(d.before)} -> ${minutes(d.after)}`,
            );
        if (md)
            out.push(
                `<details${destructive.length > 0 ? " open" : ""}><summary>${destructive.length > 0 ? "⚠️ " : ""}${head}</summary>`,
                "",
                "```text",
                ...body,
                "```",
                "</details>",
                "",
            );
        else out.push(`== ${head}`, ...body.map((line) => `  ${line}`), "");
    }
    return out.join("\n");
}

/** The machine-readable change set, as `.plan/<stack>.changes.json` holds it. */
export function changesJson(p: StackPreview) {
    return {
        stack: p.stack,
        base: p.base,
        changes: p.changes.map(({ urn, type, name, action, properties, replaceReasons }) => ({
            urn,
            type,
            name,
            action,
            properties,
            ...(replaceReasons ? { replaceReasons } : {}),
        })),
        cost: p.cost,
    };
}
