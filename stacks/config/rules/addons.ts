// Rules of the add-ons' settings: GitOps sources, the secrets prefix External Secrets may read,
// and monitoring and backup settings that fit what they run on.
import { formatPath, type IndexedRegion, type ParsedSettings, type Problem, show } from "../problems";
import { GIGABYTES, hours } from "../units";

/** The environment's Secrets Manager prefix: the platform's secrets and the teams' live under it. */
/** Where the platform's own secrets live: only the platform's store reads them. */
export const PLATFORM_SECRETS = "platform/";
/** Where a team's secrets live, under the environment's prefix: only the team's store reads them. */
export const teamSecretsPath = (team: string, settings?: { secretsPath?: string }): string => settings?.secretsPath ?? `teams/${team}/`;

export const secretsPrefix = (settings: { secrets?: { prefix?: string }; environment?: string }): string | undefined =>
    settings.secrets?.prefix ?? (settings.environment !== undefined ? `${settings.environment}/` : undefined);

/** The prefix of the platform's own secrets: the only ones its store reads. */
const platformSecretsPrefix = (settings: Parameters<typeof secretsPrefix>[0]): string | undefined => {
    const prefix = secretsPrefix(settings);
    return prefix === undefined ? undefined : prefix + PLATFORM_SECRETS;
};

export function gitopsProblems(settings: ParsedSettings): Problem[] {
    const problems: Problem[] = [];
    const gitops = settings.gitops;
    const prefix = platformSecretsPrefix(settings);
    if (gitops) {
        if (gitops.requireSso !== false && gitops.sso === undefined) {
            problems.push({
                path: "gitops.sso",
                message: "required: this stack requires single sign-on (gitops.requireSso), and the local admin account is no substitute",
            });
        }
        problems.push(
            ...outsidePrefix(prefix, [
                ["gitops.repository.credentialsSecretName", gitops.repository?.credentialsSecretName],
                ["gitops.sso.clientSecretName", gitops.sso?.clientSecretName],
            ]),
        );
    }
    return problems;
}

/** Secrets Manager names the External Secrets role could not read. */
function outsidePrefix(prefix: string | undefined, referenced: Array<[string, string | undefined]>): Problem[] {
    return referenced.flatMap(([path, name]) =>
        name !== undefined && prefix !== undefined && !name.startsWith(prefix)
            ? [
                  {
                      path,
                      message: `${show(name)} is outside ${show(prefix)}, the only secrets the platform's store may read in this environment`,
                  },
              ]
            : [],
    );
}

export function observabilityProblems(settings: ParsedSettings, regions: readonly IndexedRegion[]): Problem[] {
    const problems: Problem[] = [];
    const monitoring = settings.monitoring;
    if (monitoring) {
        problems.push(
            ...outsidePrefix(platformSecretsPrefix(settings), [
                ["monitoring.grafanaAdminSecretName", monitoring.grafanaAdminSecretName],
                ["monitoring.pagingWebhookSecretName", monitoring.pagingWebhookSecretName],
                ["monitoring.chatWebhookSecretName", monitoring.chatWebhookSecretName],
                ["monitoring.heartbeatWebhookSecretName", monitoring.heartbeatWebhookSecretName],
                ["monitoring.sso.clientSecretName", monitoring.sso?.clientSecretName],
            ]),
        );
        problems.push(...grafanaSsoProblems(settings));
        const size = monitoring.retentionSize ? /^(\d+)(MB|GB|TB)$/.exec(monitoring.retentionSize) : null;
        if (size && monitoring.volumeSizeGiB !== undefined) {
            const gigabytes = Number(size[1]) * GIGABYTES[size[2] as keyof typeof GIGABYTES];
            // Leave a tenth of the volume for the write-ahead log and compaction.
            const usable = monitoring.volumeSizeGiB * 1.073741824 * 0.9;
            if (gigabytes > usable) {
                problems.push({
                    path: "monitoring.retentionSize",
                    message: `${show(monitoring.retentionSize)} does not fit a ${monitoring.volumeSizeGiB} GiB volume with room for the WAL (at most ${Math.floor(usable)}GB)`,
                });
            }
        }
    }
    const backups = settings.backups;
    if (backups) {
        const schedules = Object.entries(backups.schedules ?? {}).flatMap(([name, s]) => (s ? [[name, s] as const] : []));
        const daily = schedules.some(
            ([, s]) =>
                s.cron !== undefined &&
                s.cron
                    .split(/\s+/)
                    .slice(2)
                    .every((field) => field === "*"),
        );
        if (!daily)
            problems.push({
                path: "backups.schedules",
                message: `${show(schedules.map(([name]) => name))}: at least one schedule must run every day (day-of-month, month and day-of-week "*")`,
            });
        for (const [name, s] of schedules) {
            if (s.ttl !== undefined && hours(s.ttl) < 24)
                problems.push({
                    path: formatPath(["backups", "schedules", name, "ttl"]),
                    message: `${show(s.ttl)} keeps a backup less than a day`,
                });
        }
        if (backups.crossRegion && regions.length < 2) {
            problems.push({ path: "backups.crossRegion", message: "true needs a second region in the stack to copy backups to" });
        }
        // Replication copies the bucket; EBS snapshots stay in their region, and a backup whose
        // volumes are snapshots restores elsewhere without its data.
        if (backups.crossRegion && backups.volumes === "snapshots") {
            problems.push({
                path: "backups.volumes",
                message: `${show(backups.volumes)} keeps volume data in EBS snapshots of their own region, which crossRegion does not copy; use snapshotData (or fileSystem) to put it in the replicated bucket`,
            });
        }
    }
    return problems;
}

/** Grafana signs in through Argo CD's issuer, on its own endpoints, wherever the stack requires SSO. */
function grafanaSsoProblems(settings: ParsedSettings): Problem[] {
    const sso = settings.monitoring?.sso;
    const issuer = settings.gitops?.sso?.issuer;
    if (sso === undefined) {
        return settings.gitops?.requireSso !== false && issuer !== undefined
            ? [{ path: "monitoring.sso", message: "required: this stack requires single sign-on (gitops.requireSso), Grafana's included" }]
            : [];
    }
    if (settings.gitops !== undefined && settings.gitops.sso === undefined)
        return [{ path: "monitoring.sso", message: "needs gitops.sso: Grafana signs in through the same issuer and admin groups" }];
    if (issuer === undefined) return [];
    const host = new URL(issuer).host;
    return (["authUrl", "tokenUrl", "userInfoUrl"] as const).flatMap((key) => {
        const url = sso[key];
        return url !== undefined && new URL(url).host !== host
            ? [{ path: `monitoring.sso.${key}`, message: `${show(url)} is not an endpoint of the issuer ${show(issuer)}` }]
            : [];
    });
}

/**
 * The images the platform caches (the restore drill's) come from each region's own ECR, through
 * its pull-through cache: the admission allowlist must name an ECR registry of every region.
 */
export function registryProblems(settings: ParsedSettings, regions: readonly IndexedRegion[]): Problem[] {
    const registries = (settings.policies?.allowedRegistries?.registries ?? []).filter((r): r is string => r !== undefined);
    return regions.flatMap(({ region }) => {
        const name = region.region;
        if (name === undefined || registries.some((r) => new RegExp(`^\\d{12}\\.dkr\\.ecr\\.${name}\\.amazonaws\\.com$`).test(r)))
            return [];
        return [
            {
                path: "policies.allowedRegistries.registries",
                message: `names no ECR registry of ${name} (<account>.dkr.ecr.${name}.amazonaws.com): the restore drill's image comes through that region's ECR pull-through cache`,
            },
        ];
    });
}
