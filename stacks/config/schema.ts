// The shape of a stack file's `platform:` settings. Field rules that need only the field itself
// live here; rules that compare fields (overlaps, ordering, derived names) live in validate.ts.
// Every field carries a description: the README's configuration reference is generated from it.
import { z } from "zod";
import { ADDONS, CHARTS, INSTANCE_SIZES, LOG_RETENTION_DAYS } from "./catalog";
import { isCidr, parseCidr } from "./cidr";

const described = <T extends z.ZodType>(schema: T, description: string): T => schema.meta({ description });

const cidr = z.string().superRefine((text, ctx) => {
    const parsed = parseCidr(text);
    if (!isCidr(parsed)) ctx.addIssue({ code: "custom", message: parsed.error });
});

const retentionDays = z
    .number()
    .int()
    .refine((days) => (LOG_RETENTION_DAYS as readonly number[]).includes(days), {
        message: `must be a CloudWatch Logs retention period (${LOG_RETENTION_DAYS.join(", ")})`,
    });

/** AWS tag values: letters, digits, spaces and _ . : / = + - @, at most 256 characters. */
const tagValue = z
    .string()
    .max(256)
    .regex(/^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u, "not a valid AWS tag value");
const tagKey = z
    .string()
    .min(1)
    .max(128)
    .regex(/^[\p{L}\p{Z}\p{N}_.:/=+\-@]+$/u, "not a valid AWS tag key")
    .refine((key) => !key.toLowerCase().startsWith("aws:"), { message: "tag keys starting with aws: are reserved" });

/**
 * EC2 instance type: family with a generation digit (m7i, c6gn, r7iz, u-6tb1, m7i-flex), then a
 * size (large, 2xlarge, metal, metal-24xl).
 */
const INSTANCE_TYPE = /^[a-z][a-z0-9]*(-[a-z0-9]+)?\.(nano|micro|small|medium|large|\d*xlarge|metal(-\d+xl)?)$/;
const instanceType = z
    .string()
    .regex(INSTANCE_TYPE, "not an EC2 instance type such as m7i.large")
    .refine((type) => /\d/.test(type.split(".")[0]), { message: "not an EC2 instance type: the family has no generation" });

/** Kubernetes label keys and values (https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/). */
const labelKey = z
    .string()
    .regex(
        /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/,
        "not a Kubernetes label key",
    );
const labelValue = z.string().regex(/^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/, "not a Kubernetes label value");

const taint = z.strictObject({
    key: described(labelKey, "Taint key"),
    value: described(labelValue.optional(), "Taint value"),
    effect: described(z.enum(["NO_SCHEDULE", "NO_EXECUTE", "PREFER_NO_SCHEDULE"]), "Taint effect"),
});

const size = z.number().int();

const nodeGroup = (defaults: { instanceTypes: string[]; minSize: number; desiredSize: number; maxSize: number }) =>
    z.strictObject({
        instanceTypes: described(
            z.array(instanceType).min(1).max(20).default(defaults.instanceTypes),
            "EC2 instance types, all of one architecture",
        ),
        architecture: described(z.enum(["x86_64", "arm64"]).default("x86_64"), "CPU architecture; selects the AL2023 AMI type"),
        capacityType: described(z.enum(["ON_DEMAND", "SPOT"]).default("ON_DEMAND"), "ON_DEMAND or SPOT (system must be ON_DEMAND)"),
        minSize: described(size.default(defaults.minSize), "Minimum node count"),
        desiredSize: described(size.default(defaults.desiredSize), "Node count at creation; later changes by autoscaling are kept"),
        maxSize: described(size.default(defaults.maxSize), "Maximum node count"),
        diskSizeGiB: described(z.number().int().min(20).max(16384).default(50), "Encrypted gp3 root volume size in GiB"),
        labels: described(z.record(labelKey, labelValue).default({}), "Extra Kubernetes node labels"),
        taints: described(z.array(taint).default([]), "Extra taints, added to the platform's own"),
    });
export type NodeGroupSettings = z.output<ReturnType<typeof nodeGroup>>;

