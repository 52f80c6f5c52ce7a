import * as pulumi from "@pulumi/pulumi";
import type { GitOpsSettings, MonitoringSettings } from "../../stacks/config/schema";
import { type DrillWatch, type RuleGroup, platformRuleGroups } from "./alerts";
import type { ClusterHandle } from "../shared/cluster-handle";
import { DEFAULTS as STORAGE } from "../addons/core/core-addons";
import { type ExternalSecretSpec, externalSecret } from "../addons/external-secrets/external-secrets";
import { platformRelease } from "../shared/kubernetes";
import { MONITORING_NAMESPACE } from "./monitoring-crds";
import { LOG_STORE_URL } from "./logging-values";
import { SYSTEM_PLACEMENT } from "../shared/scheduling";

export interface MonitoringArgs {
    readonly cluster: ClusterHandle;
    readonly chartVersion: string;
    readonly settings: MonitoringSettings;
    readonly highAvailability: boolean;
    /** The stack's environment, a label of every series and alert with the cluster and region. */
    readonly environment: string;
    /** The restore drills the backup alerts watch. */
    readonly drills: DrillWatch;
    /** The secret store's readiness: the ExternalSecrets of Grafana and Alertmanager wait for it. */
    readonly secretStore: pulumi.Input<pulumi.Resource>[];
    /** Grafana's hostname, the Gateway it is reached through, and its sign-in. */
    readonly grafana: GrafanaAccess;
    /** The CRDs, the nodes the stack runs on, and the Gateway Grafana's route attaches to. */
    readonly dependsOn: pulumi.Input<pulumi.Resource>[];
}

export const DEFAULTS = {
    namespace: MONITORING_NAMESPACE,
    grafanaSecret: "grafana-admin",
    oidcSecret: "grafana-oidc",
    webhookSecret: "alertmanager-webhooks",
} as const;

/** Where Alertmanager finds a key of a mounted secret (alertmanagerSpec.secrets). */
const secretFile = (key: string) => `/etc/alertmanager/secrets/${DEFAULTS.webhookSecret}/${key}`;

/**
 * Alertmanager routing: the always-firing Watchdog goes to a heartbeat receiver every minute, a
 * dead man's switch that raises the alarm when Prometheus or Alertmanager stops; critical alerts
 * page, everything else goes to chat; a critical alert silences the warnings of the same alert.
 * Alerts are grouped by cluster first (every alert carries Prometheus' external labels), so a
 * notification is about one cluster and says which. Webhook URLs are read from files of a Secret
 * synced from Secrets Manager, so the configuration itself holds no secret.
 */
export function alertmanagerConfig() {
    return {
        route: {
            receiver: "chat",
            group_by: ["cluster", "alertname", "namespace"],
            group_wait: "30s",
            group_interval: "5m",
            repeat_interval: "4h",
            routes: [
                {
                    matchers: ['alertname = "Watchdog"'],
                    receiver: "heartbeat",
                    group_wait: "0s",
                    group_interval: "1m",
                    repeat_interval: "1m",
                },
                { matchers: ['severity = "critical"'], receiver: "paging", repeat_interval: "1h" },
            ],
        },
        inhibit_rules: [
            {
                source_matchers: ['severity = "critical"'],
                target_matchers: ['severity = "warning"'],
                equal: ["cluster", "alertname", "namespace"],
            },
        ],
        receivers: [
            { name: "heartbeat", webhook_configs: [{ url_file: secretFile("heartbeat-url"), send_resolved: false }] },
            { name: "paging", webhook_configs: [{ url_file: secretFile("paging-url"), send_resolved: true }] },
            { name: "chat", webhook_configs: [{ url_file: secretFile("chat-url"), send_resolved: true }] },
        ],
    };
}

/** How Grafana is reached: its hostname on the platform Gateway, and its sign-in. */
export interface GrafanaAccess {
    readonly hostname: string;
    readonly gateway: { readonly name: string; readonly namespace: string; readonly sectionName: string };
    /** SSO through the issuer Argo CD uses; its admin groups are Grafana's admins. */
    readonly sso?: NonNullable<MonitoringSettings["sso"]> & { readonly adminGroups: readonly string[]; readonly scopes: readonly string[] };
}

/** Grafana's access: its hostname and route, and SSO with Argo CD's issuer and admin groups when both are set. */
export function grafanaAccess(
    hostname: string,
    gateway: GrafanaAccess["gateway"],
    issuer: GitOpsSettings["sso"],
    sso: MonitoringSettings["sso"],
): GrafanaAccess {
    return { hostname, gateway, sso: sso && issuer ? { ...sso, adminGroups: issuer.adminGroups, scopes: issuer.scopes } : undefined };
}

/**
 * Grafana behind the platform Gateway (an HTTPRoute of the chart, root_url on the route's host) and,
 * with SSO, signing in through the issuer: members of the admin groups are Admins, everyone else
 * who signs in a Viewer; the login form is off (the admin account stays for the chart's sidecars),
 * and the client secret comes from a synced Secret, never from the values.
 * https://grafana.com/docs/grafana/latest/setup-grafana/configure-security/configure-authentication/generic-oauth/
 */
