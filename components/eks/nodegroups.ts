import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { AMI_TYPES, PARTITION } from "../../stacks/config/catalog";
import { NODE_GROUP_ROLES } from "../../stacks/config/names";
import type { NodeGroupSettings } from "../../stacks/config/fields/nodes";
import type { NodeGroupRole, Settings } from "../../stacks/config/schema";
import type { ClusterHandle } from "../shared/cluster-handle";
import { serviceTrustPolicy } from "../shared/iam";
import { createRole } from "../shared/roles";
import { CILIUM_STARTUP_TAINT, MEMORY_TAINT, NODE_GROUP_LABEL, SYSTEM_TAINT, type Taint } from "../shared/scheduling";

export interface NodeGroupsArgs {
    /** The cluster the groups join. */
    readonly cluster: ClusterHandle;
    readonly nodeRoleName: string;
    readonly groupNames: Readonly<Record<NodeGroupRole, string>>;
    readonly launchTemplateNames: Readonly<Record<NodeGroupRole, string>>;
    /** Encrypts the nodes' root volumes (its policy admits the Auto Scaling service-linked role). */
    readonly volumesKeyArn: pulumi.Input<string>;
    readonly groups: Settings["nodeGroups"];
    /** Kubernetes minor of the nodes; must match the control plane. */
    readonly kubernetesVersion: string;
    /** EKS-optimized AL2023 AMI release, e.g. "1.35.6-20260714". */
    readonly amiRelease: string;
    readonly subnetIds: pulumi.Input<string>[];
    /** What must exist before nodes launch: the CNI, without which they never become Ready. */
    readonly dependsOn: pulumi.Input<pulumi.Resource>[];
}

/** Taint each role adds to the Cilium startup taint every node carries. */
const ROLE_TAINTS: Readonly<Record<NodeGroupRole, readonly Taint[]>> = {
    system: [SYSTEM_TAINT],
    general: [],
    memory: [MEMORY_TAINT],
};

/** Labels and taints of a group's nodes: platform ones first, then the stack file's extras. */
export function nodePlacement(role: NodeGroupRole, settings: NodeGroupSettings) {
    return {
        labels: { ...settings.labels, [NODE_GROUP_LABEL]: role },
        taints: [CILIUM_STARTUP_TAINT, ...ROLE_TAINTS[role], ...settings.taints],
    };
}

/**
 * Launch template contents for a managed node group. No AMI, user data, key pair or security
 * groups: EKS supplies the pinned AMI release and its bootstrap, and attaches the cluster
 * security group itself. IMDSv2 only, with a hop limit of 1 so that pods cannot reach the
 * node's credentials (workloads use EKS Pod Identity; Cilium's operator uses the host network).
 */
export function launchTemplateData<Key>(settings: NodeGroupSettings, tags: Readonly<Record<string, string>>, volumesKeyArn: Key) {
    return {
        ebsOptimized: "true",
        metadataOptions: {
            httpEndpoint: "enabled",
            httpTokens: "required",
            httpPutResponseHopLimit: 1,
            instanceMetadataTags: "disabled",
        },
        blockDeviceMappings: [
            {
                // Root device of the AL2023 EKS AMIs.
                deviceName: "/dev/xvda",
                ebs: {
                    volumeSize: settings.diskSizeGiB,
                    volumeType: "gp3",
                    encrypted: "true",
                    kmsKeyId: volumesKeyArn,
                    deleteOnTermination: "true",
                },
            },
        ],
        tagSpecifications: (["instance", "volume", "network-interface"] as const).map((resourceType) => ({
            resourceType,
            tags: { ...tags },
        })),
    };
}

/** Managed policies of the node role: join the cluster and pull images, nothing else. */
export const NODE_POLICIES = ["AmazonEKSWorkerNodePolicy", "AmazonEC2ContainerRegistryPullOnly"] as const;