/** A container image with an explicit tag (never latest) or digest. */
const image = z
    .string()
    .regex(
        /^([a-z0-9.-]+(:\d+)?\/)?[a-z0-9._/-]+(:[A-Za-z0-9._-]+|@sha256:[a-f0-9]{64})$/,
        "must be an image with a tag or digest, e.g. velero/velero-plugin-for-aws:v1.14.0",
    )
    .refine((ref) => !ref.endsWith(":latest"), { message: "must not use the latest tag" });

const exactVersion = described(
    z.string().regex(/^\d+\.\d+\.\d+$/, "must be an exact chart version such as 1.20.0 (no ranges, no latest)"),
    "Exact chart version",
);
const addonVersion = described(
    z.string().regex(/^v\d+\.\d+\.\d+-eksbuild\.\d+$/, "must be an exact EKS add-on version such as v1.14.3-eksbuild.3"),
    "Exact EKS add-on version",
);

const versions = z.strictObject({
    kubernetes: described(
        z
            .string({
                error: (issue) =>
                    issue.input === undefined
                        ? "required"
                        : `must be a quoted string such as "1.35"; YAML reads an unquoted ${String(issue.input)} as a number`,
            })
            .regex(/^1\.\d{2}$/, 'must be a Kubernetes minor such as "1.35"'),
        'Kubernetes minor of the control plane and nodes, quoted ("1.35")',
    ),
    nodeAmiRelease: described(
        z.string().regex(/^1\.\d{2}\.\d+-\d{8}$/, "must be an EKS AL2023 AMI release such as 1.35.6-20260714"),
        "EKS-optimized AL2023 AMI release, e.g. 1.35.6-20260714 (Kubernetes patch, build date): managed node groups and Karpenter's al2023 nodes",
    ),
    images: described(
        z.strictObject({
            veleroAwsPlugin: described(image, "Velero's AWS plugin image"),
            restoreDrill: described(image, "Image of the restore drill job: a shell with kubectl"),
        }),
        "Images the platform runs directly, not through a chart's defaults",
    ),
    bottlerocketRelease: described(
        z
            .string()
            .regex(/^\d+\.\d+\.\d+$/, "must be a Bottlerocket release such as 1.49.0")
            .optional(),
        "Bottlerocket release of Karpenter's bottlerocket node classes",
    ),
    charts: described(
        z.strictObject(
            Object.fromEntries(Object.keys(CHARTS).map((name) => [name, exactVersion])) as Record<keyof typeof CHARTS, typeof exactVersion>,
        ),
        `Exact Helm chart versions: ${Object.keys(CHARTS).join(", ")}`,
    ),
    addons: described(
        z.strictObject(
            Object.fromEntries(ADDONS.map((name) => [name, addonVersion])) as Record<(typeof ADDONS)[number], typeof addonVersion>,
        ),
        `Exact EKS add-on versions: ${ADDONS.join(", ")}`,
    ),
});

/** Karpenter durations: hours, minutes, seconds (Go syntax without days), e.g. "720h" or "1h30m". */
const duration = z.string().regex(/^([0-9]+(s|m|h))+$/, 'must be a duration in hours, minutes or seconds such as "720h" (no days)');
const expiry = z.string().regex(/^(([0-9]+(s|m|h))+|Never)$/, 'must be a duration such as "720h" (no days) or "Never"');

const nodeClass = z.strictObject({
    os: described(z.enum(["al2023", "bottlerocket"]).default("al2023"), "Node OS; the AMI release comes from the version lock"),
    diskSizeGiB: described(
        z.number().int().min(20).max(16384).default(100),
        "Encrypted gp3 volume size in GiB (Bottlerocket: the data volume)",
    ),
});
export type NodeClassSettings = z.output<typeof nodeClass>;

const k8sTaint = z.strictObject({
    key: described(labelKey, "Taint key"),
    value: described(labelValue.optional(), "Taint value"),
    effect: described(z.enum(["NoSchedule", "NoExecute", "PreferNoSchedule"]), "Taint effect"),
});

