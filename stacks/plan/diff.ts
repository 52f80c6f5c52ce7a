// The difference between two stacks, as a reviewer wants it: every setting that differs once
// defaults are applied, grouped by where it applies (every region, or one region) and by the
// component it configures, leaving out values that differ only by the environment's name, an
// AWS account ID or a region code (`staging/grafana/admin` against `prod/grafana/admin`). Then the
// resources each region gains or loses, and the cost delta.
import { REGIONS } from "../config/catalog";
import type { StackConfig } from "../config/config";
import { type CostEstimate } from "./cost";
import { type RecordedResource, shortType } from "./resources";
import type { Settings } from "../config/schema";
import { formatPath } from "../config/problems";

/** The component each top-level setting configures. */
const COMPONENT_OF: Readonly<Record<keyof Settings, string>> = {
    environment: "naming",
    owner: "tags",
    name: "naming",
    protect: "protection",
    tags: "tags",
    versions: "version lock",
    cluster: "Cluster",
    network: "Network",
    nodeGroups: "NodeGroups",
    karpenter: "Karpenter",
    highAvailability: "add-ons (replicas, disruption budgets)",
    secrets: "ExternalSecrets",
    gitops: "ArgoCD",
    policies: "Kyverno",
    monitoring: "Monitoring",
    backups: "Backups",
    promotion: "delivery",
    pipeline: "Runner",
    teams: "Teams",
    ingress: "Ingress",
    logging: "Logging",
    helmValues: "Helm releases (values overrides)",
    regions: "Network",
};

/** What each per-region setting configures. */
const REGION_COMPONENT: Readonly<Record<string, string>> = {
    ciliumClusterId: "Cilium",
    clusterName: "Cluster",
};

export interface Difference {
    /** "every region", or a region code. */
    readonly scope: string;
    readonly component: string;
    readonly path: string;
    readonly from: unknown;
    readonly to: unknown;
}

export interface SettingsDiff {
    readonly differences: readonly Difference[];
    /** Regions only one of the two stacks has, with the stack that has it ("from" or "to"). */
    readonly onlyIn: ReadonlyMap<string, "from" | "to">;
    /** How many values differ only by environment name, account ID or region. */
    readonly substitutions: number;
}

const isObject = (value: unknown): value is Record<string, unknown> => value !== null && typeof value === "object" && !Array.isArray(value);

/** Leaf values by path; arrays are leaves (compared whole). */
function leaves(value: unknown, path: PropertyKey[], out: Map<string, unknown>): Map<string, unknown> {
    if (isObject(value)) {
        for (const [key, item] of Object.entries(value)) leaves(item, [...path, key], out);
    } else if (value !== undefined) out.set(formatPath(path), value);
    return out;
}

const REGION_CODE = new RegExp(`\\b(${Object.keys(REGIONS).join("|")})\\b`, "g");

/** The value with the stack's own identity taken out: environment name, account IDs, region codes. */
function normalised(value: unknown, environment: string): string {
    return JSON.stringify(value)
        .replace(new RegExp(`\\b${environment}\\b`, "g"), "{environment}")
        .replace(/\b\d{12}\b/g, "{account}")
        .replace(REGION_CODE, "{region}");
}

