import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { INTERRUPTION_EVENTS, type InterruptionEvent, NODE_GROUP_LABEL, PARTITION } from "../../../stacks/config/catalog";
import type { ClusterHandle } from "../../shared/cluster-handle";
import { platformNamespace, platformRelease } from "../../shared/kubernetes";
import { KARPENTER_POLICIES, interruptionQueuePolicy, karpenterControllerPolicies } from "./policies";
import { serviceTrustPolicy } from "../../shared/iam";
import { createRole, createWorkloadRole } from "../../shared/roles";
import { SYSTEM_TAINT, tolerate } from "../../shared/scheduling";

export interface KarpenterArgs {
    readonly cluster: ClusterHandle;
    /** Version of the karpenter and karpenter-crd charts, released together. */
    readonly chartVersion: string;
    readonly controllerRoleName: string;
    readonly nodeRoleName: string;
    readonly queueName: string;
    readonly ruleNames: Readonly<Record<InterruptionEvent, string>>;
    /** Subnets to tag for discovery when the VPC is not the platform's own (its subnets are tagged at creation). */
    readonly untaggedSubnetIds?: pulumi.Input<string>[];
    /** The controller runs on the system node group: it waits for the node groups. */
    readonly dependsOn: pulumi.Input<pulumi.Resource>[];
}

export const DEFAULTS = {
    namespace: "karpenter",
    serviceAccount: "karpenter",
    replicas: 2,
    /** Seconds an interruption message is worth keeping; Karpenter's own template uses 300. */
    messageRetentionSeconds: 300,
} as const;

/** The tag Karpenter's node classes select subnets and security groups by. */
export const DISCOVERY_TAG = "karpenter.sh/discovery";

/** EventBridge pattern of one interruption event. */
export const eventPattern = (event: (typeof INTERRUPTION_EVENTS)[number]) => ({
    source: [event.source],
    "detail-type": [event.detailType],
});

/**
 * Helm values of the karpenter chart: two replicas on the system nodes, never on nodes Karpenter
 * launched itself (they would take it down when consolidated), spread across zones by the chart's
 * default constraint, with the chart's PodDisruptionBudget.
 */
export function karpenterValues(args: { cluster: string; queueName: string }) {
    return {
        serviceAccount: { name: DEFAULTS.serviceAccount },
        replicas: DEFAULTS.replicas,
        settings: { clusterName: args.cluster, interruptionQueue: args.queueName },
        affinity: {
            nodeAffinity: {
                requiredDuringSchedulingIgnoredDuringExecution: {
                    nodeSelectorTerms: [
                        {
                            matchExpressions: [
                                { key: "karpenter.sh/nodepool", operator: "DoesNotExist" },
                                { key: NODE_GROUP_LABEL, operator: "In", values: ["system"] },
                            ],
                        },
                    ],
                },
            },
        },
        tolerations: [tolerate(SYSTEM_TAINT)],
        podDisruptionBudget: { name: "karpenter", maxUnavailable: 1 },
        serviceMonitor: { enabled: true },
        controller: { resources: { requests: { cpu: "500m", memory: "512Mi" }, limits: { memory: "1Gi" } } },
    };
}

/**
 * The Karpenter controller and what it needs outside the cluster: its Pod Identity role, the
 * node role (admitted by an EC2_LINUX access entry, no aws-auth), the interruption queue fed by
 * EventBridge, and discovery tags. The karpenter-crd chart owns the CRDs, so they upgrade with
 * the controller; the controller chart skips its copy.
 *
 * Teardown: the node pools depend on this component's `ready` resources, so `pulumi destroy`
 * deletes them first; Karpenter drains and terminates their nodes while it still runs. Only then
 * do the controller, its role, the queue and the node role's access entry go away.
 */
export class Karpenter extends pulumi.ComponentResource {
    readonly nodeRoleName: pulumi.Output<string>;
    readonly controllerRoleArn: pulumi.Output<string>;
    /** What node pools need before they exist: CRDs, a running controller, a node role that may join. */
    readonly ready: pulumi.Resource[];