/**
 * The system, general and memory managed node groups, each with its own launch template, one
 * shared node role, and the AMI release pinned by the version lock. Desired sizes are set at
 * creation only: a later change (by a person: no autoscaler watches the groups, Karpenter adds the
 * elastic capacity) is not reverted by `pulumi up`.
 */
export class NodeGroups extends pulumi.ComponentResource {
    readonly names: Readonly<Record<NodeGroupRole, string>>;
    readonly groups: aws.eks.NodeGroup[];
    /** The group the platform's add-ons run on: what they wait for. */
    readonly system: aws.eks.NodeGroup;
    readonly nodeRoleArn: pulumi.Output<string>;

    constructor(name: string, args: NodeGroupsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("platform:eks:NodeGroups", name, {}, opts);
        const parent = { parent: this };
        const cluster = args.cluster;
        const { role, grants } = createRole(
            `${name}-role`,
            {
                roleName: args.nodeRoleName,
                description: `Managed node groups of ${cluster.name}`,
                trust: cluster.scope.apply((s) => serviceTrustPolicy("ec2.amazonaws.com", s)),
                managedPolicies: [...NODE_POLICIES],
                partition: PARTITION,
                tags: cluster.tags,
            },
            this,
        );

        this.groups = NODE_GROUP_ROLES.map((groupRole) => {
            const settings = args.groups[groupRole];
            const groupTags = { ...cluster.tags, Name: args.groupNames[groupRole], [NODE_GROUP_LABEL]: groupRole };
            const template = new aws.ec2.LaunchTemplate(
                `${name}-${groupRole}`,
                {
                    name: args.launchTemplateNames[groupRole],
                    description: `Nodes of ${args.groupNames[groupRole]}`,
                    updateDefaultVersion: true,
                    ...launchTemplateData(settings, groupTags, args.volumesKeyArn),
                    tags: groupTags,
                },
                parent,
            );
            const placement = nodePlacement(groupRole, settings);
            const groupName = `${name}-${groupRole}`;
            return new aws.eks.NodeGroup(
                groupName,
                {
                    clusterName: cluster.createdName,
                    nodeGroupName: args.groupNames[groupRole],
                    nodeRoleArn: role.arn,
                    subnetIds: args.subnetIds,
                    amiType: AMI_TYPES[settings.architecture],
                    version: args.kubernetesVersion,
                    releaseVersion: args.amiRelease,
                    instanceTypes: [...settings.instanceTypes],
                    capacityType: settings.capacityType,
                    scalingConfig: { minSize: settings.minSize, desiredSize: settings.desiredSize, maxSize: settings.maxSize },
                    updateConfig: { maxUnavailablePercentage: settings.maxUnavailablePercentage },
                    // EKS replaces nodes that report unhealthy (kubelet, container runtime, network).
                    nodeRepairConfig: { enabled: true },
                    labels: placement.labels,
                    taints: placement.taints.map((taint) => ({ ...taint })),
                    launchTemplate: { id: template.id, version: template.latestVersion.apply((v) => String(v)) },
                    tags: groupTags,
                },
                {
                    parent: this,
                    dependsOn: [...args.dependsOn, ...grants],
                    // The desired size is the creation-time size: whatever scales the group later
                    // (a person, within min..max) is never reverted by the next `pulumi up`.
                    ignoreChanges: ["scalingConfig.desiredSize"],
                    // Node groups created before were the child of an @pulumi/eks ManagedNodeGroup of the
                    // same name (pulumi-eks nodejs/eks/nodes/nodegroup.ts, createManagedNodeGroup):
                    // the alias keeps each one, so no node group is replaced.
                    aliases: [{ parent: pulumi.createUrn(groupName, "eks:index:ManagedNodeGroup", this) }],
                },
            );
        });

        this.system = this.groups[NODE_GROUP_ROLES.indexOf("system")];
        this.names = args.groupNames;
        this.nodeRoleArn = role.arn;
        this.registerOutputs({ names: this.names, nodeRoleArn: this.nodeRoleArn });
    }
}
