// The plan's summary lines: per stack, what a reviewer should not miss (Karpenter pools,
// admission policies, GitOps sources, monitoring, backups, protections), read from the recorded
// resources.
import type { StackConfig } from "../config/config";
import { INSTANCE_SIZES } from "../config/catalog";
import { teamSecretsPath } from "../config/rules/addons";
import { type RecordedResource, shortType } from "./resources";

export const countBy = (items: readonly string[]) =>
    [...items.reduce((acc, item) => acc.set(item, (acc.get(item) ?? 0) + 1), new Map<string, number>())]
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([item, n]) => (n > 1 ? `${item} x${n}` : item))
        .join(", ");

interface Requirement {
    key: string;
    operator: string;
    values?: string[];
    minValues?: number;
}
interface PoolSpec {
    template: { spec: { requirements: Requirement[]; taints?: Array<{ key: string; value?: string; effect: string }> } };
    limits: { cpu: string; memory: string };
    disruption: { budgets: Array<{ nodes: string; schedule?: string; duration?: string }> };
    weight?: number;
}

/** One line per Karpenter NodePool: capacity, instances, limits, weight, taints. */
export function poolLines(resources: readonly RecordedResource[]): string[] {
    const pools = resources
        .filter((r) => r.type === "kubernetes:karpenter.sh/v1:NodePool")
        .map((pool) => ({ name: String((pool.inputs.metadata as { name: string }).name), spec: pool.inputs.spec as PoolSpec }))
        .sort((a, b) => (b.spec.weight ?? 0) - (a.spec.weight ?? 0) || a.name.localeCompare(b.name));
    const rows = pools.map(({ name, spec }) => {
        const requirement = (key: string) => spec.template.spec.requirements.find((r) => r.key === key);
        const family = requirement("karpenter.k8s.aws/instance-family");
        const instances = [
            requirement("karpenter.k8s.aws/instance-category")?.values?.join("/"),
            `gen>${requirement("karpenter.k8s.aws/instance-generation")?.values?.[0]}`,
            family?.values ? family.values.join(",") : undefined,
            `>=${family?.minValues ?? 1} families`,
            requirement("karpenter.k8s.aws/instance-size")?.values?.join(","),
        ]
            .filter(Boolean)
            .join(" ");
        const taints = (spec.template.spec.taints ?? []).map((t) => `${t.key}=${t.value ?? ""}:${t.effect}`).join(",") || "none";
        const quiet = spec.disruption.budgets.find((b) => b.nodes === "0" && b.schedule);
        return [
            name,
            requirement("karpenter.sh/capacity-type")?.values?.join(",") ?? "?",
            instances,
            `limits ${spec.limits.cpu} vCPU ${spec.limits.memory}`,
            `weight ${spec.weight ?? "-"}`,
            `taints ${taints}`,
            quiet ? `no disruption from "${quiet.schedule}" for ${quiet.duration}` : "",
        ];
    });
    const widths = rows.reduce<number[]>((acc, row) => row.map((cell, i) => Math.max(acc[i] ?? 0, cell.length)), []);
    return rows.map((row) =>
        row
            .map((cell, i) => cell.padEnd(widths[i]))
            .join("  ")
            .trimEnd(),
    );
}

/** Each admission policy with what it does on a violation. */
export function policyLines(resources: readonly RecordedResource[]): string[] {
    const lines: string[] = [];
    for (const release of resources.filter((r) => r.type === "kubernetes:helm.sh/v3:Release" && r.inputs.name === "kyverno-policies")) {
        const values = release.inputs.values as { podSecurityStandard: string; validationFailureAction: string };
        lines.push(`pod-security-${values.podSecurityStandard} (kyverno-policies chart)  ${values.validationFailureAction}`);
    }
    for (const policy of resources.filter((r) => r.type === "kubernetes:policies.kyverno.io/v1:ValidatingPolicy")) {
        const actions = (policy.inputs.spec as { validationActions: string[] }).validationActions;
        lines.push(`${(policy.inputs.metadata as { name: string }).name}  ${actions.includes("Deny") ? "Enforce" : "Audit"}`);
    }
    for (const policy of resources.filter((r) => r.type === "kubernetes:kyverno.io/v1:ClusterPolicy")) {
        const rules = (policy.inputs.spec as { rules: Array<{ name: string; generate?: unknown }> }).rules;
        lines.push(
            `${(policy.inputs.metadata as { name: string }).name}  generates ${rules
                .filter((r) => r.generate)
                .map((r) => r.name)
                .join(", ")} in new namespaces`,
        );
    }
    const width = Math.max(0, ...lines.map((line) => line.indexOf("  ")));
    return lines.map((line) => {
        const at = line.indexOf("  ");
        return `${line.slice(0, at).padEnd(width)}${line.slice(at)}`;
    });
}

