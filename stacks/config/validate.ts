// Validation of a whole stack file. Every problem is collected and reported at once, each with
// the property path and the offending value, before any resource is registered.
//
// Each top-level setting is parsed on its own (and each region on its own), so a malformed part
// never hides the problems of the others: the cross-field rules below run on every part that
// parsed.
import { z } from "zod";
import {
    CILIUM_CLUSTER_ID,
    INSTANCE_SIZES,
    KUBERNETES_SUPPORT,
    KUBERNETES_WINDOW,
    MEMORY_PER_VCPU_GIB,
    NAME_LIMITS,
    NODE_GROUP_LABEL,
    REGIONS,
} from "./catalog";
import { type Cidr, RFC1918, SHARED_ADDRESS_SPACE, contains, overlaps, parseCidr } from "./cidr";
import { MAX_ZONES, VPC_PREFIX } from "./layout";
import { NODE_GROUP_ROLES, defaultClusterName, physicalNames } from "./names";
import { type RegionSettings, SETTINGS, type SettingKey, type Settings, settingsSchema } from "./schema";

export interface Problem {
    /** Property path in the stack file, e.g. `regions[1].vpcCidr`. */
    readonly path: string;
    /** What is wrong, quoting the offending value. */
    readonly message: string;
}

const show = (value: unknown): string => (typeof value === "string" ? `"${value}"` : JSON.stringify(value));

export function formatPath(segments: readonly PropertyKey[]): string {
    return segments.reduce<string>((acc, segment) => {
        if (typeof segment === "number") return `${acc}[${segment}]`;
        const key = String(segment);
        return acc === "" ? key : /^[A-Za-z_$][\w$-]*$/.test(key) ? `${acc}.${key}` : `${acc}["${key}"]`;
    }, "");
}

function valueAt(root: unknown, segments: readonly PropertyKey[]): unknown {
    let current = root;
    for (const segment of segments) {
        if (current === null || typeof current !== "object") return undefined;
        current = (current as Record<PropertyKey, unknown>)[segment as string];
    }
    return current;
}

function fromZod(path: readonly PropertyKey[], raw: unknown, issues: readonly z.core.$ZodIssue[]): Problem[] {
    return issues.flatMap((issue) => {
        const where = [...path, ...issue.path];
        if (issue.code === "unrecognized_keys") {
            return issue.keys.map((unknown) => ({ path: formatPath([...where, unknown]), message: "unknown setting" }));
        }
        const value = valueAt(raw, issue.path);
        if (value === undefined)
            return [{ path: formatPath(where), message: issue.code === "invalid_type" ? `required (${issue.expected})` : issue.message }];
        return [{ path: formatPath(where), message: `${issue.message} (got ${show(value)})` }];
    });
}

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
    value !== null && typeof value === "object" && !Array.isArray(value);

/**
 * Parses `raw` against `schema` field by field, so that one bad field never hides the problems
 * of its siblings: objects and arrays of objects are walked, everything else is parsed whole.
 * Returns the parsed value with invalid fields left out (undefined when the value itself is
 * invalid), and records every problem with its full path.
 */
