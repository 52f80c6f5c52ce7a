// Rules of the nodes: managed node groups that fit their role and architecture, and Karpenter's
// node classes and pools, which must never draw the system add-ons.
import {
    ANTI_AFFINE_SYSTEM_REPLICAS,
    GPU_CATEGORIES,
    INSTANCE_CATEGORIES,
    INSTANCE_SIZES,
    type InstanceCategory,
    NODE_GROUP_LABEL,
} from "../catalog";
import { fallbacksOf, isGpuPool, poolTaints, taintSet } from "../fields/nodes";
import { NODE_GROUP_ROLES } from "../names";
import { formatPath, type ParsedSettings, type Problem, show } from "../problems";

/** Instance families optimised for memory: R, X, Z and the U high-memory types. */
const MEMORY_FAMILY = /^(r\d|x\d|z\d|u\d?-)/;
/** Graviton families carry a g after the generation (m7g, c7gn, r8g, t4g, x2gd). */
const ARM_FAMILY = /^[a-z]+\d+g/;

export function nodeGroupProblems(settings: ParsedSettings): Problem[] {
    const problems: Problem[] = [];
    for (const role of NODE_GROUP_ROLES) {
        const group = settings.nodeGroups?.[role];
        if (!group) continue;
        const path = (...rest: PropertyKey[]) => formatPath(["nodeGroups", role, ...rest]);
        const { minSize, desiredSize, maxSize } = group;
        for (const [field, size] of [
            ["minSize", minSize],
            ["desiredSize", desiredSize],
            ["maxSize", maxSize],
        ] as const) {
            if (size !== undefined && size <= 0) problems.push({ path: path(field), message: `${size} must be positive` });
        }
        if (
            minSize !== undefined &&
            desiredSize !== undefined &&
            maxSize !== undefined &&
            (minSize > desiredSize || desiredSize > maxSize)
        ) {
            problems.push({
                path: path(),
                message: `sizes must satisfy minSize <= desiredSize <= maxSize (got ${minSize} / ${desiredSize} / ${maxSize})`,
            });
        }
        const types = group.instanceTypes ?? [];
        types.forEach((type, i) => {
            if (type === undefined) return;
            const family = type.split(".")[0];
            if (group.architecture !== undefined && ARM_FAMILY.test(family) !== (group.architecture === "arm64")) {
                problems.push({
                    path: path("instanceTypes", i),
                    message: `${show(type)} is not an ${group.architecture} instance type (architecture: ${group.architecture})`,
                });
            }
            if (role === "memory" && !MEMORY_FAMILY.test(family)) {
                problems.push({ path: path("instanceTypes", i), message: `${show(type)} is not memory-optimised (R, X, Z or U families)` });
            }
            if (types.indexOf(type) !== i) problems.push({ path: path("instanceTypes", i), message: `${show(type)} is listed twice` });
        });
    }
    const system = settings.nodeGroups?.system;
    if (system?.capacityType !== undefined && system.capacityType !== "ON_DEMAND") {
        problems.push({
            path: "nodeGroups.system.capacityType",
            message: `${show(system.capacityType)}: the system group runs critical add-ons and must be ON_DEMAND`,
        });
    }
    // Anti-affine replicas roll one at a time (no surge), so they need exactly one node each.
    if (
        settings.highAvailability !== false &&
        system?.minSize !== undefined &&
        system.minSize >= 2 &&
        system.minSize < ANTI_AFFINE_SYSTEM_REPLICAS
    ) {
        problems.push({
            path: "nodeGroups.system.minSize",
            message: `${system.minSize}: a highly available stack runs ${ANTI_AFFINE_SYSTEM_REPLICAS} replicas that each need their own system node (Argo CD's HA Redis); set at least ${ANTI_AFFINE_SYSTEM_REPLICAS}, or highAvailability: false`,
        });
    }
    if (system?.minSize !== undefined && system.minSize < 2) {
        problems.push({
            path: "nodeGroups.system.minSize",
            message: `${system.minSize}: the system group needs at least 2 nodes, spread across zones`,
        });
    }
    return problems;
}