/** Where the cluster's applications come from and who may log in. */
export function gitopsLines(resources: readonly RecordedResource[]): string[] {
    const release = resources.find((r) => r.type === "kubernetes:helm.sh/v3:Release" && r.inputs.name === "argo-cd");
    const appSet = resources.find((r) => r.type === "kubernetes:argoproj.io/v1alpha1:ApplicationSet");
    if (!release || !appSet) return [];
    const cm = (release.inputs.values as { configs: { cm: Record<string, unknown> } }).configs.cm;
    const generator = (
        appSet.inputs.spec as { generators: Array<{ git: { repoURL: string; revision: string; directories: Array<{ path: string }> } }> }
    ).generators[0].git;
    const projects = resources
        .filter((r) => r.type === "kubernetes:argoproj.io/v1alpha1:AppProject")
        .map((r) => (r.inputs.metadata as { name: string }).name);
    return [
        `applications from ${generator.repoURL} @ ${generator.revision}, one per folder of ${generator.directories[0].path}`,
        `projects ${projects.join(", ")}; SSO ${cm["oidc.config"] ? "on" : "OFF"}, local admin ${cm["admin.enabled"] ? "ON" : "off"}, exec ${cm["exec.enabled"] ? "ON" : "off"}`,
    ];
}

/**
 * North-south traffic: the Gateway, its hostnames, scheme and admitted networks, the platform UIs
 * it serves, its certificate and who writes its DNS records.
 */
export function ingressLines(resources: readonly RecordedResource[]): string[] {
    const gateway = resources.find((r) => r.type === "kubernetes:gateway.networking.k8s.io/v1:Gateway");
    if (!gateway) return [];
    const release = (name: string) =>
        resources.find((r) => r.type === "kubernetes:helm.sh/v3:Release" && r.inputs.name === name)?.inputs.values as
            Record<string, unknown> | undefined;
    const metadata = gateway.inputs.metadata as { name: string; namespace: string };
    const spec = gateway.inputs.spec as {
        gatewayClassName: string;
        infrastructure: { annotations: Record<string, string> };
        listeners: Array<{ name: string; protocol: string; hostname: string; tls?: { certificateRefs: Array<{ name: string }> } }>;
    };
    const annotation = (key: string) => spec.infrastructure.annotations[`service.beta.kubernetes.io/${key}`];
    const https = spec.listeners.find((l) => l.protocol === "HTTPS");
    const certificate = resources.find((r) => r.type === "kubernetes:cert-manager.io/v1:Certificate")?.inputs.spec as
        { dnsNames: string[]; issuerRef: { name: string } } | undefined;
    const issuer = resources.find((r) => r.type === "kubernetes:cert-manager.io/v1:ClusterIssuer")?.inputs.spec as
        { acme: { server: string } } | undefined;
    const argocd = (release("argo-cd") as { server?: { httproute?: { hostnames: string[] } } } | undefined)?.server?.httproute;
    const grafana = (release("kube-prometheus-stack") as { grafana?: { route?: { main?: { hostnames: string[] } } } } | undefined)?.grafana
        ?.route?.main;
    const dns = release("external-dns") as { domainFilters: string[]; txtOwnerId: string; policy: string; extraArgs: string[] } | undefined;
    const apps = [
        ...(argocd ? argocd.hostnames.map((host) => `Argo CD https://${host}`) : []),
        ...(grafana ? grafana.hostnames.map((host) => `Grafana https://${host}`) : []),
    ];
    return [
        `Gateway ${metadata.namespace}/${metadata.name} (class ${spec.gatewayClassName}): HTTPS ${https?.hostname ?? "NONE"}, HTTP redirected to HTTPS`,
        `${annotation("aws-load-balancer-scheme")} Network Load Balancer admitting ${annotation("load-balancer-source-ranges")}, targets: node ports of ${annotation("aws-load-balancer-target-node-labels")}`,
        `serves ${apps.join(", ") || "no platform UI"}; team routes from namespaces labelled platform/gateway-access`,
        certificate
            ? `certificate ${certificate.dnsNames.join(", ")} from ${issuer?.acme.server ?? "?"} (DNS-01, cert-manager)`
            : "NO certificate",
        dns
            ? `DNS records under ${dns.domainFilters.join(", ")} by ExternalDNS (${dns.extraArgs.join(" ")}, owner ${dns.txtOwnerId}, policy ${dns.policy})`
            : "NO DNS records",
    ];
}