const pool = z.strictObject({
    nodeClass: described(z.string().default("default"), "Name of the node class (karpenter.nodeClasses) the pool launches"),
    capacityType: described(z.enum(["spot", "on-demand"]), "spot or on-demand"),
    categories: described(
        z
            .array(z.enum(["c", "m", "r"]))
            .min(1)
            .default(["c", "m", "r"]),
        "Instance categories (compute, general, memory)",
    ),
    families: described(
        z
            .array(z.string().regex(/^[a-z][a-z0-9-]*$/, "not an instance family such as m7i"))
            .min(1)
            .optional(),
        "Only these instance families; default: every family of the categories",
    ),
    minFamilies: described(
        z.number().int().min(1).default(4),
        "Fewest instance families each launch decision must consider (spot diversification)",
    ),
    minGeneration: described(z.number().int().min(1).default(6), "Oldest instance generation"),
    sizes: described(
        z
            .array(z.enum(Object.keys(INSTANCE_SIZES) as [string, ...string[]]))
            .min(1)
            .default(["large", "xlarge", "2xlarge", "4xlarge"]),
        "Instance sizes",
    ),
    architectures: described(
        z
            .array(z.enum(["amd64", "arm64"]))
            .min(1)
            .default(["amd64"]),
        "CPU architectures",
    ),
    limits: described(
        z.strictObject({
            cpu: described(z.number().int().positive(), "Total vCPUs the pool may run"),
            memoryGiB: described(z.number().int().positive(), "Total memory the pool may run, GiB"),
        }),
        "Ceiling of the pool's capacity",
    ),
    weight: described(z.number().int().min(1).max(100).optional(), "Priority among pools that fit a pod; higher is tried first"),
    labels: described(z.record(labelKey, labelValue).default({}), "Node labels"),
    taints: described(
        z.array(k8sTaint).default([]),
        "Node taints (NoSchedule, NoExecute, PreferNoSchedule), besides Cilium's startup taint",
    ),
    consolidationPolicy: described(
        z.enum(["WhenEmpty", "WhenEmptyOrUnderutilized"]).default("WhenEmptyOrUnderutilized"),
        "When Karpenter may replace or remove nodes",
    ),
    consolidateAfter: described(duration.default("1m"), "How long a node must be consolidatable first"),
    disruptionBudget: described(
        z
            .string()
            .regex(/^((100|[0-9]{1,2})%|[0-9]+)$/, 'must be a node count or percentage such as "10%"')
            .default("10%"),
        "Most nodes disrupted at once",
    ),
    expireAfter: described(expiry.optional(), "Node lifetime; default karpenter.expireAfter"),
    terminationGracePeriod: described(duration.default("24h"), "Longest a draining node waits for its pods before it is terminated"),
});
export type PoolSettings = z.output<typeof pool>;

const DEFAULT_POOLS: Record<string, z.input<typeof pool>> = {
    "spot-general": { capacityType: "spot", limits: { cpu: 200, memoryGiB: 800 }, weight: 100 },
    "spot-batch": {
        capacityType: "spot",
        limits: { cpu: 100, memoryGiB: 400 },
        weight: 100,
        labels: { "platform/workload": "batch" },
        taints: [{ key: "platform/workload", value: "batch", effect: "NoSchedule" }],
    },
    "on-demand-fallback": { capacityType: "on-demand", limits: { cpu: 100, memoryGiB: 400 }, weight: 10 },
};

const karpenter = z.strictObject({
    expireAfter: described(expiry.default("720h"), "Default node lifetime of every pool"),
    quietHours: described(
        z
            .strictObject({
                schedule: described(
                    z
                        .string()
                        .regex(
                            /^(@(annually|yearly|monthly|weekly|daily|midnight|hourly))|(\S+\s\S+\s\S+\s\S+\s\S+)$/,
                            'must be a cron schedule (UTC) such as "0 8 * * 1-5"',
                        ),
                    "Start of the window, cron in UTC",
                ),
                duration: described(duration, "Length of the window"),
            })
            .optional(),
        "A daily window without voluntary disruption (consolidation, drift) in every pool",
    ),
    nodeClasses: described(
        z.record(z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, "must be a DNS label"), nodeClass).prefault({ default: {} }),
        "EC2NodeClasses by name",
    ),
    pools: described(
        z
            .record(
                z
                    .string()
                    .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, "must be a DNS label")
                    .max(63),
                pool,
            )
            .prefault(DEFAULT_POOLS),
        "NodePools by name; replaces the default pools when given",
    ),
});

