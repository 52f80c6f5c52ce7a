// What the log pipeline is made of, as pure builders: the collector's (Vector's) configuration,
// with the health-check classifier it applies, Loki's values, the log bucket's lifecycle and the
// network policies that keep the store's write path to the collector. Tests call them with
// plain values and run the classifier on sample lines.
import type { LoggingSettings } from "../../stacks/config/schema";
import { SYSTEM_PLACEMENT, zoneSpread } from "../shared/scheduling";

export const DEFAULTS = {
    /** The collector reads the host's log files: its namespace runs privileged pods. */
    collector: { namespace: "log-collector", release: "vector", serviceAccount: "vector", app: "vector" },
    store: { namespace: "logging", release: "loki", serviceAccount: "loki", app: "loki", port: 3100 },
    /** Where the collector writes the long tier in the log bucket; Loki keeps everything else. */
    archivePrefix: "archive/",
    metricsPort: 9090,
    apiPort: 8686,
} as const;

/** Loki's query and push endpoint inside the cluster. */
export const LOG_STORE_URL = `http://${DEFAULTS.store.release}.${DEFAULTS.store.namespace}.svc:${DEFAULTS.store.port}`;

/** Paths every stack counts as health checks, besides what the stack file adds. */
export const HEALTH_CHECK_PATHS = ["/healthz", "/readyz", "/livez"] as const;

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");

/**
 * The classifier's two regular expressions, in the syntax Rust's regex crate (Vector) and
 * JavaScript share. A line is a health check when it is a kube-probe request, or a GET or HEAD
 * of a health path (an access-log request line or a JSON path field), and it is not an error:
 * a failing probe, a 5xx, or an error, fatal or panic level is always kept.
 */
export function healthCheckPatterns(extraPaths: readonly string[]) {
    const paths = [...HEALTH_CHECK_PATHS, ...extraPaths].map(escape).join("|");
    return {
        healthCheck: `kube-probe/|\\b(?:GET|HEAD) (?:${paths})(?:\\?|\\s|"|$)|"(?:path|uri|url|request_uri)"\\s*:\\s*"(?:${paths})(?:\\?[^"]*)?"`,
        failure: `\\b(?:error|Error|ERROR|fatal|Fatal|FATAL|panic|PANIC)\\b|"\\s5\\d\\d\\s|\\s5\\d\\d\\s|"(?:status|status_code|code)"\\s*:\\s*"?5\\d\\d`,
    };
}

/** The classifier as a predicate, from the same expressions the collector runs. */
export function isHealthCheck(line: string, extraPaths: readonly string[] = []): boolean {
    const patterns = healthCheckPatterns(extraPaths);
    return new RegExp(patterns.healthCheck).test(line) && !new RegExp(patterns.failure).test(line);
}

/**
 * A Vector template field (`{{field}}`), written so that it survives the chart, which renders
 * customConfig through Helm's tpl (vector chart templates/configmap.yaml). No spaces: toYaml folds
 * long strings at spaces, which would split the literal.
 */
export const field = (path: string): string => `{{"{{${path}}}"}}`;

/** VRL string literal (JSON escaping is a subset of VRL's). */
const vrl = (text: string) => JSON.stringify(text);

/**
 * The remap program run on every line: cluster, team (the namespace's platform/team label) and
 * tier labels, the level of a JSON line (parsed; the line itself is kept as written, for Loki's
 * json parser at query time), and whether the line is a health check.
 */
export function enrichProgram(args: {
    cluster: string;
    tiers: LoggingSettings["tiers"];
    defaultTier: string;
    extraPaths: readonly string[];
}) {
    const patterns = healthCheckPatterns(args.extraPaths);
    const tierRules = Object.entries(args.tiers)
        .filter(([name, tier]) => name !== args.defaultTier && tier.namespaces.length > 0)
        .map(([name, tier]) => `if includes(${JSON.stringify(tier.namespaces)}, namespace) { .tier = ${vrl(name)} }`);
    return [
        `.cluster = ${vrl(args.cluster)}`,
        'namespace = string(.kubernetes.pod_namespace) ?? ""',
        '.team = string(.kubernetes.namespace_labels."platform/team") ?? "none"',
        `.tier = ${vrl(args.defaultTier)}`,
        ...tierRules,
        'message = to_string(.message) ?? ""',
        '.level = "unknown"',
        'if starts_with(message, "{") {',
        "  parsed, err = parse_json(message)",
        "  if err == null && is_object(parsed) {",
        "    fields = object!(parsed)",
        "    level = fields.level",
        "    if is_null(level) { level = fields.severity }",
        "    if is_string(level) { .level = downcase!(level) }",
        "  }",
        "}",
        `.health_check = match(message, r'${patterns.healthCheck}') && !match(message, r'${patterns.failure}')`,
    ].join("\n");
}

