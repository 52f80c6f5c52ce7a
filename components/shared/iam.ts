// IAM and KMS policy documents, built by pure functions from ARNs the components know, so that
// each can be unit-tested without a Pulumi runtime. `"*"` appears only as the resource of
// Describe/List calls that AWS cannot scope, and those are pinned to the region.

export interface Statement {
    Sid?: string;
    Effect: "Allow" | "Deny";
    Principal?: Record<string, string | string[]>;
    Action: string | string[];
    Resource?: string | string[];
    Condition?: Record<string, Record<string, string | string[]>>;
}
export interface PolicyDocument {
    Version: "2012-10-17";
    Statement: Statement[];
}

/** Where a cluster lives; every ARN is built from it. */
export interface Scope {
    readonly partition: string;
    readonly region: string;
    readonly accountId: string;
}

const document = (...statements: Statement[]): PolicyDocument => ({ Version: "2012-10-17", Statement: statements });

export const clusterArn = (scope: Scope, cluster: string): string =>
    `arn:${scope.partition}:eks:${scope.region}:${scope.accountId}:cluster/${cluster}`;

export const logGroupArn = (scope: Scope, logGroup: string): string =>
    `arn:${scope.partition}:logs:${scope.region}:${scope.accountId}:log-group:${logGroup}`;

export const managedPolicyArn = (partition: string, name: string): string => `arn:${partition}:iam::aws:policy/${name}`;

/** Trust policy for a role assumed by an AWS service (EKS control plane, EC2 nodes). */
export function serviceTrustPolicy(
    service: string,
    scope: Scope,
    options: { tagSession?: boolean; sourceArn?: string } = {},
): PolicyDocument {
    const condition: Statement["Condition"] = options.sourceArn
        ? { StringEquals: { "aws:SourceAccount": scope.accountId }, ArnLike: { "aws:SourceArn": options.sourceArn } }
        : undefined;
    return document({
        Effect: "Allow",
        Principal: { Service: service },
        Action: options.tagSession ? ["sts:AssumeRole", "sts:TagSession"] : "sts:AssumeRole",
        ...(condition ? { Condition: condition } : {}),
    });
}

/**
 * Trust policy of an EKS Pod Identity role, limited to one cluster so that no other cluster in
 * the account can hand the role to its pods (confused deputy).
 * https://docs.aws.amazon.com/eks/latest/userguide/pod-id-role.html
 */
export function podIdentityTrustPolicy(scope: Scope, cluster: string): PolicyDocument {
    return document({
        Sid: "AllowEksPodIdentity",
        Effect: "Allow",
        Principal: { Service: "pods.eks.amazonaws.com" },
        Action: ["sts:AssumeRole", "sts:TagSession"],
        Condition: {
            StringEquals: { "aws:SourceAccount": scope.accountId },
            ArnEquals: { "aws:SourceArn": clusterArn(scope, cluster) },
        },
    });
}

/** The control plane's use of the secrets envelope key (terraform-aws-eks cluster_encryption policy). */
export function clusterEncryptionPolicy(keyArn: string): PolicyDocument {
    return document({
        Sid: "EnvelopeEncryptSecrets",
        Effect: "Allow",
        Action: ["kms:Encrypt", "kms:Decrypt", "kms:ListGrants", "kms:DescribeKey"],
        Resource: keyArn,
    });
}

const rootStatement = (scope: Scope): Statement => ({
    Sid: "AccountAdministersKeyThroughIam",
    Effect: "Allow",
    Principal: { AWS: `arn:${scope.partition}:iam::${scope.accountId}:root` },
    Action: "kms:*",
    Resource: "*",
});

/**
 * Key policy of the EKS secrets key: the account's IAM policies decide who may use it (the
 * cluster role gets clusterEncryptionPolicy); nothing else is granted here.
 */
export function secretsKeyPolicy(scope: Scope): PolicyDocument {
    return document(rootStatement(scope));
}

