// The nodes: managed node groups by role, and Karpenter's node classes and pools.
import { z } from "zod";
import { GPU_CATEGORIES, GPU_TAINT, INSTANCE_CATEGORIES, INSTANCE_SIZES, type InstanceCategory } from "../catalog";
import { described, instanceType, labelKey, labelValue, size, taint } from "./common";

export const nodeGroup = (defaults: { instanceTypes: string[]; minSize: number; desiredSize: number; maxSize: number }) =>
    z.strictObject({
        instanceTypes: described(
            z.array(instanceType).min(1).max(20).default(defaults.instanceTypes),
            "EC2 instance types, all of one architecture",
        ),
        architecture: described(z.enum(["x86_64", "arm64"]).default("x86_64"), "CPU architecture; selects the AL2023 AMI type"),
        capacityType: described(z.enum(["ON_DEMAND", "SPOT"]).default("ON_DEMAND"), "ON_DEMAND or SPOT (system must be ON_DEMAND)"),
        minSize: described(size.default(defaults.minSize), "Minimum node count"),
        desiredSize: described(
            size.default(defaults.desiredSize),
            "Node count at creation; later changes (by a person, within min..max) are never reverted",
        ),
        maxSize: described(size.default(defaults.maxSize), "Maximum node count"),
        diskSizeGiB: described(z.number().int().min(20).max(16384).default(50), "Encrypted gp3 root volume size in GiB"),
        maxUnavailablePercentage: described(
            z.number().int().min(1).max(100).default(33),
            "Share of the group's nodes an update (new AMI release, launch template) replaces at once",
        ),
        labels: described(z.record(labelKey, labelValue).default({}), "Extra Kubernetes node labels"),
        taints: described(z.array(taint).default([]), "Extra taints, added to the platform's own"),
    });
export type NodeGroupSettings = z.output<ReturnType<typeof nodeGroup>>;

/** Karpenter durations: hours, minutes, seconds (Go syntax without days), e.g. "720h" or "1h30m". */
export const duration = z.string().regex(/^([0-9]+(s|m|h))+$/, 'must be a duration in hours, minutes or seconds such as "720h" (no days)');
const expiry = z.string().regex(/^(([0-9]+(s|m|h))+|Never)$/, 'must be a duration such as "720h" (no days) or "Never"');

const nodeClass = z.strictObject({
    os: described(z.enum(["al2023", "bottlerocket"]).default("al2023"), "Node OS; the AMI release comes from the version lock"),
    diskSizeGiB: described(
        z.number().int().min(20).max(16384).default(100),
        "Encrypted gp3 volume size in GiB (Bottlerocket: the data volume)",
    ),
});
export type NodeClassSettings = z.output<typeof nodeClass>;

const k8sTaint = z.strictObject({
    key: described(labelKey, "Taint key"),
    value: described(labelValue.optional(), "Taint value"),
    effect: described(z.enum(["NoSchedule", "NoExecute", "PreferNoSchedule"]), "Taint effect"),
});

const pool = z.strictObject({
    nodeClass: described(z.string().default("default"), "Name of the node class (karpenter.nodeClasses) the pool launches"),
    capacityType: described(z.enum(["spot", "on-demand"]), "spot or on-demand"),
    categories: described(
        z
            .array(z.enum(Object.keys(INSTANCE_CATEGORIES) as [InstanceCategory, ...InstanceCategory[]]))
            .min(1)
            .default(["c", "m", "r"]),
        `Instance categories: ${Object.entries(INSTANCE_CATEGORIES)
            .map(([category, { purpose }]) => `${category} ${purpose}`)
            .join(
                ", ",
            )}. g and p make a GPU pool: NVIDIA only, tainted ${GPU_TAINT.key}=${GPU_TAINT.value}:${GPU_TAINT.effect}, served by the NVIDIA device plugin`,
    ),
    families: described(
        z
            .array(z.string().regex(/^[a-z][a-z0-9-]*$/, "not an instance family such as m7i"))
            .min(1)
            .optional(),
        "Only these instance families; default: every family of the categories",
    ),
    minFamilies: described(
        z.number().int().min(1).default(4),
        "Fewest instance families each launch decision must consider (spot diversification)",
    ),
    minGeneration: described(z.number().int().min(1).default(6), "Oldest instance generation"),
    sizes: described(
        z
            .array(z.enum(Object.keys(INSTANCE_SIZES) as [string, ...string[]]))
            .min(1)
            .default(["large", "xlarge", "2xlarge", "4xlarge"]),
        "Instance sizes",
    ),
    architectures: described(
        z
            .array(z.enum(["amd64", "arm64"]))
            .min(1)
            .default(["amd64"]),
        "CPU architectures",
    ),
    limits: described(
        z.strictObject({
            cpu: described(z.number().int().positive(), "Total vCPUs the pool may run"),
            memoryGiB: described(z.number().int().positive(), "Total memory the pool may run, GiB"),
            gpus: described(z.number().int().positive().optional(), "Total NVIDIA GPUs the pool may run (GPU pools)"),
        }),
        "Ceiling of the pool's capacity",
    ),
    weight: described(z.number().int().min(1).max(100).optional(), "Priority among pools that fit a pod; higher is tried first"),
    labels: described(z.record(labelKey, labelValue).default({}), "Node labels"),
    taints: described(
        z.array(k8sTaint).default([]),
        "Node taints (NoSchedule, NoExecute, PreferNoSchedule), besides Cilium's startup taint",
    ),
    consolidationPolicy: described(
        z.enum(["WhenEmpty", "WhenEmptyOrUnderutilized"]).default("WhenEmptyOrUnderutilized"),
        "When Karpenter may replace or remove nodes",
    ),
    consolidateAfter: described(duration.default("1m"), "How long a node must be consolidatable first"),
    disruptionBudget: described(
        z
            .string()
            .regex(/^((100|[0-9]{1,2})%|[0-9]+)$/, 'must be a node count or percentage such as "10%"')
            .default("10%"),
        "Most nodes disrupted at once",
    ),
    expireAfter: described(expiry.optional(), "Node lifetime; default karpenter.expireAfter"),
    terminationGracePeriod: described(duration.default("24h"), "Longest a draining node waits for its pods before it is terminated"),
});
export type PoolSettings = z.output<typeof pool>;