/** A VRL condition, true for every line the classifier did not mark. */
const NOT_HEALTH_CHECK = ".health_check != true";

/**
 * What becomes of health-check lines: kept at the stack file's rate (Vector keeps one in `rate`
 * of the events it samples), all of them at 1, none at 0. Other lines always pass.
 */
export function healthCheckTransform(keepRate: number, input: string) {
    if (keepRate >= 1) return undefined;
    if (keepRate <= 0) return { type: "filter", inputs: [input], condition: NOT_HEALTH_CHECK };
    return { type: "sample", inputs: [input], rate: Math.round(1 / keepRate), exclude: NOT_HEALTH_CHECK };
}

export interface CollectorArgs {
    readonly cluster: string;
    readonly region: string;
    readonly bucket: string;
    readonly keyArn: string;
    readonly settings: LoggingSettings;
}

/** Vector as a DaemonSet: every node's container logs to Loki and to the archive, its own metrics for Prometheus. */
export function collectorValues(args: CollectorArgs) {
    const sampled = healthCheckTransform(args.settings.healthChecks.keepRate, "enrich");
    const stored = sampled ? "health_checks" : "enrich";
    const labels = {
        cluster: field("cluster"),
        namespace: field("kubernetes.pod_namespace"),
        pod: field("kubernetes.pod_name"),
        container: field("kubernetes.container_name"),
        node: field("kubernetes.pod_node_name"),
        team: field("team"),
        tier: field("tier"),
        level: field("level"),
    };
    // On disk, so a Loki or S3 outage holds lines back instead of losing them; full, it blocks reading.
    const buffer = (gib: number) => ({ type: "disk", max_size: gib * 1024 ** 3, when_full: "block" });
    return {
        role: "Agent",
        serviceAccount: { name: DEFAULTS.collector.serviceAccount },
        tolerations: [{ operator: "Exists" }],
        resources: { requests: { cpu: "100m", memory: "256Mi" }, limits: { memory: "1Gi" } },
        containerPorts: [
            { name: "prom-exporter", containerPort: DEFAULTS.metricsPort, protocol: "TCP" },
            { name: "api", containerPort: DEFAULTS.apiPort, protocol: "TCP" },
        ],
        livenessProbe: { httpGet: { path: "/health", port: "api" } },
        readinessProbe: { httpGet: { path: "/health", port: "api" } },
        podMonitor: { enabled: true },
        service: { enabled: false },
        customConfig: {
            data_dir: "/vector-data-dir",
            api: { enabled: true, address: `0.0.0.0:${DEFAULTS.apiPort}` },
            sources: {
                pods: { type: "kubernetes_logs" },
                internal: { type: "internal_metrics" },
            },
            transforms: {
                enrich: {
                    type: "remap",
                    inputs: ["pods"],
                    source: enrichProgram({
                        cluster: args.cluster,
                        tiers: args.settings.tiers,
                        defaultTier: args.settings.defaultTier,
                        extraPaths: args.settings.healthChecks.extraPaths,
                    }),
                },
                ...(sampled ? { health_checks: sampled } : {}),
            },
            sinks: {
                loki: {
                    type: "loki",
                    inputs: [stored],
                    endpoint: LOG_STORE_URL,
                    encoding: { codec: "text" },
                    labels,
                    out_of_order_action: "accept",
                    buffer: buffer(2),
                },
                archive: {
                    type: "aws_s3",
                    inputs: [stored],
                    bucket: args.bucket,
                    region: args.region,
                    key_prefix: `${DEFAULTS.archivePrefix}tier=${field("tier")}/namespace=${field("kubernetes.pod_namespace")}/date=%F/`,
                    compression: "gzip",
                    encoding: { codec: "json" },
                    server_side_encryption: "aws:kms",
                    ssekms_key_id: args.keyArn,
                    batch: { max_bytes: 64 * 1024 ** 2, timeout_secs: 300 },
                    buffer: buffer(2),
                },
                metrics: { type: "prometheus_exporter", inputs: ["internal"], address: `0.0.0.0:${DEFAULTS.metricsPort}` },
            },
        },
    };
}

