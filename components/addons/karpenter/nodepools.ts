import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { GPU_NODE_LABEL, GPU_RESOURCE } from "../../../stacks/config/catalog";
import { type NodeClassSettings, type PoolSettings, isGpuPool, poolTaints } from "../../../stacks/config/fields/nodes";
import type { KarpenterSettings } from "../../../stacks/config/schema";
import type { ClusterHandle } from "../../shared/cluster-handle";
import { DISCOVERY_TAG } from "./karpenter";
import { CILIUM_STARTUP_TAINT } from "../../shared/scheduling";
import { DEVICE_PLUGIN, nvidiaDevicePlugin } from "./device-plugin";

export interface NodePoolsArgs {
    readonly cluster: ClusterHandle;
    readonly settings: KarpenterSettings;
    /** Node role Karpenter puts into the instance profiles it manages. */
    readonly nodeRoleName: pulumi.Input<string>;
    /** AMI alias per OS, pinned by the version lock, e.g. { al2023: "al2023@v20260714" }. */
    readonly amiAliases: Readonly<Partial<Record<NodeClassSettings["os"], string>>>;
    /** Zones nodes may launch in; all of the selected subnets' zones when absent. */
    readonly zones?: pulumi.Input<string[]>;
    /** Version of the nvidia-device-plugin chart, installed when a pool launches GPU nodes on AL2023. */
    readonly devicePluginVersion: string;
    /** Encrypts every node's volumes. */
    readonly volumesKeyArn: pulumi.Input<string>;
    /** Karpenter's CRDs, controller and node access: pools are created after and deleted before them. */
    readonly dependsOn: pulumi.Input<pulumi.Resource>[];
}

/** Label that names the pool on every node it launches (Karpenter adds karpenter.sh/nodepool too). */
export const POOL_LABEL = "platform/pool";

/** AMI alias of a node class: AL2023 by the date of the locked EKS AMI release, Bottlerocket by its release. */
export function amiAliases(versions: {
    nodeAmiRelease: string;
    bottlerocketRelease?: string;
}): Partial<Record<NodeClassSettings["os"], string>> {
    const date = versions.nodeAmiRelease.split("-").pop();
    return {
        al2023: `al2023@v${date}`,
        ...(versions.bottlerocketRelease ? { bottlerocket: `bottlerocket@v${versions.bottlerocketRelease}` } : {}),
    };
}

const encryptedGp3 = <Key>(size: string, kmsKeyID: Key) => ({
    volumeSize: size,
    volumeType: "gp3",
    encrypted: true,
    kmsKeyID,
    deleteOnTermination: true,
});

/**
 * EC2NodeClass spec: the pinned AMI alias (never @latest), IMDSv2 only with hop limit 1,
 * encrypted gp3 volumes, subnets and security groups found by the cluster's discovery tag, and
 * the platform's cost-attribution tags.
 */
export function ec2NodeClassSpec<Role, Key>(args: {
    name: string;
    /** The volumes key; its policy lets Karpenter's controller launch with it. */
    volumesKeyArn: Key;
    settings: NodeClassSettings;
    cluster: string;
    role: Role;
    alias: string;
    tags: Readonly<Record<string, string>>;
}) {
    const selector = [{ tags: { [DISCOVERY_TAG]: args.cluster } }];
    return {
        role: args.role,
        amiSelectorTerms: [{ alias: args.alias }],
        subnetSelectorTerms: selector,
        securityGroupSelectorTerms: selector,
        metadataOptions: { httpEndpoint: "enabled", httpProtocolIPv6: "disabled", httpPutResponseHopLimit: 1, httpTokens: "required" },
        // Bottlerocket keeps its OS on a small volume and containers on the second one.
        blockDeviceMappings:
            args.settings.os === "bottlerocket"
                ? [
                      { deviceName: "/dev/xvda", ebs: encryptedGp3("4Gi", args.volumesKeyArn) },
                      { deviceName: "/dev/xvdb", ebs: encryptedGp3(`${args.settings.diskSizeGiB}Gi`, args.volumesKeyArn) },
                  ]
                : [{ deviceName: "/dev/xvda", ebs: encryptedGp3(`${args.settings.diskSizeGiB}Gi`, args.volumesKeyArn) }],
        tags: { ...args.tags, "platform/node-class": args.name } as Record<string, string>,
    };
}