/**
 * The log pipeline: what the collector labels and samples, how long Loki keeps each tier
 * searchable, and how long the bucket keeps each tier's archive.
 */
export function loggingLines(resources: readonly RecordedResource[]): string[] {
    const values = (chart: string) =>
        // eslint-disable-next-line @typescript-eslint/no-explicit-any -- recorded values are free-form JSON
        resources.find((r) => r.type === "kubernetes:helm.sh/v3:Release" && r.inputs.chart === chart)?.inputs.values as any;
    const vector = values("vector");
    const loki = values("loki");
    if (!vector || !loki) return [];
    const config = vector.customConfig;
    const sampling = config.transforms.health_checks as { type: string; rate?: number } | undefined;
    const health = !sampling ? "all kept" : sampling.type === "filter" ? "all dropped" : `1 in ${sampling.rate} kept`;
    const hours = (period: string) => Number(period.replace(/h$/, "")) / 24;
    const limits = loki.loki.limits_config as { retention_period: string; retention_stream: Array<{ selector: string; period: string }> };
    const archives = resources
        .filter((r) => r.type === "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration")
        .flatMap((r) => r.inputs.rules as Array<{ id: string; expiration?: { days: number } }>)
        .filter((rule) => rule.id.startsWith("archive-"))
        .map((rule) => `${rule.id.replace(/^archive-/, "")} ${rule.expiration?.days} days`);
    const alerts = alertsOf(resources).filter((rule) => rule.group === "platform-logging");
    const bySeverity = (severity: string) => {
        const names = alerts.filter((a) => a.severity === severity).map((a) => a.alert);
        return names.length > 0 ? [`${names.join(", ")} (${severity})`] : [];
    };
    return [
        `collector Vector on every node: labels ${Object.keys(config.sinks.loki.labels).join(", ")}; health-check lines ${health}`,
        `store Loki x${loki.singleBinary.replicas} on the system nodes, bucket ${config.sinks.archive.bucket}: searchable ${hours(limits.retention_period)} days` +
            limits.retention_stream.map((stream) => `, ${hours(stream.period)} days for ${stream.selector}`).join(""),
        `archive s3://${config.sinks.archive.bucket}/archive/ (Glacier Instant Retrieval after a day): ${archives.join(", ")}`,
        `alerts ${[...bySeverity("critical"), ...bySeverity("warning")].join(", ")}`,
    ];
}

function prometheusRelease(resources: readonly RecordedResource[]): RecordedResource | undefined {
    return resources.find((r) => r.type === "kubernetes:helm.sh/v3:Release" && r.inputs.name === "kube-prometheus-stack");
}

/** Every alert rule the monitoring release loads, with its group and severity. */
function alertsOf(resources: readonly RecordedResource[]): Array<{ group: string; alert: string; severity?: string }> {
    const values = prometheusRelease(resources)?.inputs.values as
        | {
              additionalPrometheusRulesMap: Record<
                  string,
                  { groups: Array<{ name: string; rules: Array<{ alert?: string; labels?: { severity: string } }> }> }
              >;
          }
        | undefined;
    return Object.values(values?.additionalPrometheusRulesMap ?? {}).flatMap((rule) =>
        rule.groups.flatMap((group) =>
            group.rules.flatMap((r) => (r.alert ? [{ group: group.name, alert: r.alert, severity: r.labels?.severity }] : [])),
        ),
    );
}

