// Key policies of the platform's KMS keys: IAM decides who uses a key, and a service is granted
// a key only for the resources it encrypts.
import { type PolicyDocument, type Scope, type Statement, logGroupArn, policyDocument } from "../shared/iam";

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
    return policyDocument(rootStatement(scope));
}

/**
 * Key policy of the log encryption key: CloudWatch Logs may use it only for the named log
 * groups. https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html
 */
export function logsKeyPolicy(scope: Scope, logGroups: readonly string[]): PolicyDocument {
    return policyDocument(rootStatement(scope), {
        Sid: "CloudWatchLogsEncryptsTheseGroups",
        Effect: "Allow",
        Principal: { Service: `logs.${scope.region}.amazonaws.com` },
        Action: ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
        Resource: "*",
        Condition: { ArnEquals: { "kms:EncryptionContext:aws:logs:arn": logGroups.map((group) => logGroupArn(scope, group)) } },
    });
}

/** What EC2 does with a volume key on a launcher's behalf: create, attach and read the volumes. */
const VOLUME_ACTIONS = ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"];

/**
 * Key policy of the node volumes key (root volumes of managed node groups and Karpenter nodes).
 * Nodes are launched by two principals, neither of which calls KMS itself for the volume: EC2
 * does, on their behalf, and needs each granted here or the instance is terminated at launch with
 * only `Client.InvalidKMSKey.InvalidState` to show for it.
 * - Managed node groups launch through their Auto Scaling group, as the Auto Scaling
 *   service-linked role: it uses the key and creates grants for the attached volumes
 *   (https://docs.aws.amazon.com/autoscaling/ec2/userguide/key-policy-requirements-EBS-encryption.html).
 * - Karpenter launches with EC2 Fleet (`instant`) as its controller role, through EC2
 *   (https://github.com/aws/karpenter-provider-aws/issues/1407).
 * The principals are matched by ARN in conditions, not named as principals, so the policy is valid
 * before the service-linked role or the controller role exist.
 */
export function volumesKeyPolicy(scope: Scope, karpenterControllerRole: string): PolicyDocument {
    const account = { "kms:CallerAccount": scope.accountId };
    const autoScaling = `arn:${scope.partition}:iam::${scope.accountId}:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling`;
    const karpenter = `arn:${scope.partition}:iam::${scope.accountId}:role/${karpenterControllerRole}`;
    return policyDocument(
        rootStatement(scope),
        {
            Sid: "ManagedNodeGroupsLaunchThroughAutoScaling",
            Effect: "Allow",
            Principal: { AWS: "*" },
            Action: VOLUME_ACTIONS,
            Resource: "*",
            Condition: { StringEquals: account, ArnEquals: { "aws:PrincipalArn": autoScaling } },
        },
        {
            Sid: "AutoScalingAttachesVolumes",
            Effect: "Allow",
            Principal: { AWS: "*" },
            Action: "kms:CreateGrant",
            Resource: "*",
            Condition: {
                StringEquals: account,
                ArnEquals: { "aws:PrincipalArn": autoScaling },
                Bool: { "kms:GrantIsForAWSResource": "true" },
            },
        },
        {
            Sid: "KarpenterLaunchesThroughEc2",
            Effect: "Allow",
            Principal: { AWS: "*" },
            Action: [...VOLUME_ACTIONS, "kms:CreateGrant"],
            Resource: "*",
            Condition: {
                StringEquals: { ...account, "kms:ViaService": `ec2.${scope.region}.amazonaws.com` },
                ArnEquals: { "aws:PrincipalArn": karpenter },
            },
        },
    );
}
