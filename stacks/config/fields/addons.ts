// The add-ons' settings: secrets, GitOps, admission policies, monitoring and backups.
import { z } from "zod";
import { CHARTS } from "../catalog";
import { described } from "./common";
import { duration } from "./nodes";

const action = z.enum(["Enforce", "Audit"]);
export type PolicyAction = z.output<typeof action>;
const dnsLabel = z
    .string()
    .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, "must be a DNS label")
    .max(63);
const httpsUrl = z.string().regex(/^https:\/\/[a-z0-9.-]+(:\d+)?(\/[^\s]*)?$/, "must be an https:// URL");
/** A Secrets Manager secret name: letters, digits and /_+=.@- (https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_CreateSecret.html). */
const secretName = z.string().regex(/^[A-Za-z0-9/_+=.@-]{1,512}$/, "not a Secrets Manager secret name");

export const secrets = z.strictObject({
    prefix: described(
        z
            .string()
            .regex(/^[A-Za-z0-9/_+=.@-]+\/$/, 'must be a secret name prefix ending in "/"')
            .optional(),
        'Secrets Manager name prefix of this environment, default the environment name and "/": the platform reads <prefix>platform/, each team <prefix>teams/<team>/',
    ),
    kmsKeyArn: described(
        z
            .string()
            .regex(/^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[a-f0-9-]+$/, "not a KMS key ARN")
            .optional(),
        "Customer-managed key the secrets are encrypted with; External Secrets may decrypt with it only",
    ),
});

const gitRepository = z
    .string()
    .regex(/^(https:\/\/[^\s]+|[a-z0-9._-]+@[a-z0-9.-]+:[^\s]+|ssh:\/\/[^\s]+)$/, "must be an https://, ssh:// or user@host: Git URL");

export const gitops = z.strictObject({
    url: described(
        z
            .string()
            .regex(/^https:\/\/([a-z0-9.-]|\{region\})+(:\d+)?(\/[^\s]*)?$/, "must be an https:// URL ({region} may stand for the region)"),
        "Argo CD's own URL, one per region ({region} is filled in): the SSO redirect target, served by the region's Gateway",
    ),
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
});

export const policies = z.strictObject({
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

export const monitoring = z.strictObject({
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
    sso: described(
        z
            .strictObject({
                clientId: described(
                    z.string().min(1),
                    "OIDC client ID of Grafana (its redirect URI: https://grafana.<hostname>/login/generic_oauth)",
                ),
                clientSecretName: described(
                    secretName,
                    "Secrets Manager secret holding Grafana's OIDC client secret (property clientSecret)",
                ),
                authUrl: described(httpsUrl, "The issuer's authorization endpoint (authorization_endpoint of its discovery document)"),
                tokenUrl: described(httpsUrl, "The issuer's token endpoint"),
                userInfoUrl: described(httpsUrl, "The issuer's userinfo endpoint"),
            })
            .optional(),
        "Grafana's single sign-on through gitops.sso's issuer, whose endpoints Grafana needs spelled out; its admin groups are Grafana admins, everyone else a viewer; when set, the login form is off",
    ),
    pagingWebhookSecretName: described(secretName, "Secrets Manager secret whose url property receives critical alerts (paging)"),
    chatWebhookSecretName: described(secretName, "Secrets Manager secret whose url property receives warnings (chat)"),
    heartbeatWebhookSecretName: described(
        secretName,
        "Secrets Manager secret whose url property receives the always-firing Watchdog (a dead man's switch that raises the alarm when it stops)",
    ),
});

const schedule = z.strictObject({
    cron: described(z.string().regex(/^(\S+\s){4}\S+$/, 'must be a cron schedule such as "0 3 * * *"'), "When the backup runs (UTC)"),
    ttl: described(duration, "How long the backup is kept, e.g. 720h"),
});

export const backups = z.strictObject({
    schedules: described(
        z.record(dnsLabel, schedule).prefault({ daily: { cron: "0 3 * * *", ttl: "720h" } }),
        "Backup schedules by name; at least a daily full backup",
    ),
    volumes: described(
        z.enum(["snapshots", "snapshotData", "fileSystem"]).default("snapshots"),
        "Volume backups: snapshots (EBS snapshots, which stay in their region), snapshotData (CSI snapshots whose data Velero's data mover copies into the bucket) or fileSystem (file copies of mounted volumes by the node agent)",
    ),
    crossRegion: described(
        z.boolean().default(false),
        "Replicate each region's backups to the next region of the stack (the last to the first), where a read-only location and a weekly drill restore them; needs volumes in the bucket (snapshotData or fileSystem)",
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
                dockerHubSecretName: described(
                    z
                        .string()
                        .regex(
                            /^ecr-pullthroughcache\/[A-Za-z0-9/_+=.@-]+$/,
                            "must be a secret name starting with ecr-pullthroughcache/, as ECR requires",
                        )
                        .default("ecr-pullthroughcache/docker-hub"),
                    "Secrets Manager secret (in each region) with Docker Hub's username and accessToken, for the ECR pull-through cache the drill's image comes through",
                ),
            })
            .prefault({}),
        "The restore drill",
    ),
});

/** Every chart the platform installs, by the name its release and the stack file use. */
export const CHART_NAMES = Object.values(CHARTS).flatMap((source) => [...source.charts]) as [string, ...string[]];

/** Helm values overrides by chart: any YAML map, merged over the platform's values. */
export const helmValues = z
    .record(
        z.string().refine((chart) => CHART_NAMES.includes(chart), `not a chart the platform installs (charts: ${CHART_NAMES.join(", ")})`),
        z.record(z.string(), z.unknown()),
    )
    .default({});