function parseTree(schema: z.ZodType, raw: unknown, path: readonly PropertyKey[], problems: Problem[]): unknown {
    let inner: z.ZodType = schema;
    let value = raw;
    if (inner instanceof z.ZodPrefault) {
        if (value === undefined) value = inner.def.defaultValue;
        inner = inner.unwrap() as z.ZodType;
    }
    if (inner instanceof z.ZodOptional) {
        if (value === undefined) return undefined;
        inner = inner.unwrap() as z.ZodType;
    }
    if (inner instanceof z.ZodObject && isPlainObject(value)) {
        const shape = inner.shape as Record<string, z.ZodType>;
        for (const key of Object.keys(value)) {
            if (!(key in shape))
                problems.push({
                    path: formatPath([...path, key]),
                    message: `unknown setting (allowed here: ${Object.keys(shape).join(", ")})`,
                });
        }
        const out: Record<string, unknown> = {};
        for (const [key, field] of Object.entries(shape)) {
            const parsed = parseTree(field, value[key], [...path, key], problems);
            if (parsed !== undefined) out[key] = parsed;
        }
        return out;
    }
    if (inner instanceof z.ZodArray && inner.element instanceof z.ZodObject && Array.isArray(value)) {
        const whole = inner.safeParse(value);
        if (!whole.success)
            problems.push(
                ...fromZod(
                    path,
                    value,
                    whole.error.issues.filter((issue) => issue.path.length === 0),
                ),
            );
        return value.map((item, i) => parseTree(inner.element as z.ZodType, item, [...path, i], problems));
    }
    const result = schema.safeParse(raw);
    if (result.success) return result.data;
    problems.push(...fromZod(path, raw, result.error.issues));
    return undefined;
}

/** Settings as far as they parsed: any field may be missing because it was invalid. */
type Partial<T> = T extends readonly (infer U)[]
    ? Array<Partial<U> | undefined>
    : T extends object
      ? { [K in keyof T]?: Partial<T[K]> }
      : T;
type ParsedSettings = Partial<Settings>;

/** Validates every setting; returns the typed settings only when there is no problem at all. */
export function validateSettings(raw: Readonly<Record<string, unknown>>): { settings?: Settings; problems: Problem[] } {
    const problems: Problem[] = [];
    for (const key of Object.keys(raw)) {
        if (!(key in SETTINGS)) problems.push({ path: key, message: `unknown setting (known: ${Object.keys(SETTINGS).join(", ")})` });
    }
    const parsed: Record<string, unknown> = {};
    for (const [key, schema] of Object.entries(SETTINGS) as Array<[SettingKey, z.ZodType]>) {
        const value = parseTree(schema, raw[key], [key], problems);
        if (value !== undefined) parsed[key] = value;
    }
    problems.push(...crossFieldProblems(parsed as ParsedSettings));
    if (problems.length > 0) return { problems };
    return { settings: settingsSchema.parse(Object.fromEntries(Object.keys(SETTINGS).map((key) => [key, raw[key]]))), problems };
}

function crossFieldProblems(settings: ParsedSettings): Problem[] {
    const regions = (settings.regions ?? []).flatMap((region, index) => (region ? [{ index, region }] : []));
    return [
        ...regionProblems(regions),
        ...networkProblems(settings, regions),
        ...nodeGroupProblems(settings),
        ...versionProblems(settings),
        ...clusterProblems(settings),
        ...nameProblems(settings, regions),
        ...tagProblems(settings),
        ...karpenterProblems(settings),
        ...gitopsProblems(settings),
        ...observabilityProblems(settings, regions),
    ];
}

type IndexedRegion = { index: number; region: Partial<RegionSettings> };

const at = (index: number, ...rest: PropertyKey[]) => formatPath(["regions", index, ...rest]);

function regionProblems(regions: readonly IndexedRegion[]): Problem[] {
    const problems: Problem[] = [];
    const seen = new Map<string, number>();
    const ids = new Map<number, number>();
    for (const { index, region } of regions) {
        if (region.region !== undefined) {
            if (!(region.region in REGIONS)) {
                problems.push({ path: at(index, "region"), message: `${show(region.region)} is not an AWS commercial region` });
            }
            const first = seen.get(region.region);
            if (first !== undefined)
                problems.push({ path: at(index, "region"), message: `${show(region.region)} is already ${at(first, "region")}` });
            else seen.set(region.region, index);
        }
        const id = region.ciliumClusterId;
        if (id !== undefined) {
            if (id < CILIUM_CLUSTER_ID.min || id > CILIUM_CLUSTER_ID.max) {
                problems.push({
                    path: at(index, "ciliumClusterId"),
                    message: `${id} is outside ${CILIUM_CLUSTER_ID.min}..${CILIUM_CLUSTER_ID.max} (Cilium refuses 128..255 in ENI mode)`,
                });
            }
            const owner = ids.get(id);
            if (owner !== undefined)
                problems.push({ path: at(index, "ciliumClusterId"), message: `${id} is already used by ${at(owner, "ciliumClusterId")}` });
            else ids.set(id, index);
        }
    }
    return problems;
}