/**
 * Loki as a single binary (one process per replica: distributor, ingester, querier, compactor),
 * on the system nodes, three replicas each on its own node with every line written to all three
 * when highly available. Chunks and index (TSDB, schema v13) in the log bucket through its Pod
 * Identity role; the write-ahead log on a gp3 volume. The compactor enforces the searchable tier:
 * the default tier's days for every stream, each other tier's for its namespaces. One tenant (no
 * auth): only the collector may write and only Grafana read (see storePolicySpec). No gateway,
 * caches or canary: the collector and Grafana talk to Loki's own Service.
 */
export function storeValues(args: { bucket: string; region: string; settings: LoggingSettings; highAvailability: boolean }) {
    const { settings } = args;
    const replicas = args.highAvailability ? 3 : 1;
    const days = (n: number) => `${n * 24}h`;
    const streams = Object.entries(settings.tiers)
        .filter(([name, tier]) => name !== settings.defaultTier && tier.namespaces.length > 0)
        .map(([, tier]) => ({
            selector: `{namespace=~"${tier.namespaces.map(escape).join("|")}"}`,
            priority: 1,
            period: days(tier.searchDays),
        }));
    return {
        deploymentMode: "SingleBinary",
        serviceAccount: { name: DEFAULTS.store.serviceAccount },
        loki: {
            auth_enabled: false,
            // Alive while it accepts connections: /ready also fails while a replica joins the ring.
            livenessProbe: { tcpSocket: { port: "http-metrics" }, initialDelaySeconds: 60, periodSeconds: 30, failureThreshold: 5 },
            // Merged into the chart's: the restricted profile wants a seccomp profile, which it lacks.
            podSecurityContext: { seccompProfile: { type: "RuntimeDefault" } },
            commonConfig: { replication_factor: replicas },
            schemaConfig: {
                configs: [
                    { from: "2026-01-01", store: "tsdb", object_store: "s3", schema: "v13", index: { prefix: "index_", period: "24h" } },
                ],
            },
            storage: {
                type: "s3",
                bucketNames: { chunks: args.bucket, ruler: args.bucket, admin: args.bucket },
                s3: { region: args.region },
            },
            limits_config: {
                retention_period: days(settings.tiers[settings.defaultTier].searchDays),
                retention_stream: streams,
                reject_old_samples: true,
                reject_old_samples_max_age: "168h",
                max_query_lookback: days(Math.max(...Object.values(settings.tiers).map((tier) => tier.searchDays))),
            },
            compactor: { retention_enabled: true, delete_request_store: "s3" },
        },
        singleBinary: {
            replicas,
            nodeSelector: { ...SYSTEM_PLACEMENT.nodeSelector },
            tolerations: [...SYSTEM_PLACEMENT.tolerations],
            topologySpreadConstraints: args.highAvailability ? zoneSpread({ "app.kubernetes.io/component": "single-binary" }) : [],
            resources: { requests: { cpu: "250m", memory: "1Gi" }, limits: { memory: "4Gi" } },
            persistence: { enabled: true, size: `${settings.storeVolumeSizeGiB}Gi`, storageClass: "gp3" },
        },
        ...(args.highAvailability ? { podDisruptionBudget: { maxUnavailable: 1 } } : {}),
        read: { replicas: 0 },
        write: { replicas: 0 },
        backend: { replicas: 0 },
        gateway: { enabled: false },
        chunksCache: { enabled: false },
        resultsCache: { enabled: false },
        lokiCanary: { enabled: false },
        // The sidecar loads ruler rules from ConfigMaps; alerts on logs are Prometheus' here.
        sidecar: { rules: { enabled: false } },
        test: { enabled: false },
        monitoring: { serviceMonitor: { enabled: true }, selfMonitoring: { enabled: false } },
    };
}