/** Prometheus' retention and the platform's alert rules, by severity. */
export function monitoringLines(resources: readonly RecordedResource[]): string[] {
    const release = prometheusRelease(resources);
    if (!release) return [];
    const values = release.inputs.values as {
        prometheus: {
            prometheusSpec: {
                retention: string;
                retentionSize: string;
                replicas: number;
                storageSpec: { volumeClaimTemplate: { spec: { resources: { requests: { storage: string } } } } };
            };
        };
    };
    const spec = values.prometheus.prometheusSpec;
    const alerts = alertsOf(resources);
    const bySeverity = (severity: string) =>
        alerts
            .filter((a) => a.severity === severity)
            .map((a) => a.alert)
            .join(", ");
    return [
        `Prometheus x${spec.replicas}: retention ${spec.retention} or ${spec.retentionSize}, ${spec.storageSpec.volumeClaimTemplate.spec.resources.requests.storage} gp3 each`,
        `alerts paging (critical): ${bySeverity("critical")}`,
        `alerts to chat (warning): ${bySeverity("warning")}`,
    ];
}

/** The backup bucket's protections, where it is copied, the schedules and the drill. */
export function backupLines(
    config: StackConfig,
    resources: readonly RecordedResource[],
    allResources: readonly RecordedResource[],
): string[] {
    const bucket = resources.find((r) => r.type === "aws:s3/bucket:Bucket");
    if (!bucket) return [];
    const name = String(bucket.inputs.bucket);
    const has = (type: string) => resources.some((r) => r.type === type);
    const protections = [
        has("aws:s3/bucketVersioning:BucketVersioning") && "versioned",
        has("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration") && "SSE-KMS (own key)",
        has("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock") && "public access blocked",
        has("aws:s3/bucketPolicy:BucketPolicy") && "TLS only",
        has("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration") && "lifecycle",
        bucket.protect && "PROTECTED",
        bucket.retainOnDelete && "retained on delete",
    ].filter(Boolean);
    const replication = allResources.find(
        (r) => r.type === "aws:s3/bucketReplicationConfig:BucketReplicationConfig" && r.inputs.bucket === name,
    );
    const destination = (replication?.inputs.rules as Array<{ destination: { bucket: string } }> | undefined)?.[0].destination.bucket.split(
        ":::",
    )[1];
    const schedules = resources
        .filter((r) => r.type === "kubernetes:velero.io/v1:Schedule")
        .map((r) => {
            const spec = r.inputs.spec as { schedule: string; template: { ttl: string } };
            return `${(r.inputs.metadata as { name: string }).name} "${spec.schedule}" kept ${spec.template.ttl}`;
        });
    const drills = resources
        .filter((r) => r.type === "kubernetes:batch/v1:CronJob")
        .map((r) => {
            const env = (
                r.inputs.spec as {
                    jobTemplate: { spec: { template: { spec: { containers: Array<{ env: Array<{ name: string; value?: string }> }> } } } };
                }
            ).jobTemplate.spec.template.spec.containers[0].env;
            const value = (name: string) => env.find((e) => e.name === name)?.value;
            return `restore drill ${(r.inputs.metadata as { name: string }).name} "${(r.inputs.spec as { schedule: string }).schedule}": ${value("EXPECTED_MARKER")?.replace(/ restore drill canary$/, "")}'s backups from location ${value("LOCATION")}, canary volume checked`;
        });
    const volumes = {
        snapshots: "EBS snapshots (they stay in this region)",
        snapshotData: "CSI snapshots, data moved into the bucket",
        fileSystem: "file copies into the bucket",
    }[config.backups.volumes];
    return [
        `bucket ${name}: ${protections.join(", ")}`,
        destination ? `copied to ${destination}` : "NOT copied to another region",
        `schedules: ${schedules.join("; ")}`,
        `volumes: ${volumes}`,
        ...drills,
        ...(drills.length > 0 ? ["alerts RestoreDrillFailed, RestoreDrillMissing per drill"] : []),
    ];
}