function networkProblems(settings: ParsedSettings, regions: readonly IndexedRegion[]): Problem[] {
    const problems: Problem[] = [];
    const network = settings.network ?? {};
    const vpcs: Array<{ path: string; cidr: Cidr }> = [];
    const services: Array<{ path: string; cidr: Cidr }> = [];

    for (const { index, region } of regions) {
        if (region.vpcCidr !== undefined) {
            const vpc = parseCidr(region.vpcCidr) as Cidr;
            const path = at(index, "vpcCidr");
            if (!region.existingVpc && (vpc.prefix < VPC_PREFIX.largest || vpc.prefix > VPC_PREFIX.smallest)) {
                problems.push({
                    path,
                    message: `${show(vpc.text)} must be a /${VPC_PREFIX.largest} to /${VPC_PREFIX.smallest}: pods take their addresses from the VPC`,
                });
            }
            if (![...RFC1918, SHARED_ADDRESS_SPACE].some((block) => contains(block, vpc))) {
                problems.push({ path, message: `${show(vpc.text)} is not a private range (RFC 1918 or 100.64.0.0/10)` });
            }
            for (const other of vpcs) {
                if (overlaps(vpc, other.cidr)) problems.push({ path, message: `${vpc.text} overlaps ${other.path} ${other.cidr.text}` });
            }
            vpcs.push({ path, cidr: vpc });
        }
        if (region.serviceCidr !== undefined) {
            const service = parseCidr(region.serviceCidr) as Cidr;
            const path = at(index, "serviceCidr");
            if (!RFC1918.some((block) => contains(block, service))) {
                problems.push({ path, message: `${show(service.text)} must lie in 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16 (EKS)` });
            }
            if (service.prefix < 12 || service.prefix > 24)
                problems.push({ path, message: `${show(service.text)} must be a /12 to /24 (EKS)` });
            for (const other of services) {
                if (overlaps(service, other.cidr))
                    problems.push({ path, message: `${service.text} overlaps ${other.path} ${other.cidr.text}` });
            }
            services.push({ path, cidr: service });
        }

        const existing = region.existingVpc;
        const zones = existing ? existing.privateSubnetIds?.length : (region.availabilityZones ?? network.availabilityZones);
        const zonePath = existing
            ? at(index, "existingVpc", "privateSubnetIds")
            : region.availabilityZones !== undefined
              ? at(index, "availabilityZones")
              : "network.availabilityZones";
        const place = region.region ?? `regions[${index}]`;
        if (zones !== undefined && network.minAvailabilityZones !== undefined && zones < network.minAvailabilityZones) {
            problems.push({
                path: zonePath,
                message: `${zones} Availability Zone(s) in ${place}; the stack requires at least ${network.minAvailabilityZones} (network.minAvailabilityZones)`,
            });
        }
        const available = region.region !== undefined ? REGIONS[region.region] : undefined;
        if (!existing && zones !== undefined && available !== undefined && zones > Math.min(available, MAX_ZONES)) {
            problems.push({ path: zonePath, message: `${zones} Availability Zones requested; EKS can use ${available} in ${place}` });
        }
        if (existing) {
            const ids = [...(existing.privateSubnetIds ?? []), ...(existing.publicSubnetIds ?? [])];
            const duplicate = ids.find((id, i) => ids.indexOf(id) !== i);
            if (duplicate) problems.push({ path: at(index, "existingVpc"), message: `subnet ${duplicate} is listed twice` });
        }
    }
    // Service addresses are virtual, but a range that is also routed in a VPC of the stack (which
    // a later peering or ClusterMesh connects) makes those addresses unreachable from pods.
    for (const service of services) {
        for (const vpc of vpcs) {
            if (overlaps(service.cidr, vpc.cidr))
                problems.push({ path: service.path, message: `${service.cidr.text} overlaps ${vpc.path} ${vpc.cidr.text}` });
        }
    }
    return problems;
}