/**
 * Key policy of the log encryption key: CloudWatch Logs may use it only for the named log
 * groups. https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html
 */
export function logsKeyPolicy(scope: Scope, logGroups: readonly string[]): PolicyDocument {
    return document(rootStatement(scope), {
        Sid: "CloudWatchLogsEncryptsTheseGroups",
        Effect: "Allow",
        Principal: { Service: `logs.${scope.region}.amazonaws.com` },
        Action: ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
        Resource: "*",
        Condition: { ArnEquals: { "kms:EncryptionContext:aws:logs:arn": logGroups.map((group) => logGroupArn(scope, group)) } },
    });
}

/** Permissions of the VPC flow logs delivery role: write to its one log group. */
export function flowLogsPolicy(scope: Scope, logGroup: string): PolicyDocument {
    const arn = logGroupArn(scope, logGroup);
    return document({
        Sid: "DeliverFlowLogs",
        Effect: "Allow",
        Action: ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
        Resource: [arn, `${arn}:log-stream:*`],
    });
}

/** Tags Cilium puts on every ENI it creates (operator ENI garbage-collection tags). */
export const CILIUM_ENI_CLUSTER_TAG = "io.cilium/cluster-name";

/**
 * The Cilium operator in ENI IPAM mode. Actions from Cilium's required-privileges list
 * (https://docs.cilium.io/en/stable/network/concepts/ipam/eni/#required-privileges), scoped:
 * - new ENIs must carry this cluster's Cilium tag, in this VPC's subnets and security groups;
 * - ENIs are attached, modified and deleted only when they carry that tag;
 * - IPs are assigned and released on any ENI of this VPC, because the operator also uses each
 *   node's primary ENI (eth0), which Cilium did not create and did not tag;
 * - Describe calls cannot be scoped to resources and are limited to the region.
 * No DescribeTags: cluster.name is set, so the operator never looks its cluster up.
 */