/** A taint as parsed (partial while a stack file is still being checked) or as resolved. */
export interface TaintLike {
    readonly key?: string;
    readonly value?: string;
    readonly effect?: string;
}
interface PoolLike {
    readonly capacityType?: string;
    readonly weight?: number;
    readonly categories?: readonly (string | undefined)[];
    readonly taints?: ReadonlyArray<TaintLike | undefined>;
}

/** Whether a pool launches NVIDIA GPU instances (its categories are GPU categories). */
export const isGpuPool = (pool: PoolLike): boolean =>
    (pool.categories ?? []).some((category) => GPU_CATEGORIES.includes(category as InstanceCategory));

/** A pool's taints as its nodes carry them: the stack file's, and the GPU taint on GPU pools. */
export function poolTaints(pool: PoolLike): TaintLike[] {
    const taints = (pool.taints ?? []).filter((taint): taint is TaintLike => taint !== undefined);
    return isGpuPool(pool) && !taints.some((taint) => taint.key === GPU_TAINT.key) ? [...taints, GPU_TAINT] : taints;
}

/** A pool's taints as one comparable text, e.g. `["platform/workload=batch:NoSchedule"]`. */
export const taintSet = (pool: PoolLike): string =>
    JSON.stringify(
        poolTaints(pool)
            .map((t) => `${t.key}=${t.value ?? ""}:${t.effect}`)
            .sort(),
    );

/**
 * The spot pools each on-demand pool backs: those whose nodes carry the same taints (so the same
 * pods fit) and that Karpenter tries first (a higher weight). Capacity comes from such an
 * on-demand pool only while spot capacity cannot be had.
 */
export function fallbacksOf(pools: ReadonlyArray<readonly [string, PoolLike]>): Map<string, string[]> {
    const result = new Map<string, string[]>();
    for (const [name, pool] of pools.filter(([, p]) => p.capacityType === "on-demand")) {
        const backed = pools
            .filter(
                ([, spot]) => spot.capacityType === "spot" && taintSet(spot) === taintSet(pool) && (pool.weight ?? 0) < (spot.weight ?? 0),
            )
            .map(([spotName]) => spotName);
        if (backed.length > 0) result.set(name, backed);
    }
    return result;
}

// Batch pools: only pods that tolerate the batch taint land there, and they can select it by label.
const BATCH = {
    labels: { "platform/workload": "batch" },
    taints: [{ key: "platform/workload", value: "batch", effect: "NoSchedule" as const }],
};

const DEFAULT_POOLS: Record<string, z.input<typeof pool>> = {
    "spot-general": { capacityType: "spot", limits: { cpu: 200, memoryGiB: 800 }, weight: 100 },
    "spot-batch": {
        capacityType: "spot",
        limits: { cpu: 100, memoryGiB: 400 },
        weight: 100,
        ...BATCH,
    },
    "on-demand-fallback": { capacityType: "on-demand", limits: { cpu: 100, memoryGiB: 400 }, weight: 10 },
    "on-demand-batch": {
        capacityType: "on-demand",
        limits: { cpu: 50, memoryGiB: 200 },
        weight: 10,
        ...BATCH,
    },
};

export const karpenter = z.strictObject({
    expireAfter: described(expiry.default("720h"), "Default node lifetime of every pool"),
    estimate: described(
        z
            .strictObject({
                utilisation: described(
                    z.number().gt(0).max(1).default(0.2),
                    "Share of each pool's CPU limit in use on average; what the plan's cost estimate prices a pool at",
                ),
                spotShortfall: described(
                    z.number().min(0).max(1).default(0.05),
                    "Share of a spot pool's capacity that its on-demand fallback pool runs instead, when spot cannot be had; the fallback is priced at this share, not at its limit",
                ),
            })
            .prefault({}),
        "Assumptions of the plan's cost estimate for Karpenter's pools (nothing is deployed from them)",
    ),
    quietHours: described(
        z
            .strictObject({
                schedule: described(
                    z
                        .string()
                        .regex(
                            /^(@(annually|yearly|monthly|weekly|daily|midnight|hourly))|(\S+\s\S+\s\S+\s\S+\s\S+)$/,
                            'must be a cron schedule (UTC) such as "0 8 * * 1-5"',
                        ),
                    "Start of the window, cron in UTC",
                ),
                duration: described(duration, "Length of the window"),
            })
            .optional(),
        "A daily window without voluntary disruption (consolidation, drift) in every pool",
    ),
    nodeClasses: described(
        z.record(z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, "must be a DNS label"), nodeClass).prefault({ default: {} }),
        "EC2NodeClasses by name",
    ),
    pools: described(
        z
            .record(
                z
                    .string()
                    .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, "must be a DNS label")
                    .max(63),
                pool,
            )
            .prefault(DEFAULT_POOLS),
        "NodePools by name; replaces the default pools when given",
    ),
});