export interface Requirement<Values = string[]> {
    key: string;
    operator: "In" | "Exists" | "Gt" | "DoesNotExist";
    values?: Values;
    minValues?: number;
}

const EFFECT = { NO_SCHEDULE: "NoSchedule", NO_EXECUTE: "NoExecute", PREFER_NO_SCHEDULE: "PreferNoSchedule" } as const;

/**
 * NodePool spec. Every pool starts its nodes with Cilium's startup taint, declared as a startup
 * taint so Karpenter neither schedules onto the node nor launches another while the datapath
 * comes up. Spot pools spread every launch over `minFamilies` instance families.
 *
 * GPU pools (categories g, p) launch NVIDIA instances only, carry the GPU taint, and may cap their
 * GPUs. The AL2023 alias selects the NVIDIA AMI variant for them by itself (Karpenter's
 * pkg/providers/amifamily/al2023.go); that AMI has the driver but not the device plugin, which
 * the platform runs on nodes labelled for it. Bottlerocket's NVIDIA variant has its own plugin,
 * so its nodes get no label.
 */
export function nodePoolSpec<Zones = string[]>(args: {
    name: string;
    pool: PoolSettings;
    /** OS of the pool's node class. */
    os: NodeClassSettings["os"];
    expireAfter: string;
    quietHours?: KarpenterSettings["quietHours"];
    zones?: Zones;
}) {
    const { pool } = args;
    const family: Requirement = pool.families
        ? { key: "karpenter.k8s.aws/instance-family", operator: "In", values: [...pool.families], minValues: pool.minFamilies }
        : { key: "karpenter.k8s.aws/instance-family", operator: "Exists", minValues: pool.minFamilies };
    const requirements: Array<Requirement<string[] | Zones>> = [
        { key: "karpenter.sh/capacity-type", operator: "In", values: [pool.capacityType] },
        { key: "kubernetes.io/os", operator: "In", values: ["linux"] },
        { key: "kubernetes.io/arch", operator: "In", values: [...pool.architectures] },
        { key: "karpenter.k8s.aws/instance-category", operator: "In", values: [...pool.categories] },
        { key: "karpenter.k8s.aws/instance-generation", operator: "Gt", values: [String(pool.minGeneration - 1)] },
        { key: "karpenter.k8s.aws/instance-size", operator: "In", values: [...pool.sizes] },
        family,
        ...(isGpuPool(pool) ? [{ key: "karpenter.k8s.aws/instance-gpu-manufacturer", operator: "In" as const, values: ["nvidia"] }] : []),
        ...(args.zones !== undefined ? [{ key: "topology.kubernetes.io/zone", operator: "In" as const, values: args.zones }] : []),
    ];
    return {
        template: {
            metadata: {
                labels: {
                    ...pool.labels,
                    ...(isGpuPool(pool) && args.os === "al2023" ? { [GPU_NODE_LABEL]: "true" } : {}),
                    [POOL_LABEL]: args.name,
                },
            },
            spec: {
                nodeClassRef: { group: "karpenter.k8s.aws", kind: "EC2NodeClass", name: pool.nodeClass },
                requirements,
                taints: poolTaints(pool).map((taint) => ({ ...taint })),
                startupTaints: [
                    { key: CILIUM_STARTUP_TAINT.key, value: CILIUM_STARTUP_TAINT.value, effect: EFFECT[CILIUM_STARTUP_TAINT.effect] },
                ],
                expireAfter: pool.expireAfter ?? args.expireAfter,
                terminationGracePeriod: pool.terminationGracePeriod,
            },
        },
        limits: {
            cpu: String(pool.limits.cpu),
            memory: `${pool.limits.memoryGiB}Gi`,
            ...(pool.limits.gpus !== undefined ? { [GPU_RESOURCE]: String(pool.limits.gpus) } : {}),
        },
        disruption: {
            consolidationPolicy: pool.consolidationPolicy,
            consolidateAfter: pool.consolidateAfter,
            budgets: [
                { nodes: pool.disruptionBudget },
                // Budgets bound voluntary disruption only; expiry still replaces nodes.
                ...(args.quietHours ? [{ nodes: "0", schedule: args.quietHours.schedule, duration: args.quietHours.duration }] : []),
            ],
        },
        ...(pool.weight !== undefined ? { weight: pool.weight } : {}),
    };
}