/** Instance families optimised for memory: R, X, Z and the U high-memory types. */
const MEMORY_FAMILY = /^(r\d|x\d|z\d|u\d?-)/;
/** Graviton families carry a g after the generation (m7g, c7gn, r8g, t4g, x2gd). */
const ARM_FAMILY = /^[a-z]+\d+g/;

function nodeGroupProblems(settings: ParsedSettings): Problem[] {
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
    if (system?.minSize !== undefined && system.minSize < 2) {
        problems.push({
            path: "nodeGroups.system.minSize",
            message: `${system.minSize}: the system group needs at least 2 nodes, spread across zones`,
        });
    }
    return problems;
}

const minor = (version: string): number => Number(version.split(".")[1]);

function versionProblems(settings: ParsedSettings): Problem[] {
    const problems: Problem[] = [];
    const kubernetes = settings.versions?.kubernetes;
    if (
        kubernetes !== undefined &&
        (minor(kubernetes) < minor(KUBERNETES_WINDOW.oldest) || minor(kubernetes) > minor(KUBERNETES_WINDOW.newest))
    ) {
        problems.push({
            path: "versions.kubernetes",
            message: `${show(kubernetes)} is outside the supported window ${KUBERNETES_WINDOW.oldest}..${KUBERNETES_WINDOW.newest}`,
        });
    }
    const ami = settings.versions?.nodeAmiRelease;
    if (kubernetes !== undefined && ami !== undefined) {
        const amiMinor = ami.split(".").slice(0, 2).join(".");
        if (amiMinor !== kubernetes) {
            problems.push({
                path: "versions.nodeAmiRelease",
                message: `${show(ami)} is an AMI release for Kubernetes ${amiMinor}, not ${kubernetes}`,
            });
        }
    }
    for (const [chart, support] of Object.entries(KUBERNETES_SUPPORT)) {
        const version = settings.versions?.charts?.[chart as keyof typeof KUBERNETES_SUPPORT];
        if (kubernetes === undefined || version === undefined || support === undefined) continue;
        const line = version.split(".").slice(0, 2).join(".");
        const range = support.releases[line];
        const path = formatPath(["versions", "charts", chart]);
        if (!range) {
            problems.push({
                path,
                message: `${show(version)}: release line ${line} is not in the platform's compatibility table; add its supported Kubernetes range from ${support.source}`,
            });
        } else if (minor(kubernetes) < minor(range.min) || minor(kubernetes) > minor(range.max)) {
            problems.push({
                path,
                message: `${show(version)} supports Kubernetes ${range.min}..${range.max}, not ${kubernetes} (${support.source})`,
            });
        }
    }
    return problems;
}

function clusterProblems(settings: ParsedSettings): Problem[] {
    const problems: Problem[] = [];
    const endpoint = settings.cluster?.endpoint;
    if (endpoint?.public === true) {
        (endpoint.allowedCidrs ?? []).forEach((text, i) => {
            if (text !== undefined && (parseCidr(text) as Cidr).prefix === 0) {
                problems.push({
                    path: formatPath(["cluster", "endpoint", "allowedCidrs", i]),
                    message: `${show(text)} opens the API endpoint to the internet; list the networks that need it`,
                });
            }
        });
    }
    const listed = new Map<string, string>();
    for (const kind of ["admins", "viewers"] as const) {
        (settings.cluster?.access?.[kind] ?? []).forEach((arn, i) => {
            if (arn === undefined) return;
            const path = formatPath(["cluster", "access", kind, i]);
            const previous = listed.get(arn);
            if (previous) problems.push({ path, message: `${show(arn)} is already ${previous}` });
            else listed.set(arn, path);
        });
    }
    return problems;
}

