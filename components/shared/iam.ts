// The building blocks of every IAM and KMS policy document: the document types, the ARNs of a
// cluster's scope, and the trust policies that roles share. Each component keeps its own policy
// documents in a policies.ts beside it, built by pure functions from ARNs the component knows, so
// that each can be unit-tested without a Pulumi runtime. `"*"` appears only as the resource of
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

export const policyDocument = (...statements: Statement[]): PolicyDocument => ({ Version: "2012-10-17", Statement: statements });

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
    return policyDocument({
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
    return policyDocument({
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