/** Every setting that differs between two stacks, defaults applied, substitutions left out. */
export function settingsDiff(from: StackConfig, to: StackConfig): SettingsDiff {
    const differences: Difference[] = [];
    let substitutions = 0;
    const compare = (scope: string, component: (path: string) => string, a: Map<string, unknown>, b: Map<string, unknown>) => {
        for (const path of [...new Set([...a.keys(), ...b.keys()])]) {
            const [x, y] = [a.get(path), b.get(path)];
            if (JSON.stringify(x) === JSON.stringify(y)) continue;
            if (x !== undefined && y !== undefined && normalised(x, from.environment) === normalised(y, to.environment)) {
                substitutions++;
                continue;
            }
            differences.push({ scope, component: component(path), path, from: x, to: y });
        }
    };

    const { regions: regionsA, ...restA } = from.settings;
    const { regions: regionsB, ...restB } = to.settings;
    compare(
        "every region",
        (path) => COMPONENT_OF[path.split(/[.[]/)[0] as keyof Settings] ?? "stack",
        leaves(restA, [], new Map()),
        leaves(restB, [], new Map()),
    );

    // Regions are matched by code, which is their key rather than a setting.
    const byRegion = (regions: Settings["regions"]) => new Map(regions.map(({ region, ...rest }) => [region, leaves(rest, [], new Map())]));
    const [a, b] = [byRegion(regionsA), byRegion(regionsB)];
    const onlyIn = new Map<string, "from" | "to">();
    for (const region of [...new Set([...a.keys(), ...b.keys()])]) {
        if (!a.has(region) || !b.has(region)) onlyIn.set(region, a.has(region) ? "from" : "to");
        compare(
            region,
            (path) => REGION_COMPONENT[path.split(/[.[]/)[0]] ?? "Network",
            a.get(region) ?? new Map(),
            b.get(region) ?? new Map(),
        );
    }
    return { differences, onlyIn, substitutions };
}

/** Per region, the resource types whose counts differ between the two plans. */
export function resourceDiff(
    from: ReadonlyMap<string, readonly RecordedResource[]>,
    to: ReadonlyMap<string, readonly RecordedResource[]>,
): Array<{ region: string; changes: string[] }> {
    const count = (resources: readonly RecordedResource[] | undefined) =>
        (resources ?? []).reduce((acc, r) => acc.set(shortType(r.type), (acc.get(shortType(r.type)) ?? 0) + 1), new Map<string, number>());
    return [...new Set([...from.keys(), ...to.keys()])]
        .map((region) => {
            const [a, b] = [count(from.get(region)), count(to.get(region))];
            const changes = [...new Set([...a.keys(), ...b.keys()])]
                .sort()
                .filter((type) => (a.get(type) ?? 0) !== (b.get(type) ?? 0))
                .map((type) => `${type} ${a.get(type) ?? 0} -> ${b.get(type) ?? 0}`);
            return { region, changes };
        })
        .filter((entry) => entry.changes.length > 0);
}

const show = (value: unknown): string => (value === undefined ? "(none)" : typeof value === "string" ? value : JSON.stringify(value));
const money = (n: number) => `$${n.toFixed(2)}`;
const signed = (n: number) => `${n >= 0 ? "+" : "-"}${money(Math.abs(n))}`;

export function renderDiff(
    names: { from: string; to: string },
    settings: SettingsDiff,
    resources: ReturnType<typeof resourceDiff>,
    cost: { from: CostEstimate; to: CostEstimate },
): string {
    const lines = [
        `== diff ${names.from} -> ${names.to}: ${settings.differences.length} setting(s) differ (defaults applied; ${settings.substitutions} value(s) differing only by environment name, account or region not shown)`,
    ];
    const scopes = [...new Set(settings.differences.map((d) => d.scope))];
    for (const scope of scopes) {
        const rows = settings.differences.filter((d) => d.scope === scope).sort((x, y) => x.component.localeCompare(y.component));
        const [c, p] = [Math.max(...rows.map((r) => r.component.length)), Math.max(...rows.map((r) => r.path.length))];
        const only = settings.onlyIn.get(scope);
        lines.push(
            scope === "every region"
                ? "every region"
                : `region ${scope}${only ? ` (${only === "from" ? names.from : names.to} only)` : ""}`,
        );
        for (const row of rows) lines.push(`  ${row.component.padEnd(c)}  ${row.path.padEnd(p)}  ${show(row.from)} -> ${show(row.to)}`);
    }
    if (resources.length > 0) {
        lines.push("resources whose count differs, per region");
        for (const { region, changes } of resources) {
            const only = settings.onlyIn.get(region);
            lines.push(
                only
                    ? `  ${region}: the whole region (${only === "from" ? names.from : names.to} only)`
                    : `  ${region}: ${changes.join(", ")}`,
            );
        }
    }
    lines.push(
        "monthly cost (estimate)",
        `  ${money(cost.from.total)} -> ${money(cost.to.total)} (${signed(cost.to.total - cost.from.total)}); all on-demand ${money(cost.from.allOnDemand)} -> ${money(cost.to.allOnDemand)} (${signed(cost.to.allOnDemand - cost.from.allOnDemand)})`,
    );
    return lines.join("\n");
}