const LOWERCASE_BUCKET = /^[a-z0-9][a-z0-9-]*[a-z0-9]$/;
const EKS_NAME = /^[0-9A-Za-z][A-Za-z0-9_-]*$/;
const CILIUM_NAME = /^([a-z0-9][-a-z0-9]*)?[a-z0-9]$/;
/** Account IDs are 12 digits; bucket names are checked with that length. */
const ACCOUNT_ID_PLACEHOLDER = "000000000000";

function nameProblems(settings: ParsedSettings, regions: readonly IndexedRegion[]): Problem[] {
    const { name, environment } = settings;
    const problems: Problem[] = [];
    const clusters = new Map<string, number>();
    for (const { index, region } of regions) {
        const explicit = region.clusterName !== undefined;
        if (!explicit && (name === undefined || environment === undefined || region.region === undefined)) continue;
        const cluster = region.clusterName ?? defaultClusterName(name as string, environment as string, region.region as string);
        const path = explicit ? at(index, "clusterName") : at(index);
        const origin = explicit ? "" : " (name-environment-region; shorten name or set clusterName)";
        const fail = (message: string) => problems.push({ path, message: `cluster ${show(cluster)}${origin}: ${message}` });
        const names = physicalNames(cluster);

        if (cluster.length === 0 || cluster.length > NAME_LIMITS.eksCluster || !EKS_NAME.test(cluster)) {
            fail(`EKS cluster names are 1-${NAME_LIMITS.eksCluster} letters, digits, - and _, starting alphanumeric`);
        }
        if (cluster.length > NAME_LIMITS.ciliumCluster || !CILIUM_NAME.test(cluster)) {
            fail(`Cilium's cluster.name takes at most ${NAME_LIMITS.ciliumCluster} lowercase letters, digits and -`);
        }
        for (const role of Object.values(names.roles)) {
            if (role.length > NAME_LIMITS.iamRole)
                fail(`IAM role ${show(role)} is ${role.length} characters; IAM allows ${NAME_LIMITS.iamRole}`);
        }
        for (const group of Object.values(names.nodeGroups)) {
            if (group.length > NAME_LIMITS.nodeGroup)
                fail(`node group ${show(group)} is ${group.length} characters; EKS allows ${NAME_LIMITS.nodeGroup}`);
        }
        if (names.interruptionQueue.length > NAME_LIMITS.sqsQueue) {
            fail(
                `SQS queue ${show(names.interruptionQueue)} is ${names.interruptionQueue.length} characters; SQS allows ${NAME_LIMITS.sqsQueue}`,
            );
        }
        for (const rule of Object.values(names.interruptionRules)) {
            if (rule.length > NAME_LIMITS.eventRule)
                fail(`EventBridge rule ${show(rule)} is ${rule.length} characters; EventBridge allows ${NAME_LIMITS.eventRule}`);
        }
        const bucket = names.backupBucket(ACCOUNT_ID_PLACEHOLDER);
        if (bucket.length > NAME_LIMITS.s3Bucket || !LOWERCASE_BUCKET.test(bucket)) {
            fail(
                `backup bucket ${show(names.backupBucket("<account-id>"))} must be at most ${NAME_LIMITS.s3Bucket} lowercase letters, digits and - (S3)`,
            );
        }
        const previous = clusters.get(cluster);
        if (previous !== undefined) fail(`the same name as regions[${previous}]`);
        else clusters.set(cluster, index);
    }
    return problems;
}

