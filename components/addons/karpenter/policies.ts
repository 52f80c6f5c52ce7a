// IAM documents of Karpenter: the controller's policies (upstream reference, scoped to this
// cluster) and the interruption queue's resource policy.
import { type PolicyDocument, type Scope, clusterArn, policyDocument } from "../../shared/iam";

export interface KarpenterScope {
    readonly cluster: string;
    readonly nodeRoleArn: string;
    readonly queueArn: string;
}

/**
 * The Karpenter controller's permissions, one document per concern, mirroring the policies of
 * Karpenter's getting-started CloudFormation template (v1.14) with the account made explicit:
 * - launches and launch templates only with this cluster's ownership tags, terminations and
 *   deletions only of what carries them;
 * - instance profiles only tagged for this cluster and region;
 * - iam:PassRole only for the node role, only to EC2;
 * - the interruption queue and eks:DescribeCluster only for this cluster;
 * - Describe calls only in the region (the pricing API lives in other regions, so it cannot be).
 */
export const KARPENTER_POLICIES = ["node-lifecycle", "iam-integration", "eks-integration", "interruption", "resource-discovery"] as const;

export function karpenterControllerPolicies(
    scope: Scope,
    args: KarpenterScope,
): Record<(typeof KARPENTER_POLICIES)[number], PolicyDocument> {
    const { partition, region, accountId } = scope;
    const ec2 = (resource: string) => `arn:${partition}:ec2:${region}:${accountId}:${resource}`;
    const instanceProfiles = `arn:${partition}:iam::${accountId}:instance-profile/*`;
    const owned = { [`aws:ResourceTag/kubernetes.io/cluster/${args.cluster}`]: "owned" };
    const requestOwned = {
        [`aws:RequestTag/kubernetes.io/cluster/${args.cluster}`]: "owned",
        "aws:RequestTag/eks:eks-cluster-name": args.cluster,
    };
    const created = ["fleet/*", "instance/*", "volume/*", "network-interface/*", "launch-template/*", "spot-instances-request/*"].map(ec2);
    return {
        "node-lifecycle": policyDocument(
            {
                Sid: "AllowScopedEC2InstanceAccessActions",
                Effect: "Allow",
                Action: ["ec2:RunInstances", "ec2:CreateFleet"],
                Resource: [
                    `arn:${partition}:ec2:${region}::image/*`,
                    `arn:${partition}:ec2:${region}::snapshot/*`,
                    ...["security-group/*", "subnet/*", "capacity-reservation/*", "placement-group/*"].map(ec2),
                ],
            },
            {
                Sid: "AllowScopedEC2LaunchTemplateAccessActions",
                Effect: "Allow",
                Action: ["ec2:RunInstances", "ec2:CreateFleet"],
                Resource: ec2("launch-template/*"),
                Condition: { StringEquals: owned, StringLike: { "aws:ResourceTag/karpenter.sh/nodepool": "*" } },
            },
            {
                Sid: "AllowScopedEC2InstanceActionsWithTags",
                Effect: "Allow",
                Action: ["ec2:RunInstances", "ec2:CreateFleet", "ec2:CreateLaunchTemplate"],
                Resource: created,
                Condition: { StringEquals: requestOwned, StringLike: { "aws:RequestTag/karpenter.sh/nodepool": "*" } },
            },
            {
                Sid: "AllowScopedResourceCreationTagging",
                Effect: "Allow",
                Action: "ec2:CreateTags",
                Resource: created,
                Condition: {
                    StringEquals: { ...requestOwned, "ec2:CreateAction": ["RunInstances", "CreateFleet", "CreateLaunchTemplate"] },
                    StringLike: { "aws:RequestTag/karpenter.sh/nodepool": "*" },
                },
            },
            {
                Sid: "AllowScopedResourceTagging",
                Effect: "Allow",
                Action: "ec2:CreateTags",
                Resource: ec2("instance/*"),
                Condition: {
                    StringEquals: owned,
                    StringLike: { "aws:ResourceTag/karpenter.sh/nodepool": "*" },
                    StringEqualsIfExists: { "aws:RequestTag/eks:eks-cluster-name": args.cluster },
                    "ForAllValues:StringEquals": { "aws:TagKeys": ["eks:eks-cluster-name", "karpenter.sh/nodeclaim", "Name"] },
                },
            },
            {
                Sid: "AllowScopedDeletion",
                Effect: "Allow",
                Action: ["ec2:TerminateInstances", "ec2:DeleteLaunchTemplate"],
                Resource: [ec2("instance/*"), ec2("launch-template/*")],
                Condition: { StringEquals: owned, StringLike: { "aws:ResourceTag/karpenter.sh/nodepool": "*" } },
            },
        ),
        "iam-integration": policyDocument(
            {
                Sid: "AllowPassingInstanceRole",
                Effect: "Allow",
                Action: "iam:PassRole",
                Resource: args.nodeRoleArn,
                Condition: { StringEquals: { "iam:PassedToService": "ec2.amazonaws.com" } },
            },
            {
                Sid: "AllowScopedInstanceProfileCreationActions",
                Effect: "Allow",
                Action: "iam:CreateInstanceProfile",
                Resource: instanceProfiles,
                Condition: {
                    StringEquals: { ...requestOwned, "aws:RequestTag/topology.kubernetes.io/region": region },
                    StringLike: { "aws:RequestTag/karpenter.k8s.aws/ec2nodeclass": "*" },
                },
            },
            {
                Sid: "AllowScopedInstanceProfileTagActions",
                Effect: "Allow",
                Action: "iam:TagInstanceProfile",
                Resource: instanceProfiles,
                Condition: {
                    StringEquals: {
                        ...owned,
                        "aws:ResourceTag/topology.kubernetes.io/region": region,
                        ...requestOwned,
                        "aws:RequestTag/topology.kubernetes.io/region": region,
                    },
                    StringLike: {
                        "aws:ResourceTag/karpenter.k8s.aws/ec2nodeclass": "*",
                        "aws:RequestTag/karpenter.k8s.aws/ec2nodeclass": "*",
                    },
                },
            },
            {
                Sid: "AllowScopedInstanceProfileActions",
                Effect: "Allow",
                Action: ["iam:AddRoleToInstanceProfile", "iam:RemoveRoleFromInstanceProfile", "iam:DeleteInstanceProfile"],
                Resource: instanceProfiles,
                Condition: {
                    StringEquals: { ...owned, "aws:ResourceTag/topology.kubernetes.io/region": region },
                    StringLike: { "aws:ResourceTag/karpenter.k8s.aws/ec2nodeclass": "*" },
                },
            },
            { Sid: "AllowInstanceProfileReadActions", Effect: "Allow", Action: "iam:GetInstanceProfile", Resource: instanceProfiles },
            // IAM has no resource-level permission for listing.
            { Sid: "AllowUnscopedInstanceProfileListAction", Effect: "Allow", Action: "iam:ListInstanceProfiles", Resource: "*" },
        ),
        "eks-integration": policyDocument({
            Sid: "AllowAPIServerEndpointDiscovery",
            Effect: "Allow",
            Action: "eks:DescribeCluster",
            Resource: clusterArn(scope, args.cluster),
        }),
        interruption: policyDocument({
            Sid: "AllowInterruptionQueueActions",
            Effect: "Allow",
            Action: ["sqs:DeleteMessage", "sqs:GetQueueUrl", "sqs:ReceiveMessage"],
            Resource: args.queueArn,
        }),
        "resource-discovery": policyDocument(
            {
                Sid: "AllowRegionalReadActions",
                Effect: "Allow",
                Action: [
                    "ec2:DescribeCapacityReservations",
                    "ec2:DescribeImages",
                    "ec2:DescribeInstances",
                    "ec2:DescribeInstanceStatus",
                    "ec2:DescribeInstanceTypeOfferings",
                    "ec2:DescribeInstanceTypes",
                    "ec2:DescribeLaunchTemplates",
                    "ec2:DescribePlacementGroups",
                    "ec2:DescribeSecurityGroups",
                    "ec2:DescribeSpotPriceHistory",
                    "ec2:DescribeSubnets",
                ],
                Resource: "*",
                Condition: { StringEquals: { "aws:RequestedRegion": region } },
            },
            {
                Sid: "AllowSSMReadActions",
                Effect: "Allow",
                Action: "ssm:GetParameter",
                Resource: `arn:${partition}:ssm:${region}::parameter/aws/service/*`,
            },
            { Sid: "AllowPricingReadActions", Effect: "Allow", Action: "pricing:GetProducts", Resource: "*" },
        ),
    };
}

/**
 * Policy of the interruption queue: only the cluster's own EventBridge rules may send to it, and
 * nothing may use it without TLS.
 */
export function interruptionQueuePolicy(queueArn: string, ruleArns: readonly string[]): PolicyDocument {
    return policyDocument(
        {
            Sid: "EventBridgeRulesOfThisCluster",
            Effect: "Allow",
            Principal: { Service: "events.amazonaws.com" },
            Action: "sqs:SendMessage",
            Resource: queueArn,
            Condition: { ArnEquals: { "aws:SourceArn": [...ruleArns] } },
        },
        {
            Sid: "DenyHTTP",
            Effect: "Deny",
            Principal: { AWS: "*" },
            Action: "sqs:*",
            Resource: queueArn,
            Condition: { Bool: { "aws:SecureTransport": "false" } },
        },
    );
}