/** Label domains Kubernetes and Karpenter reserve for themselves (pool labels may not use them). */
const RESERVED_LABEL = /^([a-z0-9.-]*\.)?(kubernetes\.io|k8s\.io|karpenter\.sh|karpenter\.k8s\.aws)\//;
/** Taints that would draw the system add-ons, or that the platform sets itself. */
const SYSTEM_TAINT_KEYS = ["CriticalAddonsOnly", "node.cilium.io/agent-not-ready"];

export function karpenterProblems(settings: ParsedSettings): Problem[] {
    const karpenter = settings.karpenter;
    if (!karpenter) return [];
    const problems: Problem[] = [];
    const classes = karpenter.nodeClasses ?? {};
    for (const [name, nodeClass] of Object.entries(classes)) {
        if (nodeClass?.os === "bottlerocket" && settings.versions && !settings.versions.bottlerocketRelease) {
            problems.push({
                path: formatPath(["karpenter", "nodeClasses", name, "os"]),
                message: `"bottlerocket" needs versions.bottlerocketRelease in the version lock`,
            });
        }
    }
    const pools = Object.entries(karpenter.pools ?? {}).flatMap(([name, pool]) => (pool ? [[name, pool] as const] : []));
    // In an HA stack, spot capacity running out in every market must not leave pods pending:
    // whatever a spot pool serves (its taints), an on-demand pool serves too, tried after it.
    if (settings.highAvailability !== false) {
        const fallbacks = fallbacksOf(pools);
        for (const [name, pool] of pools.filter(([, p]) => p.capacityType === "spot")) {
            if (![...fallbacks.values()].some((backed) => backed.includes(name))) {
                problems.push({
                    path: formatPath(["karpenter", "pools", name]),
                    message: `a spot pool with no on-demand pool of the same taints ${taintSet(pool)} and a lower weight than its ${pool.weight ?? 0}: when spot capacity runs out, its pods stay pending (highAvailability)`,
                });
            }
        }
    }
    for (const [name, pool] of pools) {
        const path = (...rest: PropertyKey[]) => formatPath(["karpenter", "pools", name, ...rest]);
        if (pool.nodeClass !== undefined && !(pool.nodeClass in classes)) {
            problems.push({
                path: path("nodeClass"),
                message: `${show(pool.nodeClass)} is not a node class (known: ${Object.keys(classes).join(", ")})`,
            });
        }
        const families = pool.families?.filter((f): f is string => f !== undefined);
        if (pool.capacityType === "spot") {
            if (families && families.length < 2) {
                problems.push({
                    path: path("families"),
                    message: `${show(families)}: a spot pool needs at least two instance families, or one interruption takes all its capacity`,
                });
            }
            if (pool.minFamilies !== undefined && pool.minFamilies < 2) {
                problems.push({
                    path: path("minFamilies"),
                    message: `${pool.minFamilies}: a spot pool must spread each launch over at least two instance families`,
                });
            }
        }
        if (families && pool.minFamilies !== undefined && pool.minFamilies > families.length) {
            problems.push({
                path: path("minFamilies"),
                message: `${pool.minFamilies} is more than the ${families.length} families listed`,
            });
        }
        const categories = (pool.categories ?? []).filter((c): c is InstanceCategory => c !== undefined);
        const gpu = categories.filter((c) => GPU_CATEGORIES.includes(c));
        if (gpu.length > 0 && gpu.length < categories.length) {
            problems.push({
                path: path("categories"),
                message: `${show(categories)} mixes GPU categories (${gpu.join(", ")}) with others: GPU nodes are tainted for GPU workloads only, so give them a pool of their own`,
            });
        }
        if (pool.limits?.gpus !== undefined && !isGpuPool(pool)) {
            problems.push({ path: path("limits", "gpus"), message: `${pool.limits.gpus}: only a GPU pool (categories g or p) runs GPUs` });
        }
        const architectures = pool.architectures ?? ["amd64"];
        (families ?? []).forEach((family, i) => {
            const [, category, digits] = /^([a-z]+)(\d+)/.exec(family) ?? [];
            const generation = Number(digits ?? NaN);
            const arm = ARM_FAMILY.test(family);
            if (pool.categories && !pool.categories.includes(category as InstanceCategory)) {
                problems.push({
                    path: path("families", i),
                    message: `${show(family)} is not in the pool's categories ${show(pool.categories)}`,
                });
            } else if (pool.minGeneration !== undefined && generation < pool.minGeneration) {
                problems.push({ path: path("families", i), message: `${show(family)} is older than minGeneration ${pool.minGeneration}` });
            } else if (!architectures.includes(arm ? "arm64" : "amd64")) {
                problems.push({
                    path: path("families", i),
                    message: `${show(family)} is ${arm ? "an arm64 (Graviton)" : "an amd64"} family, not one of the pool's architectures ${show(architectures)}`,
                });
            }
        });
        // The smallest node the pool can launch must fit inside its limits.
        const sizes = (pool.sizes ?? []).filter((size): size is string => size !== undefined);
        if (pool.limits && sizes.length > 0 && categories.length > 0) {
            const vcpus = Math.min(...sizes.map((size) => INSTANCE_SIZES[size]));
            const memory = vcpus * Math.min(...categories.map((category) => INSTANCE_CATEGORIES[category].memoryPerVcpuGiB));
            if (pool.limits.cpu !== undefined && pool.limits.cpu < vcpus) {
                problems.push({
                    path: path("limits", "cpu"),
                    message: `${pool.limits.cpu} vCPUs is less than the pool's smallest node (${vcpus} vCPUs)`,
                });
            }
            if (pool.limits.memoryGiB !== undefined && pool.limits.memoryGiB < memory) {
                problems.push({
                    path: path("limits", "memoryGiB"),
                    message: `${pool.limits.memoryGiB} GiB is less than the pool's smallest node (${memory} GiB)`,
                });
            }
        }
        for (const key of Object.keys(pool.labels ?? {})) {
            if (key === NODE_GROUP_LABEL) {
                problems.push({
                    path: path("labels", key),
                    message: `${show(key)} marks managed node groups; a pool with it would take system workloads`,
                });
            } else if (RESERVED_LABEL.test(key)) {
                problems.push({ path: path("labels", key), message: `${show(key)} is in a domain Kubernetes or Karpenter reserves` });
            }
        }
        (pool.taints ?? []).forEach((taint, i) => {
            if (taint?.key !== undefined && SYSTEM_TAINT_KEYS.includes(taint.key)) {
                problems.push({
                    path: path("taints", i),
                    message: `${show(taint.key)}: system add-ons tolerate it, so the pool would take system workloads; the Cilium startup taint is added by the platform`,
                });
            }
        });
    }
    // On-demand capacity is the fallback: it must rank below every untainted spot pool, or spot
    // would never be tried first.
    const untainted = pools.filter(([, pool]) => poolTaints(pool).length === 0);
    for (const [name, pool] of untainted.filter(([, p]) => p.capacityType === "on-demand")) {
        for (const [spotName, spot] of untainted.filter(([, p]) => p.capacityType === "spot")) {
            if ((pool.weight ?? 0) >= (spot.weight ?? 0)) {
                problems.push({
                    path: formatPath(["karpenter", "pools", name, "weight"]),
                    message: `${pool.weight ?? "no weight"} ranks the on-demand pool at or above spot pool ${spotName} (${spot.weight ?? "no weight"}); give it a lower weight`,
                });
            }
        }
    }
    return problems;
}