export function ciliumOperatorPolicy(scope: Scope, args: { vpcId: string; cluster: string }): PolicyDocument {
    const ec2 = (resource: string) => `arn:${scope.partition}:ec2:${scope.region}:${scope.accountId}:${resource}`;
    const inVpc = { ArnEquals: { "ec2:Vpc": ec2(`vpc/${args.vpcId}`) } };
    const tagged = { StringEquals: { [`aws:ResourceTag/${CILIUM_ENI_CLUSTER_TAG}`]: args.cluster } };
    return document(
        {
            Sid: "DescribeNetworkInRegion",
            Effect: "Allow",
            Action: [
                "ec2:DescribeInstanceTypes",
                "ec2:DescribeNetworkInterfaces",
                "ec2:DescribeSubnets",
                "ec2:DescribeVpcs",
                "ec2:DescribeRouteTables",
                "ec2:DescribeSecurityGroups",
                "ec2:DescribeManagedPrefixLists",
                "ec2:GetManagedPrefixListEntries",
            ],
            Resource: "*",
            Condition: { StringEquals: { "aws:RequestedRegion": scope.region } },
        },
        {
            Sid: "CreateEniInClusterVpc",
            Effect: "Allow",
            Action: "ec2:CreateNetworkInterface",
            Resource: [ec2("subnet/*"), ec2("security-group/*")],
            Condition: inVpc,
        },
        {
            Sid: "CreateEniTaggedForCluster",
            Effect: "Allow",
            Action: "ec2:CreateNetworkInterface",
            Resource: ec2("network-interface/*"),
            Condition: { StringEquals: { [`aws:RequestTag/${CILIUM_ENI_CLUSTER_TAG}`]: args.cluster } },
        },
        {
            Sid: "TagEniOnCreate",
            Effect: "Allow",
            Action: "ec2:CreateTags",
            Resource: ec2("network-interface/*"),
            Condition: { StringEquals: { "ec2:CreateAction": "CreateNetworkInterface" } },
        },
        {
            Sid: "ManageClusterEnis",
            Effect: "Allow",
            Action: ["ec2:AttachNetworkInterface", "ec2:DeleteNetworkInterface", "ec2:ModifyNetworkInterfaceAttribute"],
            Resource: ec2("network-interface/*"),
            Condition: tagged,
        },
        {
            Sid: "AttachToInstances",
            Effect: "Allow",
            Action: "ec2:AttachNetworkInterface",
            Resource: ec2("instance/*"),
        },
        {
            Sid: "AssignPodIpsInClusterVpc",
            Effect: "Allow",
            Action: ["ec2:AssignPrivateIpAddresses", "ec2:UnassignPrivateIpAddresses"],
            Resource: ec2("network-interface/*"),
            Condition: inVpc,
        },
    );
}

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
        "node-lifecycle": document(
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
        "iam-integration": document(
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
        "eks-integration": document({
            Sid: "AllowAPIServerEndpointDiscovery",
            Effect: "Allow",
            Action: "eks:DescribeCluster",
            Resource: clusterArn(scope, args.cluster),
        }),
        interruption: document({
            Sid: "AllowInterruptionQueueActions",
            Effect: "Allow",
            Action: ["sqs:DeleteMessage", "sqs:GetQueueUrl", "sqs:ReceiveMessage"],
            Resource: args.queueArn,
        }),
        "resource-discovery": document(
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
    return document(
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

/**
 * External Secrets reads this environment's secrets in this region and nothing else: reads are
 * limited to the name prefix (never "*", so ListSecrets and BatchGetSecretValue, which AWS cannot
 * scope, are not granted and `find` lookups are unavailable), and decryption to the secrets' own
 * key when a customer-managed one is used, only through Secrets Manager.
 * Actions from the External Secrets AWS provider docs.
 */
export function externalSecretsPolicy(scope: Scope, args: { prefix: string; kmsKeyArn?: string }): PolicyDocument {
    const statements: Statement[] = [
        {
            Sid: "ReadEnvironmentSecrets",
            Effect: "Allow",
            Action: [
                "secretsmanager:GetSecretValue",
                "secretsmanager:DescribeSecret",
                "secretsmanager:ListSecretVersionIds",
                "secretsmanager:GetResourcePolicy",
            ],
            Resource: `arn:${scope.partition}:secretsmanager:${scope.region}:${scope.accountId}:secret:${args.prefix}*`,
        },
    ];
    if (args.kmsKeyArn) {
        statements.push({
            Sid: "DecryptThroughSecretsManager",
            Effect: "Allow",
            Action: "kms:Decrypt",
            Resource: args.kmsKeyArn,
            Condition: { StringEquals: { "kms:ViaService": `secretsmanager.${scope.region}.amazonaws.com` } },
        });
    }
    return document(...statements);
}

/** A bucket no one may use without TLS. */
export function tlsOnlyBucketPolicy(bucket: string, partition = "aws"): PolicyDocument {
    const arn = `arn:${partition}:s3:::${bucket}`;
    return document({
        Sid: "DenyInsecureTransport",
        Effect: "Deny",
        Principal: { AWS: "*" },
        Action: "s3:*",
        Resource: [arn, `${arn}/*`],
        Condition: { Bool: { "aws:SecureTransport": "false" } },
    });
}

/**
 * Velero with the AWS plugin: its bucket, its bucket's key (only through S3), and, when volumes
 * are backed up as EBS snapshots, the snapshot actions the plugin documents, limited to the
 * region and, for deletion, to snapshots Velero tagged. From velero-plugin-for-aws's README.
 */
export function veleroPolicy(scope: Scope, args: { bucket: string; keyArn: string; snapshots: boolean }): PolicyDocument {
    const bucket = `arn:${scope.partition}:s3:::${args.bucket}`;
    const ec2 = (resource: string, account = scope.accountId) => `arn:${scope.partition}:ec2:${scope.region}:${account}:${resource}`;
    const snapshots = ec2("snapshot/*", "");
    const statements: Statement[] = [
        {
            Sid: "BackupObjects",
            Effect: "Allow",
            Action: ["s3:GetObject", "s3:DeleteObject", "s3:PutObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"],
            Resource: `${bucket}/*`,
        },
        { Sid: "BackupBucket", Effect: "Allow", Action: "s3:ListBucket", Resource: bucket },
        {
            Sid: "BackupKeyThroughS3",
            Effect: "Allow",
            Action: ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:DescribeKey"],
            Resource: args.keyArn,
            Condition: { StringEquals: { "kms:ViaService": `s3.${scope.region}.amazonaws.com` } },
        },
    ];
    if (args.snapshots) {
        statements.push(
            {
                Sid: "DescribeVolumesInRegion",
                Effect: "Allow",
                Action: ["ec2:DescribeVolumes", "ec2:DescribeSnapshots"],
                Resource: "*",
                Condition: { StringEquals: { "aws:RequestedRegion": scope.region } },
            },
            { Sid: "SnapshotVolumes", Effect: "Allow", Action: "ec2:CreateSnapshot", Resource: ec2("volume/*") },
            {
                Sid: "CreateTaggedSnapshots",
                Effect: "Allow",
                Action: "ec2:CreateSnapshot",
                Resource: snapshots,
                Condition: { StringLike: { "aws:RequestTag/velero.io/backup": "*" } },
            },
            {
                Sid: "RestoreVolumesFromVeleroSnapshots",
                Effect: "Allow",
                Action: "ec2:CreateVolume",
                Resource: [ec2("volume/*"), snapshots],
            },
            {
                Sid: "TagOnCreate",
                Effect: "Allow",
                Action: "ec2:CreateTags",
                Resource: [ec2("volume/*"), snapshots],
                Condition: { StringEquals: { "ec2:CreateAction": ["CreateSnapshot", "CreateVolume"] } },
            },
            {
                Sid: "DeleteVeleroSnapshots",
                Effect: "Allow",
                Action: "ec2:DeleteSnapshot",
                Resource: snapshots,
                Condition: { StringLike: { "ec2:ResourceTag/velero.io/backup": "*" } },
            },
        );
    }
    return document(...statements);
}

/**
 * S3 cross-region replication of a backup bucket: read the source's versions, write replicas
 * into the destination, decrypt with the source key and encrypt with the destination key, each
 * only through S3 in its region.
 */
export function replicationPolicy(args: {
    partition: string;
    source: { bucket: string; keyArn: string; region: string };
    destination: { bucket: string; keyArn: string; region: string };
}): PolicyDocument {
    const s3 = (bucket: string) => `arn:${args.partition}:s3:::${bucket}`;
    return document(
        {
            Sid: "ReadReplicationConfiguration",
            Effect: "Allow",
            Action: ["s3:GetReplicationConfiguration", "s3:ListBucket"],
            Resource: s3(args.source.bucket),
        },
        {
            Sid: "ReadSourceVersions",
            Effect: "Allow",
            Action: ["s3:GetObjectVersionForReplication", "s3:GetObjectVersionAcl", "s3:GetObjectVersionTagging"],
            Resource: `${s3(args.source.bucket)}/*`,
        },
        {
            Sid: "WriteReplicas",
            Effect: "Allow",
            Action: ["s3:ReplicateObject", "s3:ReplicateDelete", "s3:ReplicateTags"],
            Resource: `${s3(args.destination.bucket)}/*`,
        },
        {
            Sid: "DecryptSource",
            Effect: "Allow",
            Action: "kms:Decrypt",
            Resource: args.source.keyArn,
            Condition: { StringEquals: { "kms:ViaService": `s3.${args.source.region}.amazonaws.com` } },
        },
        {
            Sid: "EncryptReplicas",
            Effect: "Allow",
            Action: ["kms:Encrypt", "kms:GenerateDataKey"],
            Resource: args.destination.keyArn,
            Condition: { StringEquals: { "kms:ViaService": `s3.${args.destination.region}.amazonaws.com` } },
        },
    );
}
