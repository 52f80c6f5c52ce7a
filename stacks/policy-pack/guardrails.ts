// The platform's guardrails as CrossGuard policies: what `pulumi preview --policy-pack` checks in
// every pull request, on the resources the engine sees (including the children @pulumi/eks
// creates: aws:eks/cluster:Cluster, aws:eks/nodeGroup:NodeGroup). Each policy also reads the
// @pulumi/eks component's inputs, which is all the offline plan has. Whether a policy blocks
// (mandatory) or warns (advisory) is set per environment in config.<stack>.json beside this file.
//
// Each check is a pure function from a resource's type and properties to violation messages.
import type { PolicyResource, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { CONTROL_PLANE_LOG_TYPES } from "../config/catalog";

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- resource properties are free-form
type Props = Record<string, any>;
type Check = (type: string, props: Props) => string[];

const EKS_COMPONENT = "eks:index:Cluster";
const EKS_CLUSTER = "aws:eks/cluster:Cluster";

/**
 * The @pulumi/eks component's inputs, when the engine shows them: a remote component may be
 * registered by its provider without them, and then its aws:eks/cluster:Cluster child is checked.
 */
const componentInputs = (props: Props): boolean => Object.keys(props).length > 0;

export const privateEndpoint: Check = (type, props) => {
    if (type === EKS_COMPONENT && componentInputs(props)) {
        // @pulumi/eks defaults endpointPublicAccess to true: it must be set, not omitted.
        return props.endpointPublicAccess === false && props.endpointPrivateAccess === true
            ? []
            : [
                  `the API endpoint must be private only (endpointPublicAccess: false, endpointPrivateAccess: true); got public ${props.endpointPublicAccess}, private ${props.endpointPrivateAccess}`,
              ];
    }
    if (type === EKS_CLUSTER) {
        const vpc = props.vpcConfig ?? {};
        return vpc.endpointPublicAccess === false && vpc.endpointPrivateAccess === true
            ? []
            : [
                  `the API endpoint must be private only (vpcConfig.endpointPublicAccess: false, endpointPrivateAccess: true); got public ${vpc.endpointPublicAccess}, private ${vpc.endpointPrivateAccess}`,
              ];
    }
    return [];
};

export const secretsEncryption: Check = (type, props) => {
    if (type === EKS_COMPONENT && componentInputs(props)) {
        return props.encryptionConfigKeyArn
            ? []
            : ["Kubernetes secrets must be envelope-encrypted with a KMS key (encryptionConfigKeyArn)"];
    }
    if (type === EKS_CLUSTER) {
        const config = props.encryptionConfig;
        return config?.provider?.keyArn && (config.resources ?? []).includes("secrets")
            ? []
            : ["Kubernetes secrets must be envelope-encrypted with a KMS key (encryptionConfig with resources [secrets])"];
    }
    return [];
};

export const controlPlaneLogging: Check = (type, props) => {
    if ((type === EKS_COMPONENT && componentInputs(props)) || type === EKS_CLUSTER) {
        const enabled: string[] = props.enabledClusterLogTypes ?? [];
        const missing = CONTROL_PLANE_LOG_TYPES.filter((log) => !enabled.includes(log));
        return missing.length === 0 ? [] : [`control-plane logs ${missing.join(", ")} must be enabled (enabledClusterLogTypes)`];
    }
    return [];
};

const imdsProblems = (options: Props | undefined, where: string): string[] => {
    const tokens = options?.httpTokens;
    const hops = options?.httpPutResponseHopLimit;
    return tokens === "required" && hops === 1
        ? []
        : [
              `${where} must require IMDSv2 with a hop limit of 1, so pods cannot use the node's role (httpTokens "required", httpPutResponseHopLimit 1); got ${JSON.stringify(tokens)}, ${JSON.stringify(hops)}`,
          ];
};

export const imdsv2: Check = (type, props) => {
    switch (type) {
        case "aws:ec2/launchTemplate:LaunchTemplate":
            return imdsProblems(props.metadataOptions, "the launch template");
        case "kubernetes:karpenter.k8s.aws/v1:EC2NodeClass":
            return imdsProblems(props.spec?.metadataOptions, "the EC2NodeClass");
        case "aws:eks/nodeGroup:NodeGroup":
            // Without a launch template EKS applies its own, with a hop limit of 2.
            return !componentInputs(props) || props.launchTemplate
                ? []
                : ["a managed node group must use a launch template (EKS's default one allows a hop limit of 2)"];
        default:
            return [];
    }
};

/**
 * Actions that read or change data, credentials or compute, so that `"Resource": "*"` on them
 * needs a condition. Describe, List and the other Get calls are metadata, which AWS often cannot
 * scope to a resource.
 */
const SENSITIVE_READS =
    /^(secretsmanager:GetSecretValue|ssm:GetParameters?|ssm:GetParametersByPath|s3:GetObject.*|kms:Get(ParametersForImport|PublicKey))$/i;
const READ_ONLY = /^[a-z0-9-]+:(Describe|List|Get)[A-Za-z]*$/i;
const ADMIN_POLICIES = /^arn:aws[a-z-]*:iam::aws:policy\/(AdministratorAccess|PowerUserAccess|IAMFullAccess|[A-Za-z0-9]+FullAccess)$/;

interface Statement {
    Effect?: string;
    Action?: string | string[];
    NotAction?: string | string[];
    Resource?: string | string[];
    NotResource?: string | string[];
    Condition?: Record<string, unknown>;
    Sid?: string;
}

const list = (value: string | string[] | undefined): string[] => (value === undefined ? [] : Array.isArray(value) ? value : [value]);

/** Problems of one identity-policy document (JSON text or object). */
export function policyDocumentProblems(document: unknown): string[] {
    let parsed: { Statement?: Statement | Statement[] };
    try {
        parsed = (typeof document === "string" ? JSON.parse(document) : document) as typeof parsed;
    } catch {
        return ["the policy is not valid JSON"];
    }
    const problems: string[] = [];
    const statements = parsed?.Statement === undefined ? [] : Array.isArray(parsed.Statement) ? parsed.Statement : [parsed.Statement];
    for (const [i, statement] of statements.entries()) {
        if (statement.Effect !== "Allow") continue;
        const name = statement.Sid ?? `Statement[${i}]`;
        if (statement.NotAction !== undefined) problems.push(`${name}: Allow with NotAction grants every other action`);
        const wildcard = list(statement.Action).filter((action) => action === "*" || /^[a-z0-9-]+:\*$/i.test(action));
        if (wildcard.length > 0) problems.push(`${name}: wildcard action ${wildcard.join(", ")}`);
        const unscoped = list(statement.Resource).includes("*") || statement.NotResource !== undefined;
        if (unscoped && statement.Condition === undefined) {
            const sensitive = list(statement.Action).filter((action) => !READ_ONLY.test(action) || SENSITIVE_READS.test(action));
            if (sensitive.length > 0) problems.push(`${name}: ${sensitive.join(", ")} on every resource ("*") without a condition`);
        }
    }
    return problems;
}

export const leastPrivilege: Check = (type, props) => {
    switch (type) {
        case "aws:iam/rolePolicy:RolePolicy":
        case "aws:iam/policy:Policy":
        case "aws:iam/userPolicy:UserPolicy":
        case "aws:iam/groupPolicy:GroupPolicy":
            return policyDocumentProblems(props.policy);
        case "aws:iam/role:Role":
            return (props.inlinePolicies ?? []).flatMap((inline: Props) =>
                policyDocumentProblems(inline.policy).map((p) => `inline policy ${inline.name}: ${p}`),
            );
        case "aws:iam/rolePolicyAttachment:RolePolicyAttachment":
        case "aws:iam/policyAttachment:PolicyAttachment":
            return ADMIN_POLICIES.test(String(props.policyArn)) ? [`${props.policyArn} grants far more than a platform role needs`] : [];
        default:
            return [];
    }
};

/** The chart version forms Helm resolves to exactly one release. */
const EXACT_VERSION = /^v?\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$/;
const HELM_TYPES = new Set(["kubernetes:helm.sh/v3:Release", "kubernetes:helm.sh/v3:Chart", "kubernetes:helm.sh/v4:Chart"]);

export const chartPinned: Check = (type, props) => {
    if (!HELM_TYPES.has(type)) return [];
    const problems: string[] = [];
    if (typeof props.version !== "string" || !EXACT_VERSION.test(props.version)) {
        problems.push(`chart ${props.chart} must be pinned to an exact version; got ${JSON.stringify(props.version)}`);
    }
    const repo = props.repositoryOpts?.repo;
    if (repo !== undefined && !/^(https|oci):\/\//.test(String(repo)))
        problems.push(`chart ${props.chart} must come from an https or oci repository; got ${repo}`);
    return problems;
};

/** Keys whose value is a credential itself (not the name of a Secret holding one). */
const SECRET_KEY =
    /(password|passwd|passphrase|token|api_?key|private_?key|secret_?access_?key|client_?secret|webhook_?url|slack_api_url)$|^secret$/i;
/** Credentials recognisable by their form, wherever they appear. */
const SECRET_VALUE: ReadonlyArray<[string, RegExp]> = [
    ["an AWS access key ID", /\b(AKIA|ASIA)[0-9A-Z]{16}\b/],
    ["a private key", /-----BEGIN [A-Z ]*PRIVATE KEY-----/],
    ["a Slack webhook", /hooks\.slack\.com\/services\//],
    ["a Slack token", /\bxox[abprs]-[0-9A-Za-z-]{10,}/],
    ["a GitHub token", /\b(gh[pousr]_[0-9A-Za-z]{30,}|github_pat_[0-9A-Za-z_]{30,})/],
    ["a bearer token", /\bBearer\s+[0-9A-Za-z._~+/-]{20,}/],
];

/** Where Helm values carry a credential in plain text: by key name or by the value's form. */
export function plaintextSecretsIn(values: unknown, path = "values"): string[] {
    if (Array.isArray(values)) return values.flatMap((item, i) => plaintextSecretsIn(item, `${path}[${i}]`));
    if (values !== null && typeof values === "object") {
        return Object.entries(values).flatMap(([key, value]) => {
            const where = `${path}.${key}`;
            if (typeof value === "string" && value !== "" && SECRET_KEY.test(key) && !/^existing/i.test(key)) {
                return [`${where} holds a credential in plain text; reference a Kubernetes Secret (synced by External Secrets) instead`];
            }
            return plaintextSecretsIn(value, where);
        });
    }
    if (typeof values === "string") {
        return SECRET_VALUE.filter(([, pattern]) => pattern.test(values)).map(([what]) => `${path} contains ${what}`);
    }
    return [];
}

export const noSecretsInValues: Check = (type, props) => (HELM_TYPES.has(type) ? plaintextSecretsIn(props.values ?? {}) : []);

const BUCKET_TYPES = new Set(["aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2"]);

/** What each bucket needs beside it, and how to tell that a companion resource provides it. */
const BUCKET_GUARDS: ReadonlyArray<{ what: string; types: string[]; ok: (props: Props) => boolean }> = [
    {
        what: "default encryption with KMS",
        types: [
            "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
            "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2",
        ],
        ok: (props) =>
            (props.rules ?? []).some((rule: Props) => String(rule.applyServerSideEncryptionByDefault?.sseAlgorithm).startsWith("aws:kms")),
    },
    {
        what: "versioning enabled",
        types: ["aws:s3/bucketVersioning:BucketVersioning", "aws:s3/bucketVersioningV2:BucketVersioningV2"],
        ok: (props) => props.versioningConfiguration?.status === "Enabled",
    },
    {
        what: "every public access block on",
        types: ["aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"],
        ok: (props) =>
            ["blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"].every((flag) => props[flag] === true),
    },
];

/** Buckets without encryption, versioning or a full public access block, by bucket URN. */
export function bucketProblems(resources: readonly PolicyResource[]): Array<{ urn: string; message: string }> {
    const buckets = resources.filter((r) => BUCKET_TYPES.has(r.type));
    return buckets.flatMap((bucket) => {
        const belongs = (r: PolicyResource) =>
            (bucket.props.bucket !== undefined && r.props.bucket === bucket.props.bucket) ||
            r.dependencies.some((d) => d.urn === bucket.urn);
        const missing = BUCKET_GUARDS.filter(
            (guard) => !resources.some((r) => guard.types.includes(r.type) && belongs(r) && guard.ok(r.props)),
        );
        return missing.length === 0
            ? []
            : [{ urn: bucket.urn, message: `bucket ${bucket.props.bucket ?? bucket.name} lacks ${missing.map((m) => m.what).join(", ")}` }];
    });
}

const resourcePolicy = (name: string, description: string, check: Check): ResourceValidationPolicy => ({
    name,
    description,
    validateResource: (args, reportViolation) => check(args.type, args.props).forEach((message) => reportViolation(message)),
});

/** Every guardrail, in the order the README lists them. */
export const GUARDRAILS: Array<ResourceValidationPolicy | StackValidationPolicy> = [
    resourcePolicy("eks-private-endpoint", "EKS API endpoints are reachable from the VPC only", privateEndpoint),
    resourcePolicy("eks-secrets-encryption", "Kubernetes secrets are envelope-encrypted with a KMS key", secretsEncryption),
    resourcePolicy("eks-control-plane-logging", "Every control-plane log type goes to CloudWatch", controlPlaneLogging),
    resourcePolicy("imdsv2-hop-limit-1", "Nodes require IMDSv2 with a hop limit of 1", imdsv2),
    resourcePolicy(
        "iam-least-privilege",
        "No wildcard IAM actions, no sensitive action on every resource without a condition, no admin managed policies",
        leastPrivilege,
    ),
    {
        name: "s3-bucket-protected",
        description: "Every bucket is KMS-encrypted, versioned and blocks public access",
        validateStack: (args, reportViolation) =>
            bucketProblems(args.resources).forEach(({ urn, message }) => reportViolation(message, urn)),
    },
    resourcePolicy("helm-chart-pinned", "Every Helm chart is pinned to an exact version from an https or oci repository", chartPinned),
    resourcePolicy("helm-values-no-plaintext-secrets", "No credential appears in plain text in Helm values", noSecretsInValues),
];