const action = z.enum(["Enforce", "Audit"]);
export type PolicyAction = z.output<typeof action>;
const dnsLabel = z
    .string()
    .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, "must be a DNS label")
    .max(63);
const httpsUrl = z.string().regex(/^https:\/\/[a-z0-9.-]+(:\d+)?(\/[^\s]*)?$/, "must be an https:// URL");
/** A Secrets Manager secret name: letters, digits and /_+=.@- (https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_CreateSecret.html). */
const secretName = z.string().regex(/^[A-Za-z0-9/_+=.@-]{1,512}$/, "not a Secrets Manager secret name");

const secrets = z.strictObject({
    prefix: described(
        z
            .string()
            .regex(/^[A-Za-z0-9/_+=.@-]+\/$/, 'must be a secret name prefix ending in "/"')
            .optional(),
        'Secrets Manager name prefix this environment may read; default the environment name and "/"',
    ),
    kmsKeyArn: described(
        z
            .string()
            .regex(/^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[a-f0-9-]+$/, "not a KMS key ARN")
            .optional(),
        "Customer-managed key the secrets are encrypted with; External Secrets may decrypt with it only",
    ),
    allowedNamespaces: described(
        z.array(dnsLabel).default([]),
        "Namespaces besides the platform's own that may use the ClusterSecretStore",
    ),
    allowedNamespacePatterns: described(
        z.array(z.string().min(1)).default([]),
        "Regular expressions of further namespaces that may use it, e.g. ^team-",
    ),
});

const gitRepository = z
    .string()
    .regex(/^(https:\/\/[^\s]+|[a-z0-9._-]+@[a-z0-9.-]+:[^\s]+|ssh:\/\/[^\s]+)$/, "must be an https://, ssh:// or user@host: Git URL");

const gitops = z.strictObject({
    url: described(httpsUrl, "Argo CD's own URL (the SSO redirect target)"),
    repository: described(
        z.strictObject({
            url: described(gitRepository, "GitOps repository"),
            revision: described(z.string().min(1).default("main"), "Branch, tag or commit to follow"),
            path: described(
                z
                    .string()
                    .regex(/^[A-Za-z0-9._{}/-]+$/, "must be a repository path")
                    .default("clusters/{environment}/{region}"),
                "Folder of this cluster's applications ({environment} and {region} are filled in); one Application per subfolder",
            ),
            credentialsSecretName: described(
                secretName,
                "Secrets Manager secret with the repository credentials (sshPrivateKey, or username and password)",
            ),
        }),
        "Where this cluster's applications come from",
    ),
    sso: described(
        z
            .strictObject({
                issuer: described(httpsUrl, "OIDC issuer URL"),
                clientId: described(z.string().min(1), "OIDC client ID"),
                clientSecretName: described(secretName, "Secrets Manager secret holding the OIDC client secret (property clientSecret)"),
                adminGroups: described(z.array(z.string().min(1)).min(1), "Identity-provider groups that administer Argo CD"),
                scopes: described(z.array(z.string().min(1)).default(["openid", "profile", "email", "groups"]), "OIDC scopes requested"),
            })
            .optional(),
        "Single sign-on; when set, Argo CD's local admin is disabled",
    ),
    requireSso: described(z.boolean().default(true), "Refuse a stack without SSO"),
    teams: described(
        z
            .strictObject({
                sourceRepos: described(z.array(z.string().min(1)).default([]), "Repositories (globs) team applications may come from"),
                namespacePrefix: described(
                    z
                        .string()
                        .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?-$/, 'must be a DNS label prefix ending in "-"')
                        .default("team-"),
                    "Team applications deploy only to namespaces with this prefix",
                ),
            })
            .prefault({}),
        "The teams AppProject",
    ),
});

