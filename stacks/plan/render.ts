// Renders one stack's plan: the component tree per region with resource counts by type, the
// version lock, the summary, and the cost and first-deploy estimates.
import { CHARTS } from "../config/catalog";
import { type LogVolume, estimateCost, renderCost } from "./cost";
import { estimateRegion, renderEstimate } from "./deploytime";
import type { StackConfig } from "../config/config";
import type { Evaluation } from "./offline";
import { type RecordedResource, resourcesByRegion, shortType } from "./resources";
import {
    backupLines,
    countBy,
    gitopsLines,
    ingressLines,
    loggingLines,
    monitoringLines,
    notable,
    policyLines,
    poolLines,
    teamLines,
} from "./summary";

interface Tree {
    resource: RecordedResource;
    children: Tree[];
}

function buildTree(resources: readonly RecordedResource[]): Map<string, Tree> {
    const nodes = new Map(resources.map((resource) => [resource.urn, { resource, children: [] as Tree[] }]));
    for (const node of nodes.values()) nodes.get(node.resource.parent)?.children.push(node);
    return nodes;
}

const descendants = (node: Tree): RecordedResource[] => node.children.flatMap((child) => [child.resource, ...descendants(child)]);

/** Components in the order their type first appears (creation order), same-type ones by name. */
function ordered(children: readonly Tree[]): Tree[] {
    const firstOfType = new Map<string, number>();
    children.forEach((child, i) => firstOfType.has(child.resource.type) || firstOfType.set(child.resource.type, i));
    return [...children].sort(
        (a, b) =>
            (firstOfType.get(a.resource.type) as number) - (firstOfType.get(b.resource.type) as number) ||
            a.resource.name.localeCompare(b.resource.name),
    );
}

function renderComponent(node: Tree, indent: string, lines: string[]): void {
    const own = node.children.filter((child) => child.children.length === 0 && child.resource.custom);
    const components = ordered(node.children.filter((child) => !child.resource.custom || child.children.length > 0));
    const label = `${shortType(node.resource.type)} ${node.resource.name}`;
    // @pulumi/eks components are remote: their children are created by the eks provider at deploy time.
    const content = node.resource.type.startsWith("eks:")
        ? "(@pulumi/eks component)"
        : countBy(own.map((child) => shortType(child.resource.type)));
    lines.push(`${indent}${label.padEnd(Math.max(48 - indent.length, label.length + 1))} ${content}`.trimEnd());
    for (const child of components) renderComponent(child, `${indent}  `, lines);
}

function versionLines(config: StackConfig): string[] {
    const v = config.versions;
    const rows: Array<[string, string]> = [
        ["kubernetes", v.kubernetes],
        ["node AMI release", v.nodeAmiRelease],
        ...Object.entries(v.charts).map(([chart, version]): [string, string] => [
            `chart ${chart}`,
            `${version}  (${CHARTS[chart as keyof typeof CHARTS].charts.map((c) => `${CHARTS[chart as keyof typeof CHARTS].repository}/${c}`).join(", ")})`,
        ]),
        ...Object.entries(v.addons).map(([addon, version]): [string, string] => [`add-on ${addon}`, version]),
        ...Object.entries(v.images).map(([use, image]): [string, string] => [`image ${use}`, image]),
    ];
    const width = Math.max(...rows.map(([label]) => label.length)) + 2;
    return rows.map(([label, value]) => `  ${label.padEnd(width)}${value}`);
}
/** Each Helm values override of the stack file: the chart and every value it sets, by path. */
export function overrideLines(config: StackConfig): string[] {
    const leaves = (value: unknown, path: string): string[] =>
        value !== null && typeof value === "object" && !Array.isArray(value) && Object.keys(value).length > 0
            ? Object.entries(value).flatMap(([key, child]) => leaves(child, path ? `${path}.${key}` : key))
            : [`${path} = ${value === null ? "null (removes the platform's value)" : JSON.stringify(value)}`];
    return Object.entries(config.helmValues).flatMap(([chart, values]) => leaves(values ?? {}, "").map((line) => `  ${chart}: ${line}`));
}

/** The log volume the cost estimate prices: the stack file's ingest rate at the default tier's days. */
export function logVolume(config: StackConfig): LogVolume {
    const tier = config.logging.tiers[config.logging.defaultTier];
    return { ingestGiBPerDay: config.logging.ingestGiBPerDay, searchDays: tier.searchDays, archiveDays: tier.archiveDays };
}

export function renderPlan(config: StackConfig, evaluation: Evaluation, millis: number): string {
    const tree = buildTree(evaluation.resources);
    const lines = [
        `== stack ${config.stack}: ${config.regions.length} region(s), ${evaluation.resources.length} resources (evaluated offline in ${(millis / 1000).toFixed(1)} s)`,
        "version lock",
        ...versionLines(config),
    ];
    const overrides = overrideLines(config);
    if (overrides.length > 0) lines.push("helm values overrides (merged over the platform's values in every cluster)", ...overrides);
    for (const region of config.regions) {
        const platform = [...tree.values()].find(
            (node) => node.resource.type === "platform:index:Platform" && node.resource.name === region.region,
        );
        if (!platform) continue;
        const inRegion = descendants(platform);
        lines.push(`region ${region.region}: cluster ${region.names.cluster}, ${inRegion.length + 1} resources`);
        renderComponent(platform, "  ", lines);
        const sections = [
            ["Karpenter pools", poolLines(inRegion)],
            ["admission policies", policyLines(inRegion)],
            ["ingress", ingressLines(inRegion)],
            ["GitOps", gitopsLines(inRegion)],
            ["monitoring", monitoringLines(inRegion)],
            ["logging", loggingLines(inRegion)],
            ["backups", backupLines(config, inRegion, evaluation.resources)],
            ["teams", teamLines(config)],
            ["first pulumi up (estimate)", renderEstimate(estimateRegion(region.region, inRegion, region.names.nodeGroups.system))],
        ] as const;
        for (const [title, section] of sections) {
            if (section.length > 0) lines.push(`  ${title}`, ...section.map((line) => `    ${line}`));
        }
    }
    const cost = estimateCost(resourcesByRegion(evaluation.resources), logVolume(config), config.karpenter.estimate);
    lines.push("monthly cost (estimate)", ...renderCost(cost).map((line) => `  ${line}`));
    lines.push("notable", ...notable(config, evaluation.resources).map((line) => `  ${line}`));
    return lines.join("\n");
}