/** Deleting a pool drains its nodes first; give that time before Pulumi gives up. */
const DRAIN_TIMEOUT = "30m";

/** EC2NodeClasses and NodePools as the stack file declares them, the same in every region. */
export class NodePools extends pulumi.ComponentResource {
    readonly pools: k8s.apiextensions.CustomResource[];
    /** Namespaces of the releases it installs (the device plugin's, with a GPU pool on AL2023). */
    readonly releaseNamespaces: readonly string[];

    constructor(name: string, args: NodePoolsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("platform:addons:NodePools", name, {}, opts);
        const { cluster, settings } = args;
        const resourceOpts = { parent: this, provider: cluster.provider, customTimeouts: { delete: DRAIN_TIMEOUT } };

        const classes = new Map(
            Object.entries(settings.nodeClasses).map(([className, nodeClass]) => {
                const alias = args.amiAliases[nodeClass.os];
                if (!alias) throw new Error(`${name}: no AMI release pinned for ${nodeClass.os}`);
                return [
                    className,
                    new k8s.apiextensions.CustomResource(
                        `${name}-class-${className}`,
                        {
                            apiVersion: "karpenter.k8s.aws/v1",
                            kind: "EC2NodeClass",
                            metadata: { name: className },
                            spec: ec2NodeClassSpec({
                                name: className,
                                settings: nodeClass,
                                cluster: cluster.name,
                                role: args.nodeRoleName,
                                volumesKeyArn: args.volumesKeyArn,
                                alias,
                                tags: cluster.tags,
                            }),
                        },
                        { ...resourceOpts, dependsOn: args.dependsOn },
                    ),
                ];
            }),
        );

        // GPU pools wait for the device plugin, so that their nodes advertise GPUs from the start
        // and are drained before it is removed.
        const gpu = Object.values(settings.pools).some((pool) => isGpuPool(pool) && settings.nodeClasses[pool.nodeClass].os === "al2023");
        this.releaseNamespaces = gpu ? [DEVICE_PLUGIN.namespace] : [];
        const plugin = gpu
            ? [
                  nvidiaDevicePlugin(
                      `${name}-nvidia`,
                      { cluster, chartVersion: args.devicePluginVersion, dependsOn: args.dependsOn },
                      { parent: this },
                  ),
              ]
            : [];

        this.pools = Object.entries(settings.pools).map(
            ([poolName, pool]) =>
                new k8s.apiextensions.CustomResource(
                    `${name}-pool-${poolName}`,
                    {
                        apiVersion: "karpenter.sh/v1",
                        kind: "NodePool",
                        metadata: { name: poolName },
                        spec: nodePoolSpec({
                            name: poolName,
                            pool,
                            os: settings.nodeClasses[pool.nodeClass].os,
                            expireAfter: settings.expireAfter,
                            quietHours: settings.quietHours,
                            zones: args.zones,
                        }),
                    },
                    {
                        ...resourceOpts,
                        dependsOn: [...args.dependsOn, classes.get(pool.nodeClass) as pulumi.Resource, ...(isGpuPool(pool) ? plugin : [])],
                    },
                ),
        );

        this.registerOutputs({});
    }
}
