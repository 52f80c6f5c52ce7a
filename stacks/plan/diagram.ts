// A Mermaid diagram of a stack, drawn from its plan: per region the components, the cluster, the
// node groups and Karpenter's pools, with an arrow from each to what waits for it (the resource
// dependency graph folded onto components, without arrows implied by others); and the copies of
// backups between regions.
import type { StackConfig } from "../config/config";
import type { Evaluation } from "./offline";
import type { RecordedResource } from "./resources";
import { childrenByParent, resourcesByRegion, waitsFor } from "./resources";

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- recorded inputs are free-form JSON
type Inputs = Record<string, any>;
const inputs = (r: RecordedResource) => r.inputs as Inputs;

interface Box {
    readonly id: string;
    readonly label: string;
    readonly shape: "box" | "round";
    /** The resources the box stands for. */
    readonly urns: ReadonlySet<string>;
}

const idOf = (text: string) => text.replace(/[^A-Za-z0-9]+/g, "_");
const quote = (text: string) => text.replace(/"/g, "#quot;");

/**
 * What a component box says beyond its type: the charts of its Helm releases, if any. Versions stay
 * out of the diagram (the plan's version lock lists them), so that a version bump changes only the
 * stack file.
 */
function detail(resources: readonly RecordedResource[]): string {
    const charts = [
        ...new Set(
            resources.filter((r) => r.type === "kubernetes:helm.sh/v3:Release").map((r) => String(inputs(r).chart).split("/").pop()),
        ),
    ];
    return charts.length > 0 ? `<br/>${charts.join("<br/>")}` : "";
}

function boxes(region: string, platform: string, resources: readonly RecordedResource[]): Box[] {
    const byParent = childrenByParent(resources);
    const within = (urn: string): RecordedResource[] => (byParent.get(urn) ?? []).flatMap((child) => [child, ...within(child.urn)]);
    const result: Box[] = [];
    for (const component of byParent.get(platform) ?? []) {
        if (component.custom) continue;
        const inside = within(component.urn);
        const type = component.type.split(":").pop() as string;
        const eks = inside.find((r) => r.type === "eks:index:Cluster");
        const groups = inside.filter((r) => r.type === "aws:eks/nodeGroup:NodeGroup");
        const pools = inside.filter((r) => r.type === "kubernetes:karpenter.sh/v1:NodePool");
        if (eks) {
            result.push({
                id: idOf(`${region}_${type}`),
                label: `EKS ${inputs(eks).name}`,
                shape: "box",
                urns: new Set(inside.map((r) => r.urn)),
            });
        } else if (groups.length > 0 || pools.length > 0) {
            // Node groups and pools get a box each; their launch templates, role and node classes none.
            for (const group of groups) {
                const { nodeGroupName, scalingConfig, instanceTypes } = inputs(group);
                result.push({
                    id: idOf(`${region}_${nodeGroupName}`),
                    label: `node group ${String(nodeGroupName).split("-").pop()}<br/>${scalingConfig.desiredSize} x ${instanceTypes[0]}`,
                    shape: "box",
                    urns: new Set([group.urn]),
                });
            }
            for (const pool of pools) {
                const capacity = (inputs(pool).spec.template.spec.requirements as Inputs[])
                    .find((q) => q.key === "karpenter.sh/capacity-type")
                    ?.values.join(",");
                result.push({
                    id: idOf(`${region}_pool_${inputs(pool).metadata.name}`),
                    label: `pool ${inputs(pool).metadata.name}<br/>${capacity}`,
                    shape: "round",
                    urns: new Set([pool.urn]),
                });
            }
        } else {
            result.push({
                id: idOf(`${region}_${type}`),
                label: `${type}${detail(inside)}`,
                shape: "box",
                urns: new Set([component.urn, ...inside.map((r) => r.urn)]),
            });
        }
    }
    return result;
}

/**
 * Arrows between boxes: one where a resource of the second waits, directly or through resources
 * without a box, for one of the first; then only those no longer path implies.
 */
function arrows(list: readonly Box[], resources: readonly RecordedResource[]): Array<[string, string]> {
    const boxOf = new Map<string, string>();
    for (const box of list) for (const urn of box.urns) boxOf.set(urn, box.id);
    const byUrn = new Map(resources.map((r) => [r.urn, r]));
    const edges = new Map<string, Set<string>>(list.map((box) => [box.id, new Set<string>()]));
    for (const r of resources) {
        const to = boxOf.get(r.urn);
        if (!to) continue;
        const seen = new Set<string>();
        const pending = [...waitsFor(r)];
        while (pending.length > 0) {
            const dep = pending.pop() as string;
            if (seen.has(dep)) continue;
            seen.add(dep);
            const from = boxOf.get(dep);
            if (from === undefined) pending.push(...(byUrn.has(dep) ? waitsFor(byUrn.get(dep) as RecordedResource) : []));
            else if (from !== to) edges.get(from)?.add(to);
        }
    }
    const reaches = (from: string, to: string): boolean => {
        const seen = new Set<string>();
        const pending = [...(edges.get(from) ?? [])].filter((next) => next !== to);
        while (pending.length > 0) {
            const next = pending.pop() as string;
            if (next === to) return true;
            if (seen.has(next)) continue;
            seen.add(next);
            pending.push(...(edges.get(next) ?? []));
        }
        return false;
    };
    const kept: Array<[string, string]> = [];
    for (const [from, targets] of edges) for (const to of targets) if (!reaches(from, to)) kept.push([from, to]);
    return kept;
}

/** The stack as a Mermaid flowchart, in a Markdown file that GitHub renders. */
export function renderDiagram(config: StackConfig, evaluation: Evaluation): string {
    const regions = resourcesByRegion(evaluation.resources);
    const lines = ["flowchart LR"];
    for (const region of config.regions) {
        const resources = regions.get(region.region) ?? [];
        const platform = evaluation.resources.find((r) => r.type === "platform:index:Platform" && r.name === region.region);
        const list = platform ? boxes(region.region, platform.urn, resources) : [];
        lines.push(`    subgraph ${idOf(region.region)}["${region.region}: ${region.names.cluster}"]`);
        for (const box of list)
            lines.push(`        ${box.id}${box.shape === "round" ? `(["${quote(box.label)}"])` : `["${quote(box.label)}"]`}`);
        for (const [from, to] of arrows(list, resources)) lines.push(`        ${from} --> ${to}`);
        lines.push("    end");
    }
    const bucketRegion = new Map(
        evaluation.resources.filter((r) => r.type === "aws:s3/bucket:Bucket").map((r) => [String(inputs(r).bucket), r]),
    );
    for (const replication of evaluation.resources.filter((r) => r.type === "aws:s3/bucketReplicationConfig:BucketReplicationConfig")) {
        const source = [...regions].find(([, resources]) =>
            resources.includes(bucketRegion.get(String(inputs(replication).bucket)) as RecordedResource),
        )?.[0];
        const target = String(inputs(replication).rules[0].destination.bucket).split(":::")[1];
        const destination = [...regions].find(([, resources]) => resources.includes(bucketRegion.get(target) as RecordedResource))?.[0];
        if (source && destination) lines.push(`    ${idOf(`${source}_Backups`)} -. backups copied .-> ${idOf(`${destination}_Backups`)}`);
    }
    return [
        `# Stack ${config.stack}`,
        "",
        `Generated by \`npm run plan -- --diagram\` from the offline plan of \`Pulumi.${config.stack}.yaml\`; a test keeps it current.`,
        "An arrow points from a component to what waits for it; a rounded box is a Karpenter pool.",
        "",
        "```mermaid",
        ...lines,
        "```",
        "",
    ].join("\n");
}