const policies = z.strictObject({
    podSecurity: described(action.default("Enforce"), "Pod Security Standards restricted (upstream kyverno-policies chart)"),
    disallowLatestTag: described(action.default("Enforce"), "Images must be pinned by tag or digest, never :latest"),
    requireResources: described(action.default("Enforce"), "CPU and memory requests and a memory limit on every container"),
    requireProbes: described(action.default("Audit"), "Readiness and liveness probes on every container"),
    allowedRegistries: described(
        z.strictObject({
            action: described(action.default("Enforce"), "Enforce or Audit"),
            registries: described(
                z
                    .array(
                        z
                            .string()
                            .regex(
                                /^[a-z0-9.-]+(:\d+)?(\/[a-z0-9._/-]+)?$/,
                                "must be a registry host, optionally with a path, without scheme or wildcard",
                            ),
                    )
                    .min(1),
                "Registries (host or host/path) images may come from",
            ),
        }),
        "Image registry allowlist",
    ),
    defaultDenyNetworkPolicy: described(
        z.boolean().default(true),
        "Give every new non-platform namespace a default-deny NetworkPolicy and a DNS egress allowance",
    ),
});

/** Prometheus TSDB size, e.g. "45GB". */
const storageSize = z.string().regex(/^\d+(MB|GB|TB)$/, 'must be a size such as "45GB"');

const monitoring = z.strictObject({
    retention: described(
        z
            .string()
            .regex(/^\d+(h|d|w|y)$/, 'must be a Prometheus duration such as "15d"')
            .default("15d"),
        "How long Prometheus keeps samples",
    ),
    retentionSize: described(
        storageSize.default("45GB"),
        "Most disk Prometheus uses before dropping the oldest samples; below the volume size",
    ),
    volumeSizeGiB: described(z.number().int().min(10).max(16384).default(50), "Size of each Prometheus gp3 volume"),
    apiServerAvailability: described(
        z.number().gt(0.9).lt(1).default(0.999),
        "API server availability objective for the error-budget alerts",
    ),
    runbookUrl: described(httpsUrl, "Base URL of the runbooks; each alert links to <base>/<alert name>"),
    grafanaAdminSecretName: described(secretName, "Secrets Manager secret with Grafana's admin-user and admin-password"),
    pagingWebhookSecretName: described(secretName, "Secrets Manager secret whose url property receives critical alerts (paging)"),
    chatWebhookSecretName: described(secretName, "Secrets Manager secret whose url property receives warnings (chat)"),
});

const schedule = z.strictObject({
    cron: described(z.string().regex(/^(\S+\s){4}\S+$/, 'must be a cron schedule such as "0 3 * * *"'), "When the backup runs (UTC)"),
    ttl: described(duration, "How long the backup is kept, e.g. 720h"),
});

const backups = z.strictObject({
    schedules: described(
        z.record(dnsLabel, schedule).prefault({ daily: { cron: "0 3 * * *", ttl: "720h" } }),
        "Backup schedules by name; at least a daily full backup",
    ),
    volumes: described(
        z.enum(["snapshots", "fileSystem"]).default("snapshots"),
        "Volume backups: EBS snapshots, or file copies by the node agent",
    ),
    crossRegion: described(
        z.boolean().default(false),
        "Replicate each region's backups to the next region of the stack (the last to the first)",
    ),
    drill: described(
        z
            .strictObject({
                cron: described(
                    z
                        .string()
                        .regex(/^(\S+\s){4}\S+$/, "must be a cron schedule")
                        .default("0 5 * * 0"),
                    "When the restore drill runs (UTC); weekly by default",
                ),
            })
            .prefault({}),
        "The restore drill",
    ),
});

const roleArn = z
    .string()
    .regex(
        /^arn:aws[a-z-]*:iam::\d{12}:role\/([\w+=,.@-]+\/)*[\w+=,.@-]{1,64}$/,
        "not an IAM role ARN (arn:aws:iam::<account>:role/<path/><name>)",
    );