    constructor(name: string, args: KarpenterArgs, opts?: pulumi.ComponentResourceOptions) {
        super("platform:addons:Karpenter", name, {}, opts);
        const parent = { parent: this };
        const cluster = args.cluster;
        const tags = cluster.tags;

        const nodeRole = createRole(
            `${name}-node`,
            {
                roleName: args.nodeRoleName,
                description: `Nodes Karpenter launches for ${cluster.name}`,
                trust: cluster.scope.apply((s) => serviceTrustPolicy("ec2.amazonaws.com", s)),
                managedPolicies: ["AmazonEKSWorkerNodePolicy", "AmazonEC2ContainerRegistryPullOnly"],
                partition: PARTITION,
                tags,
            },
            this,
        );
        const accessEntry = new aws.eks.AccessEntry(
            `${name}-node`,
            {
                clusterName: cluster.createdName,
                principalArn: nodeRole.role.arn,
                type: "EC2_LINUX",
                tags,
            },
            parent,
        );

        const queue = new aws.sqs.Queue(
            `${name}-interruptions`,
            {
                name: args.queueName,
                messageRetentionSeconds: DEFAULTS.messageRetentionSeconds,
                sqsManagedSseEnabled: true,
                tags,
            },
            parent,
        );
        const ruleArns = cluster.scope.apply((s) =>
            INTERRUPTION_EVENTS.map(({ key }) => `arn:${s.partition}:events:${s.region}:${s.accountId}:rule/${args.ruleNames[key]}`),
        );
        const queuePolicy = new aws.sqs.QueuePolicy(
            `${name}-interruptions`,
            {
                queueUrl: queue.url,
                policy: pulumi.all([queue.arn, ruleArns]).apply(([arn, rules]) => JSON.stringify(interruptionQueuePolicy(arn, rules))),
            },
            parent,
        );
        const targets = INTERRUPTION_EVENTS.map((event) => {
            const rule = new aws.cloudwatch.EventRule(
                `${name}-${event.key}`,
                {
                    name: args.ruleNames[event.key],
                    description: `${event.detailType} -> Karpenter of ${cluster.name}`,
                    eventPattern: JSON.stringify(eventPattern(event)),
                    tags,
                },
                parent,
            );
            return new aws.cloudwatch.EventTarget(
                `${name}-${event.key}`,
                { rule: rule.name, arn: queue.arn, targetId: "karpenter-interruption-queue" },
                parent,
            );
        });

        const documents = pulumi
            .all([cluster.scope, nodeRole.role.arn, queue.arn])
            .apply(([s, nodeRoleArn, queueArn]) => karpenterControllerPolicies(s, { cluster: cluster.name, nodeRoleArn, queueArn }));
        const controllerRole = createWorkloadRole(
            `${name}-controller`,
            {
                cluster,
                roleName: args.controllerRoleName,
                description: `Karpenter controller of ${cluster.name}`,
                namespace: DEFAULTS.namespace,
                serviceAccount: DEFAULTS.serviceAccount,
                policies: Object.fromEntries(KARPENTER_POLICIES.map((key) => [key, documents.apply((all) => all[key])])),
            },
            this,
        );

        // Nodes Karpenter launches find the cluster security group (and, in an existing VPC, the
        // private subnets) by this tag.
        const discovery = [
            new aws.ec2.Tag(
                `${name}-discovery-sg`,
                { resourceId: cluster.securityGroupId, key: DISCOVERY_TAG, value: cluster.name },
                parent,
            ),
            ...(args.untaggedSubnetIds ?? []).map(
                (subnetId, i) =>
                    new aws.ec2.Tag(
                        `${name}-discovery-subnet-${i}`,
                        { resourceId: subnetId, key: DISCOVERY_TAG, value: cluster.name },
                        parent,
                    ),
            ),
        ];

        const k8sOpts = { parent: this, provider: cluster.provider };
        const namespace = platformNamespace(`${name}-namespace`, DEFAULTS.namespace, "baseline", k8sOpts);
        const release = { cluster, source: "karpenter", namespace: DEFAULTS.namespace, version: args.chartVersion } as const;
        // The CRD chart runs nothing; it only has to be applied.
        const crds = platformRelease(
            `${name}-crds`,
            { ...release, chart: "karpenter-crd", release: "karpenter-crd", wait: false },
            { ...k8sOpts, dependsOn: [namespace] },
        );
        const controller = platformRelease(
            `${name}-controller`,
            {
                ...release,
                chart: "karpenter",
                release: "karpenter",
                skipCrds: true,
                values: karpenterValues({ cluster: cluster.name, queueName: args.queueName }),
            },
            {
                ...k8sOpts,
                dependsOn: [...args.dependsOn, crds, controllerRole.association, ...controllerRole.grants, queuePolicy, ...targets],
            },
        );

        this.nodeRoleName = nodeRole.role.name;
        this.controllerRoleArn = controllerRole.role.arn;
        this.ready = [crds, controller, accessEntry, ...nodeRole.grants, ...discovery];
        this.registerOutputs({ nodeRoleName: this.nodeRoleName, controllerRoleArn: this.controllerRoleArn });
    }
}