export function grafanaAccessValues(access: GrafanaAccess) {
    const sso = access.sso;
    // JMESPath over the ID token's claims, as in Grafana's docs: any admin group makes an Admin.
    const isAdmin = (sso?.adminGroups ?? []).map((group) => `contains(groups[*], '${group.replaceAll("'", "\\'")}')`).join(" || ");
    return {
        route: { main: { enabled: true, hostnames: [access.hostname], parentRefs: [{ ...access.gateway }] } },
        "grafana.ini": {
            server: { root_url: `https://${access.hostname}/` },
            ...(sso
                ? {
                      auth: { disable_login_form: true },
                      "auth.generic_oauth": {
                          enabled: true,
                          name: "SSO",
                          client_id: sso.clientId,
                          scopes: sso.scopes.join(" "),
                          auth_url: sso.authUrl,
                          token_url: sso.tokenUrl,
                          api_url: sso.userInfoUrl,
                          use_pkce: true,
                          allow_sign_up: true,
                          groups_attribute_path: "groups",
                          role_attribute_path: `(${isAdmin}) && 'Admin' || 'Viewer'`,
                      },
                  }
                : {}),
        },
        ...(sso
            ? {
                  envValueFrom: {
                      GF_AUTH_GENERIC_OAUTH_CLIENT_SECRET: { secretKeyRef: { name: DEFAULTS.oidcSecret, key: "clientSecret" } },
                  },
              }
            : {}),
    };
}

const requests = (cpu: string, memory: string, limit: string) => ({ requests: { cpu, memory }, limits: { memory: limit } });

/**
 * Helm values of kube-prometheus-stack. Prometheus keeps the
 * stack file's retention on an encrypted gp3 volume and picks up every ServiceMonitor,
 * PodMonitor and PrometheusRule in the cluster, not only its own. Two replicas of Prometheus
 * and Alertmanager on separate nodes when highly available. EKS runs the control plane and
 * Cilium replaces kube-proxy, so those targets are not scraped; the API server and CoreDNS are.
 */
export function monitoringValues(args: {
    settings: MonitoringSettings;
    highAvailability: boolean;
    rules: RuleGroup[];
    /** Added to every series and alert this Prometheus sends: which cluster, region and environment. */
    externalLabels: { cluster: string; region: string; environment: string };
    grafana: GrafanaAccess;
}) {
    const ha = args.highAvailability;
    const placement = { nodeSelector: { ...SYSTEM_PLACEMENT.nodeSelector }, tolerations: [...SYSTEM_PLACEMENT.tolerations] };
    const selectAll = {
        serviceMonitorSelectorNilUsesHelmValues: false,
        podMonitorSelectorNilUsesHelmValues: false,
        ruleSelectorNilUsesHelmValues: false,
        probeSelectorNilUsesHelmValues: false,
        scrapeConfigSelectorNilUsesHelmValues: false,
    };
    return {
        // CRDs come from their own release, installed first; Helm applies a chart's CRDs only
        // when they are missing, so the chart's copies never replace them.
        // The chart renders these as the PrometheusRule "kube-prometheus-stack-platform", installed
        // and upgraded with the Prometheus that evaluates them.
        additionalPrometheusRulesMap: { platform: { groups: args.rules } },
        kubeProxy: { enabled: false },
        kubeControllerManager: { enabled: false },
        kubeScheduler: { enabled: false },
        kubeEtcd: { enabled: false },
        coreDns: { enabled: true },
        defaultRules: {
            rules: {
                kubeProxy: false,
                kubeControllerManager: false,
                kubeSchedulerAlerting: false,
                kubeSchedulerRecording: false,
                etcd: false,
                // The platform's own API server burn-rate alerts replace the chart's
                // KubeAPIErrorBudgetBurn and the recording rules only it uses: one page per signal.
                kubeApiserverSlos: false,
                kubeApiserverBurnrate: false,
            },
        },
        prometheusOperator: {
            ...placement,
            resources: requests("100m", "128Mi", "512Mi"),
            admissionWebhooks: { patch: { ...placement, resources: requests("20m", "32Mi", "128Mi") } },
        },
        prometheus: {
            // Two replicas scrape the same targets: a drain takes one at a time.
            podDisruptionBudget: { enabled: ha, minAvailable: 1 },
            prometheusSpec: {
                ...selectAll,
                ...placement,
                replicas: ha ? 2 : 1,
                podAntiAffinity: ha ? "hard" : "soft",
                externalLabels: { ...args.externalLabels },
                retention: args.settings.retention,
                retentionSize: args.settings.retentionSize,
                // Deleting Prometheus (the release's uninstall) deletes its volumes too, while the
                // EBS CSI driver still runs: a destroyed stack leaves no EBS volume behind.
                persistentVolumeClaimRetentionPolicy: { whenDeleted: "Delete", whenScaled: "Retain" },
                storageSpec: {
                    volumeClaimTemplate: {
                        spec: {
                            storageClassName: STORAGE.storageClass,
                            accessModes: ["ReadWriteOnce"],
                            resources: { requests: { storage: `${args.settings.volumeSizeGiB}Gi` } },
                        },
                    },
                },
                resources: requests("500m", "2Gi", "6Gi"),
            },
        },
        alertmanager: {
            podDisruptionBudget: { enabled: ha, minAvailable: 1 },
            config: alertmanagerConfig(),
            alertmanagerSpec: {
                ...placement,
                replicas: ha ? 2 : 1,
                podAntiAffinity: ha ? "hard" : "soft",
                secrets: [DEFAULTS.webhookSecret],
                resources: requests("50m", "64Mi", "256Mi"),
            },
        },
        grafana: {
            admin: { existingSecret: DEFAULTS.grafanaSecret },
            // The cluster's logs, read-only through Loki's query API (its policy admits Grafana's queries only).
            additionalDataSources: [
                {
                    name: "Loki",
                    type: "loki",
                    uid: "loki",
                    access: "proxy",
                    url: LOG_STORE_URL,
                    editable: false,
                    jsonData: { maxLines: 5000 },
                },
            ],
            ...grafanaAccessValues(args.grafana),
            ...placement,
            resources: requests("100m", "256Mi", "512Mi"),
            // The dashboard and datasource sidecars.
            sidecar: { resources: requests("10m", "64Mi", "256Mi") },
        },
        "kube-state-metrics": { ...placement, resources: requests("50m", "128Mi", "512Mi") },
        // A DaemonSet: every node, whatever its taints.
        "prometheus-node-exporter": { tolerations: [{ operator: "Exists" }], resources: requests("20m", "32Mi", "128Mi") },
    };
}