/** Tags the platform sets itself; a stack's extra tags may not redefine them. */
export const PLATFORM_TAG_KEYS = ["environment", "region", "owner", "managed-by"] as const;
/** AWS allows 50 tags per resource; EKS, Karpenter and the Name tag need some of them. */
const MAX_EXTRA_TAGS = 50 - PLATFORM_TAG_KEYS.length - 10;

function tagProblems(settings: ParsedSettings): Problem[] {
    const tags = settings.tags;
    if (!tags) return [];
    const problems: Problem[] = [];
    for (const key of Object.keys(tags)) {
        if ((PLATFORM_TAG_KEYS as readonly string[]).includes(key.toLowerCase())) {
            problems.push({ path: formatPath(["tags", key]), message: `${show(key)} is set by the platform itself` });
        }
    }
    if (Object.keys(tags).length > MAX_EXTRA_TAGS) {
        problems.push({
            path: "tags",
            message: `${Object.keys(tags).length} extra tags; at most ${MAX_EXTRA_TAGS} fit beside the platform's and EKS's own`,
        });
    }
    return problems;
}

/** Label domains Kubernetes and Karpenter reserve for themselves (pool labels may not use them). */
const RESERVED_LABEL = /^([a-z0-9.-]*\.)?(kubernetes\.io|k8s\.io|karpenter\.sh|karpenter\.k8s\.aws)\//;
/** Taints that would draw the system add-ons, or that the platform sets itself. */
const SYSTEM_TAINT_KEYS = ["CriticalAddonsOnly", "node.cilium.io/agent-not-ready"];