/** Each team's namespaces and what they may use, as every cluster of the stack gets them. */
export function teamLines(config: StackConfig): string[] {
    return Object.entries(config.teams).map(([team, settings]) => {
        const { cpu, memoryGiB, pods, storageGiB, loadBalancers } = settings.quota;
        const from = settings.ingressFrom.length > 0 ? `; in from ${settings.ingressFrom.join(", ")}` : "";
        return (
            `${team}: ${settings.namespaces.join(", ")} (PSS restricted, deny by default${from}); ` +
            `each ${cpu} CPU, ${memoryGiB} GiB, ${pods} pods, ${storageGiB} GiB of volumes, ${loadBalancers} load balancer(s); ` +
            `${settings.members.length} member and ${settings.viewers.length} viewer role(s) in these namespaces only; ` +
            `Argo CD project team-${team} from ${settings.gitops.repository}; ` +
            `secrets ${config.secrets.prefix}${teamSecretsPath(team, settings)}* through SecretStore team-secrets`
        );
    });
}

/**
 * vCPUs the stack can ever schedule on in a region: every managed node group at its maximum size
 * (its first instance type) and every Karpenter pool at its CPU limit. Undefined when an instance
 * size is not in the catalog.
 */
export function schedulableCpu(config: StackConfig): number | undefined {
    let total = 0;
    for (const group of Object.values(config.nodeGroups)) {
        const vcpus = INSTANCE_SIZES[group.instanceTypes[0].split(".")[1]];
        if (vcpus === undefined) return undefined;
        total += vcpus * group.maxSize;
    }
    for (const pool of Object.values(config.karpenter.pools)) total += pool.limits.cpu;
    return total;
}

/** What a reviewer of this stack should not miss. */
export function notable(config: StackConfig, resources: readonly RecordedResource[]): string[] {
    const lines: string[] = [];
    const { bootstrap, runnerRegion } = config.pipeline;
    if (bootstrap) {
        lines.push(
            "BOOTSTRAP MODE: keys, networks and pipeline runners only, no cluster; CI does not run this stack. Run its first pulumi up by hand, then leave bootstrap mode (README: A new environment)",
        );
    }
    const runner = config.regions.find((region) => region.region === runnerRegion)?.names.runnerProject;
    const peered = config.regions.filter((region) => region.network.kind === "created").length > 1;
    lines.push(
        `Pulumi jobs run on the CodeBuild runner ${runner} inside the ${runnerRegion} VPC${peered ? "; it reaches the other regions' APIs over VPC peering" : ""}`,
    );
    const existing = config.regions.filter((region) => region.network.kind === "existing");
    if (config.regions.length > 1 && existing.length > 0) {
        lines.push(
            `NOT peered (existing VPC): ${existing.map((r) => r.region).join(", ")}; the runners reach those APIs only through connectivity of your own`,
        );
    }
    const quota = Object.values(config.teams).reduce((sum, team) => sum + team.quota.cpu * team.namespaces.length, 0);
    const capacity = schedulableCpu(config);
    if (capacity !== undefined && quota > capacity) {
        lines.push(
            `WARNING: the teams' CPU quotas add up to ${quota} cores, more than the ${capacity} a region can ever schedule (node groups at their maximum, pools at their limits)`,
        );
    }
    const endpoint = config.cluster.endpoint;
    lines.push(endpoint.public ? `PUBLIC API endpoint, reachable from ${endpoint.allowedCidrs.join(", ")}` : "API endpoint private only");
    lines.push(`EKS deletion protection ${config.cluster.deletionProtection ? "on" : "OFF"}`);
    const protectedOnes = resources.filter((r) => r.protect && (r.custom || r.remote));
    lines.push(
        protectedOnes.length > 0
            ? `protected from deletion by Pulumi: ${countBy(protectedOnes.map((r) => shortType(r.type)))}`
            : "NOTHING is protected from deletion by Pulumi",
    );
    const { from, requireDeployedLock } = config.promotion;
    if (from) {
        lines.push(
            requireDeployedLock
                ? `promotion gate: pulumi up refuses a lock that differs from the one stack ${from} has deployed (not checked offline)`
                : `promotion gate OFF: pulumi up does not compare the lock with stack ${from}'s`,
        );
    }
    for (const region of config.regions) {
        if (region.network.kind === "created" && region.network.natGateways === "single") {
            lines.push(`${region.region}: one NAT gateway for all zones (a zone outage cuts egress)`);
        }
        if (region.network.kind === "existing") lines.push(`${region.region}: uses existing VPC ${region.network.vpcId}`);
    }
    return lines;
}