/**
 * kube-prometheus-stack with the platform's alerts (PrometheusRules rendered by the chart): Grafana's admin credential and
 * Alertmanager's webhook URLs from Secrets Manager, the API server error-budget alerts and one
 * rule group per add-on.
 */
export class Monitoring extends pulumi.ComponentResource {
    constructor(name: string, args: MonitoringArgs, opts?: pulumi.ComponentResourceOptions) {
        super("platform:observability:Monitoring", name, {}, opts);
        const { cluster, settings } = args;
        const k8sOpts = { parent: this, provider: cluster.provider, deletedWith: cluster.eks };

        const secrets: ExternalSecretSpec[] = [
            {
                name: DEFAULTS.grafanaSecret,
                namespace: DEFAULTS.namespace,
                entries: ["admin-user", "admin-password"].map((key) => ({
                    secretKey: key,
                    key: settings.grafanaAdminSecretName,
                    property: key,
                })),
            },
            {
                // Alertmanager reads the webhook URLs from this Secret's files.
                name: DEFAULTS.webhookSecret,
                namespace: DEFAULTS.namespace,
                entries: [
                    { secretKey: "paging-url", key: settings.pagingWebhookSecretName, property: "url" },
                    { secretKey: "chat-url", key: settings.chatWebhookSecretName, property: "url" },
                    { secretKey: "heartbeat-url", key: settings.heartbeatWebhookSecretName, property: "url" },
                ],
            },
            ...(args.grafana.sso
                ? [
                      {
                          name: DEFAULTS.oidcSecret,
                          namespace: DEFAULTS.namespace,
                          entries: [{ secretKey: "clientSecret", key: args.grafana.sso.clientSecretName, property: "clientSecret" }],
                      },
                  ]
                : []),
        ];
        secrets.forEach((secret) =>
            externalSecret(`${name}-secret-${secret.name}`, secret, { ...k8sOpts, dependsOn: [...args.dependsOn, ...args.secretStore] }),
        );

        // The release does not wait for External Secrets: Grafana and Alertmanager start as soon
        // as their Secrets are written (the kubelet retries), well within the release's timeout.
        // Waiting would put the External Secrets install on the path of every first deployment,
        // and a created ExternalSecret object never guaranteed a synced Secret anyway.
        platformRelease(
            `${name}-release`,
            {
                cluster,
                source: "kube-prometheus-stack",
                chart: "kube-prometheus-stack",
                release: "kube-prometheus-stack",
                namespace: DEFAULTS.namespace,
                version: args.chartVersion,
                values: monitoringValues({
                    settings,
                    highAvailability: args.highAvailability,
                    externalLabels: { cluster: args.cluster.name, region: args.cluster.region, environment: args.environment },
                    grafana: args.grafana,
                    rules: platformRuleGroups({
                        objective: settings.apiServerAvailability,
                        runbookUrl: settings.runbookUrl,
                        drills: args.drills,
                    }),
                }),
                timeout: 900,
            },
            // Not deletedWith the cluster: the release is uninstalled first, so its volumes go with it.
            { parent: this, provider: cluster.provider, dependsOn: args.dependsOn },
        );

        this.registerOutputs({});
    }
}
