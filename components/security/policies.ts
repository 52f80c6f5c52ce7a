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