function karpenterProblems(settings: ParsedSettings): Problem[] {
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
        (families ?? []).forEach((family, i) => {
            const generation = Number(/^[a-z]+(\d+)/.exec(family)?.[1] ?? NaN);
            if (pool.categories && !pool.categories.includes(family[0] as "c")) {
                problems.push({
                    path: path("families", i),
                    message: `${show(family)} is not in the pool's categories ${show(pool.categories)}`,
                });
            } else if (pool.minGeneration !== undefined && generation < pool.minGeneration) {
                problems.push({ path: path("families", i), message: `${show(family)} is older than minGeneration ${pool.minGeneration}` });
            }
        });
        // The smallest node the pool can launch must fit inside its limits.
        const sizes = (pool.sizes ?? []).filter((size): size is string => size !== undefined);
        const categories = (pool.categories ?? []).filter((c): c is "c" | "m" | "r" => c !== undefined);
        if (pool.limits && sizes.length > 0 && categories.length > 0) {
            const vcpus = Math.min(...sizes.map((size) => INSTANCE_SIZES[size]));
            const memory = vcpus * Math.min(...categories.map((category) => MEMORY_PER_VCPU_GIB[category]));
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
    const untainted = pools.filter(([, pool]) => (pool.taints ?? []).length === 0);
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

/** The Secrets Manager prefix the stack's External Secrets role may read. */
export const secretsPrefix = (settings: { secrets?: { prefix?: string }; environment?: string }): string | undefined =>
    settings.secrets?.prefix ?? (settings.environment !== undefined ? `${settings.environment}/` : undefined);

function gitopsProblems(settings: ParsedSettings): Problem[] {
    const problems: Problem[] = [];
    const gitops = settings.gitops;
    const prefix = secretsPrefix(settings);
    if (gitops) {
        if (gitops.requireSso !== false && gitops.sso === undefined) {
            problems.push({
                path: "gitops.sso",
                message: "required: this stack requires single sign-on (gitops.requireSso), and the local admin account is no substitute",
            });
        }
        problems.push(
            ...outsidePrefix(prefix, [
                ["gitops.repository.credentialsSecretName", gitops.repository?.credentialsSecretName],
                ["gitops.sso.clientSecretName", gitops.sso?.clientSecretName],
            ]),
        );
        (gitops.teams?.sourceRepos ?? []).forEach((repo, i) => {
            if (repo !== undefined && /^\*+$/.test(repo))
                problems.push({
                    path: formatPath(["gitops", "teams", "sourceRepos", i]),
                    message: `${show(repo)} would let teams deploy from any repository`,
                });
        });
    }
    (settings.secrets?.allowedNamespacePatterns ?? []).forEach((pattern, i) => {
        if (pattern === undefined) return;
        try {
            new RegExp(pattern);
        } catch {
            problems.push({
                path: formatPath(["secrets", "allowedNamespacePatterns", i]),
                message: `${show(pattern)} is not a regular expression`,
            });
        }
    });
    return problems;
}

/** Secrets Manager names the External Secrets role could not read. */
function outsidePrefix(prefix: string | undefined, referenced: Array<[string, string | undefined]>): Problem[] {
    return referenced.flatMap(([path, name]) =>
        name !== undefined && prefix !== undefined && !name.startsWith(prefix)
            ? [
                  {
                      path,
                      message: `${show(name)} is outside ${show(prefix)}, the only secrets External Secrets may read in this environment`,
                  },
              ]
            : [],
    );
}

const GIGABYTES = { MB: 0.001, GB: 1, TB: 1000 } as const;
/** A duration such as "720h" or "1h30m", in hours. */
export const hours = (value: string): number =>
    [...value.matchAll(/(\d+)(h|m|s)/g)].reduce(
        (total, [, n, unit]) => total + Number(n) / (unit === "h" ? 1 : unit === "m" ? 60 : 3600),
        0,
    );

function observabilityProblems(settings: ParsedSettings, regions: readonly IndexedRegion[]): Problem[] {
    const problems: Problem[] = [];
    const monitoring = settings.monitoring;
    if (monitoring) {
        problems.push(
            ...outsidePrefix(secretsPrefix(settings), [
                ["monitoring.grafanaAdminSecretName", monitoring.grafanaAdminSecretName],
                ["monitoring.pagingWebhookSecretName", monitoring.pagingWebhookSecretName],
                ["monitoring.chatWebhookSecretName", monitoring.chatWebhookSecretName],
            ]),
        );
        const size = monitoring.retentionSize ? /^(\d+)(MB|GB|TB)$/.exec(monitoring.retentionSize) : null;
        if (size && monitoring.volumeSizeGiB !== undefined) {
            const gigabytes = Number(size[1]) * GIGABYTES[size[2] as keyof typeof GIGABYTES];
            // Leave a tenth of the volume for the write-ahead log and compaction.
            const usable = monitoring.volumeSizeGiB * 1.073741824 * 0.9;
            if (gigabytes > usable) {
                problems.push({
                    path: "monitoring.retentionSize",
                    message: `${show(monitoring.retentionSize)} does not fit a ${monitoring.volumeSizeGiB} GiB volume with room for the WAL (at most ${Math.floor(usable)}GB)`,
                });
            }
        }
    }
    const backups = settings.backups;
    if (backups) {
        const schedules = Object.entries(backups.schedules ?? {}).flatMap(([name, s]) => (s ? [[name, s] as const] : []));
        const daily = schedules.some(
            ([, s]) =>
                s.cron !== undefined &&
                s.cron
                    .split(/\s+/)
                    .slice(2)
                    .every((field) => field === "*"),
        );
        if (!daily)
            problems.push({
                path: "backups.schedules",
                message: `${show(schedules.map(([name]) => name))}: at least one schedule must run every day (day-of-month, month and day-of-week "*")`,
            });
        for (const [name, s] of schedules) {
            if (s.ttl !== undefined && hours(s.ttl) < 24)
                problems.push({
                    path: formatPath(["backups", "schedules", name, "ttl"]),
                    message: `${show(s.ttl)} keeps a backup less than a day`,
                });
        }
        if (backups.crossRegion && regions.length < 2) {
            problems.push({ path: "backups.crossRegion", message: "true needs a second region in the stack to copy backups to" });
        }
    }
    return problems;
}