const endpoint = z.discriminatedUnion("public", [
    z.strictObject({ public: z.literal(false) }),
    z.strictObject({
        public: z.literal(true),
        allowedCidrs: described(
            z.array(cidr).min(1, "a public endpoint needs an explicit CIDR allowlist"),
            "CIDRs allowed to reach the public endpoint",
        ),
    }),
]);

const cluster = z.strictObject({
    endpoint: described(
        endpoint.default({ public: false }),
        "API endpoint: { public: false } (private only) or { public: true, allowedCidrs: [...] }; the private endpoint is always on",
    ),
    logRetentionDays: described(retentionDays.default(365), "Retention of the control-plane log group"),
    deletionProtection: described(z.boolean().default(true), "EKS deletion protection on the cluster"),
    supportType: described(
        z.enum(["STANDARD", "EXTENDED"]).default("STANDARD"),
        "EKS upgrade policy: STANDARD upgrades at end of standard support; EXTENDED pays for extended support",
    ),
    access: described(
        z
            .strictObject({
                admins: described(z.array(roleArn).default([]), "IAM roles granted AmazonEKSClusterAdminPolicy"),
                viewers: described(z.array(roleArn).default([]), "IAM roles granted AmazonEKSViewPolicy"),
            })
            .prefault({}),
        "Access entries (API authentication mode; nothing is mapped to system:masters)",
    ),
});

const natGateways = z.enum(["perAz", "single"]);

const network = z.strictObject({
    availabilityZones: described(z.number().int().min(1).max(6).default(3), "Availability Zones per region"),
    minAvailabilityZones: described(z.number().int().min(2, "must be at least 2").default(2), "Fewest Availability Zones a region may use"),
    natGateways: described(natGateways.default("perAz"), "perAz (one NAT gateway per zone) or single"),
    flowLogRetentionDays: described(retentionDays.default(365), "Retention of the VPC flow log group"),
});

const subnetId = z.string().regex(/^subnet-[0-9a-f]{8,17}$/, "not a subnet ID");

const existingVpc = z.strictObject({
    vpcId: described(z.string().regex(/^vpc-[0-9a-f]{8,17}$/, "not a VPC ID"), "ID of the VPC"),
    privateSubnetIds: described(z.array(subnetId).min(1), "Private subnets for nodes, pods and the control plane, one per zone"),
    publicSubnetIds: described(z.array(subnetId).default([]), "Public subnets for internet-facing load balancers"),
});

const region = z.strictObject({
    region: described(z.string(), "AWS region code"),
    vpcCidr: described(cidr, "VPC CIDR (/16 to /19). Pods take addresses from it (Cilium ENI mode)"),
    serviceCidr: described(cidr, "Kubernetes service range: RFC 1918, /12 to /24, outside every VPC of the stack"),
    ciliumClusterId: described(z.number().int(), "Cilium cluster ID, 1..127, unique across the fleet"),
    clusterName: described(z.string().optional(), "EKS cluster name; default name-environment-region"),
    availabilityZones: described(z.number().int().min(1).max(6).optional(), "Overrides network.availabilityZones"),
    natGateways: described(natGateways.optional(), "Overrides network.natGateways"),
    existingVpc: described(existingVpc.optional(), "Use this VPC instead of creating one (vpcCidr must be its primary CIDR)"),
});

/** A stack name as `pulumi stack` accepts it. */
const stackName = z.string().regex(/^[A-Za-z0-9_.-]+$/, "must be a stack name such as staging");

const promotion = z.strictObject({
    from: described(
        stackName.optional(),
        "Stack whose version lock this stack takes (npm run promote -- <from> <this>); this stack may never pin what that one does not run",
    ),
    requireDeployedLock: described(
        z.boolean().default(true),
        "At pulumi up/preview, refuse to run unless the `from` stack's deployed lock (its `versions` output) equals this stack's lock. Not checked offline",
    ),
    stackReference: described(
        z
            .string()
            .regex(/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/, "must be organization/project/stack")
            .optional(),
        "Fully qualified name of the `from` stack; default <this stack's organization>/<project>/<from>",
    ),
});