/**
 * The log bucket's lifecycle: each tier's archive moves to Glacier Instant Retrieval after a day
 * (it is read only when someone needs logs older than the searchable tier) and expires after the
 * tier's archive days; what Loki deletes or overwrites is kept a week; interrupted uploads go.
 */
export interface LifecycleRule {
    id: string;
    status: string;
    filter: { prefix?: string };
    abortIncompleteMultipartUpload?: { daysAfterInitiation: number };
    noncurrentVersionExpiration?: { noncurrentDays: number };
    transitions?: Array<{ days: number; storageClass: string }>;
    expiration?: { days: number };
}

export function logBucketLifecycle(tiers: LoggingSettings["tiers"]): LifecycleRule[] {
    return [
        { id: "abort-incomplete-uploads", status: "Enabled", filter: {}, abortIncompleteMultipartUpload: { daysAfterInitiation: 7 } },
        { id: "expire-noncurrent-versions", status: "Enabled", filter: {}, noncurrentVersionExpiration: { noncurrentDays: 7 } },
        ...Object.entries(tiers).map(([name, tier]) => ({
            id: `archive-${name}`,
            status: "Enabled",
            filter: { prefix: `${DEFAULTS.archivePrefix}tier=${name}/` },
            transitions: [{ days: 1, storageClass: "GLACIER_IR" }],
            expiration: { days: tier.archiveDays },
        })),
    ];
}

const pod = (namespace: string, app: string) => ({
    matchLabels: { "k8s:io.kubernetes.pod.namespace": namespace, "app.kubernetes.io/name": app },
});

/**
 * Who may reach Loki, down to the HTTP request (Cilium's L7 policy): the collector may only push,
 * Grafana may only query, Prometheus may only scrape, and the replicas talk to each other (ring,
 * gRPC). Everything else, writes from anywhere but the collector included, is refused.
 */
interface PortRule {
    readonly ports: ReadonlyArray<{ readonly port: string; readonly protocol: string }>;
    readonly rules?: { readonly http: ReadonlyArray<{ readonly method: string; readonly path: string }> };
}

export function storePolicySpec(args: { monitoringNamespace: string }) {
    const tcp = (ports: string[]): PortRule[] => [{ ports: ports.map((port) => ({ port, protocol: "TCP" })) }];
    const http = (rules: Array<{ method: string; path: string }>): PortRule[] => [
        { ports: [{ port: String(DEFAULTS.store.port), protocol: "TCP" }], rules: { http: rules } },
    ];
    return {
        endpointSelector: { matchLabels: { "app.kubernetes.io/name": DEFAULTS.store.app } },
        ingress: [
            {
                fromEndpoints: [pod(DEFAULTS.collector.namespace, DEFAULTS.collector.app)],
                toPorts: http([{ method: "POST", path: "/loki/api/v1/push" }]),
            },
            {
                fromEndpoints: [pod(args.monitoringNamespace, "grafana")],
                toPorts: http([
                    { method: "GET", path: "/loki/api/v1/.*" },
                    { method: "POST", path: "/loki/api/v1/(query|query_range|series|index/.*)" },
                ]),
            },
            { fromEndpoints: [pod(args.monitoringNamespace, "prometheus")], toPorts: http([{ method: "GET", path: "/metrics" }]) },
            {
                fromEndpoints: [pod(DEFAULTS.store.namespace, DEFAULTS.store.app)],
                // The ring (memberlist), gRPC between replicas, and HTTP.
                toPorts: tcp(["7946", "9095", String(DEFAULTS.store.port)]),
            },
        ],
    };
}

/** The collector takes no connection but Prometheus' scrapes. */
export function collectorPolicySpec(args: { monitoringNamespace: string }) {
    return {
        podSelector: { matchLabels: { "app.kubernetes.io/name": DEFAULTS.collector.app } },
        policyTypes: ["Ingress"],
        ingress: [
            {
                from: [
                    {
                        namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": args.monitoringNamespace } },
                        podSelector: { matchLabels: { "app.kubernetes.io/name": "prometheus" } },
                    },
                ],
                ports: [{ protocol: "TCP", port: DEFAULTS.metricsPort }],
            },
        ],
    };
}