/**
 * All `platform:` keys of a stack file. Keys with scalar values are read as plain strings; the
 * others as YAML structures.
 */
export const SETTINGS = {
    environment: described(
        z.string().regex(/^[a-z][a-z0-9]{1,11}$/, "must be 2-12 lowercase letters or digits, starting with a letter"),
        "Environment name, used in names and tags",
    ),
    owner: described(tagValue.min(1, "required"), "Owning team, written to the owner tag"),
    name: described(
        z
            .string()
            .regex(/^[a-z]([a-z0-9-]*[a-z0-9])?$/, "must be lowercase letters, digits and hyphens")
            .default("platform"),
        "Prefix of every cluster name",
    ),
    protect: described(z.boolean().default(true), "Protect stateful resources (cluster, KMS keys, log groups) from deletion by Pulumi"),
    tags: described(z.record(tagKey, tagValue).default({}), "Extra tags on every taggable resource"),
    versions: described(versions, "The version lock: every pinned version, copied as one block on promotion"),
    cluster: described(cluster.prefault({}), "EKS control plane settings"),
    network: described(network.prefault({}), "Network settings shared by every region"),
    nodeGroups: described(
        z
            .strictObject({
                system: described(
                    nodeGroup({ instanceTypes: ["m7i.large", "m6i.large"], minSize: 2, desiredSize: 3, maxSize: 4 }).prefault({}),
                    "Critical add-ons only (taint CriticalAddonsOnly); on-demand, at least 2 nodes",
                ),
                general: described(
                    nodeGroup({ instanceTypes: ["m7i.xlarge", "m6i.xlarge"], minSize: 2, desiredSize: 3, maxSize: 10 }).prefault({}),
                    "Stateless services; untainted",
                ),
                memory: described(
                    nodeGroup({ instanceTypes: ["r7i.xlarge", "r6i.xlarge"], minSize: 1, desiredSize: 1, maxSize: 4 }).prefault({}),
                    "Memory-optimised instances (R, X, Z, U families); taint platform/node-group=memory",
                ),
            })
            .prefault({}),
        "Managed node groups: system (critical add-ons), general, memory",
    ),
    karpenter: described(karpenter.prefault({}), "Karpenter node classes and pools, the same in every region"),
    highAvailability: described(z.boolean().default(true), "Run add-ons with several replicas across zones and PodDisruptionBudgets"),
    secrets: described(secrets.prefault({}), "External Secrets and the AWS Secrets Manager store"),
    gitops: described(gitops, "Argo CD"),
    policies: described(policies, "Kyverno admission policies"),
    monitoring: described(monitoring, "kube-prometheus-stack"),
    backups: described(backups.prefault({}), "Velero backups"),
    promotion: described(promotion.prefault({}), "Where this stack's version lock comes from, and the deploy-time gate on it"),
    regions: described(
        z.array(region).min(1, "at least one region is required"),
        "One entry per region; each gets its own VPC and cluster",
    ),
} as const;

export type SettingKey = keyof typeof SETTINGS;
export const SCALAR_SETTINGS: ReadonlySet<SettingKey> = new Set(["environment", "owner", "name"]);

export const settingsSchema = z.strictObject(SETTINGS);
export type Settings = z.output<typeof settingsSchema>;
export type RegionSettings = Settings["regions"][number];
export type NodeGroupRole = keyof Settings["nodeGroups"];
export type VersionLock = Settings["versions"];
export type ClusterSettings = Settings["cluster"];
export type NatLayout = z.output<typeof natGateways>;
export type KarpenterSettings = Settings["karpenter"];
export type SecretsSettings = Settings["secrets"];
export type GitOpsSettings = Settings["gitops"];
export type PolicySettings = Settings["policies"];
export type MonitoringSettings = Settings["monitoring"];
export type BackupSettings = Settings["backups"];
export type PromotionSettings = Settings["promotion"];
