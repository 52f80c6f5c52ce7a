// The platform's alerts as PrometheusRule groups, built from data: each alert has a severity
// (critical pages, warning goes to chat), a summary, and a runbook link.

export type Severity = "critical" | "warning";

export interface AlertRule {
    alert: string;
    expr: string;
    for?: string;
    labels: { severity: Severity };
    annotations: { summary: string; description: string; runbook_url: string };
}
export interface RecordingRule {
    record: string;
    expr: string;
}
export interface RuleGroup {
    name: string;
    rules: Array<AlertRule | RecordingRule>;
}

/**
 * Multi-window, multi-burn-rate alerting from the Google SRE workbook ("Alerting on SLOs"):
 * page when 2% of a 30-day budget burns in an hour or 5% in six hours, open a ticket when 10%
 * burns in three days or a day. The short window makes the alert stop soon after the burn does.
 */
export const BURN_RATES = [
    { severity: "critical", long: "1h", short: "5m", factor: 14.4 },
    { severity: "critical", long: "6h", short: "30m", factor: 6 },
    { severity: "warning", long: "1d", short: "2h", factor: 3 },
    { severity: "warning", long: "3d", short: "6h", factor: 1 },
] as const;

/** API server requests that count for availability: everything but long-running watches and exec. */
const APISERVER = 'job="apiserver", verb!~"WATCH|CONNECT"';
export const errorRatio = (window: string) => `platform:apiserver_request:error_ratio_rate${window}`;

function apiServerAvailability(objective: number, runbook: (alert: string) => string): RuleGroup {
    const budget = 1 - objective;
    const windows = [...new Set(BURN_RATES.flatMap((rate) => [rate.long, rate.short]))];
    const recordings: RecordingRule[] = windows.map((window) => ({
        record: errorRatio(window),
        expr: `sum(rate(apiserver_request_total{${APISERVER}, code=~"5.."}[${window}])) / sum(rate(apiserver_request_total{${APISERVER}}[${window}]))`,
    }));
    const alerts = (["critical", "warning"] as const).map((severity): AlertRule => {
        const pairs = BURN_RATES.filter((rate) => rate.severity === severity);
        const name = severity === "critical" ? "APIServerErrorBudgetBurnFast" : "APIServerErrorBudgetBurnSlow";
        return {
            alert: name,
            expr: pairs
                .map(
                    (rate) =>
                        `(${errorRatio(rate.long)} > (${rate.factor} * ${budget.toFixed(6)}) and ${errorRatio(rate.short)} > (${rate.factor} * ${budget.toFixed(6)}))`,
                )
                .join(" or "),
            ...(severity === "critical" ? { for: "2m" } : { for: "15m" }),
            labels: { severity },
            annotations: {
                summary: `The API server is burning its ${(objective * 100).toFixed(2)}% availability budget ${severity === "critical" ? "fast" : "steadily"}`,
                description: `5xx responses over ${pairs.map((p) => `${p.long}/${p.short}`).join(" or ")} exceed ${pairs.map((p) => `${p.factor}x`).join(" / ")} the error budget.`,
                runbook_url: runbook(name),
            },
        };
    });
    return { name: "platform-apiserver-slo", rules: [...recordings, ...alerts] };
}

interface AlertSpec {
    readonly alert: string;
    readonly expr: string;
    readonly for?: string;
    readonly severity: Severity;
    readonly summary: string;
    readonly description: string;
}

const ADDON_ALERTS: ReadonlyArray<{ group: string; alerts: AlertSpec[] }> = [
    {
        group: "platform-logging",
        // Vector's internal metrics (vector.dev/docs/reference/configuration/sources/internal_metrics)
        // and Loki's push endpoint. Sampling discards count as intentional and never fire.
        alerts: [
            {
                alert: "LogPipelineStalled",
                // No collector reporting at all counts as stalled too.
                expr: 'sum(rate(vector_component_sent_events_total{component_id="loki"}[15m])) == 0 or absent(vector_component_sent_events_total{component_id="loki"})',
                for: "15m",
                severity: "critical",
                summary: "No log line has reached Loki for 15 minutes",
                description: "The collectors ship nothing to the store: logs of this cluster are being lost or held back.",
            },
            {
                alert: "LogRecordsDropped",
                expr: 'sum by (component_id) (rate(vector_component_discarded_events_total{intentional="false"}[10m])) > 0',
                for: "10m",
                severity: "critical",
                summary: "The log collector drops records at {{ $labels.component_id }}",
                description: "Records are lost before they are stored: a full buffer, or a sink that refuses them.",
            },
            {
                alert: "LogCollectorErrors",
                expr: "sum by (component_id) (rate(vector_component_errors_total[10m])) > 0",
                for: "15m",
                severity: "warning",
                summary: "The log collector keeps failing at {{ $labels.component_id }}",
                description: "Sending to Loki or to the archive fails and is retried; records are at risk once the buffers fill.",
            },
            {
                alert: "LogStoreIngestionFailing",
                expr: 'sum(rate(loki_request_duration_seconds_count{route="loki_api_v1_push", status_code=~"5.."}[10m])) > 0',
                for: "10m",
                severity: "critical",
                summary: "Loki fails to accept log lines",
                description: "Pushes to Loki fail on the server side: its storage, ring or limits refuse them.",
            },
        ],
    },
    {
        group: "platform-karpenter",
        alerts: [
            {
                alert: "KarpenterLaunchFailing",
                // Spot capacity running out is routine: Karpenter falls back to other types, zones or
                // on-demand, and pods that still wait raise PodsPendingTooLong. The error label is
                // Karpenter's error type (kubernetes-sigs/karpenter pkg/cloudprovider/metrics).
                expr: 'sum(increase(karpenter_cloudprovider_errors_total{method="Create", error!="InsufficientCapacityError"}[15m])) > 0',
                for: "15m",
                severity: "warning",
                summary: "Karpenter keeps failing to launch nodes",
                description:
                    "EC2 rejected node launches for 15 minutes for another reason than spare capacity (quotas, IAM, launch template). Pending pods wait.",
            },
            {
                alert: "PodsPendingTooLong",
                expr: 'max by (namespace, pod) (kube_pod_status_phase{phase="Pending"}) == 1',
                for: "15m",
                severity: "warning",
                summary: "Pod {{ $labels.namespace }}/{{ $labels.pod }} has been pending for 15 minutes",
                description: "No node could take the pod: check its requests, tolerations and the pools' limits.",
            },
        ],
    },
    {
        group: "platform-argocd",
        alerts: [
            {
                alert: "ArgoCDApplicationDegraded",
                expr: 'max by (name, project) (argocd_app_info{health_status="Degraded"}) == 1',
                for: "15m",
                severity: "warning",
                summary: "Argo CD application {{ $labels.name }} is degraded",
                description: "The application's resources have been unhealthy for 15 minutes.",
            },
            {
                alert: "ArgoCDApplicationOutOfSync",
                expr: 'max by (name, project) (argocd_app_info{sync_status="OutOfSync"}) == 1',
                for: "30m",
                severity: "warning",
                summary: "Argo CD application {{ $labels.name }} has been out of sync for 30 minutes",
                description: "What runs is not what Git says; a sync is failing or blocked.",
            },
        ],
    },
    {
        group: "platform-kyverno",
        alerts: [
            {
                alert: "KyvernoWebhookErrors",
                expr: 'sum(rate(apiserver_admission_webhook_rejection_count{name=~".*kyverno.*", error_type=~"calling_webhook_error|apiserver_internal_error"}[5m])) > 0',
                for: "10m",
                severity: "critical",
                summary: "The API server cannot reach Kyverno's admission webhooks",
                description: "Admission in application namespaces fails while Kyverno's webhooks error.",
            },
            {
                alert: "KyvernoPolicyErrors",
                expr: 'sum by (policy_name) (increase(kyverno_policy_results_total{rule_result="error"}[10m])) > 0',
                for: "10m",
                severity: "warning",
                summary: "Kyverno policy {{ $labels.policy_name }} fails to evaluate",
                description: "A policy errors instead of deciding; its verdicts are missing.",
            },
        ],
    },
    {
        group: "platform-external-secrets",
        alerts: [
            {
                alert: "ExternalSecretSyncFailing",
                expr: 'max by (namespace, name) (externalsecret_status_condition{condition="Ready", status="False"}) == 1',
                for: "15m",
                severity: "warning",
                summary: "ExternalSecret {{ $labels.namespace }}/{{ $labels.name }} cannot sync",
                description: "The secret is missing or stale in Kubernetes: check the Secrets Manager name and the store's namespaces.",
            },
        ],
    },
];

/** The drills the backup alerts watch: their CronJobs, in the Velero namespace, and their period. */
export interface DrillWatch {
    readonly cronjobs: readonly string[];
    readonly namespace: string;
    readonly periodHours: number;
    /** Longest a run may take before it counts as failed: the Job's deadline plus a grace, in seconds. */
    readonly runSeconds: number;
}

/** `expr(selector)` for each drill's CronJob, joined with `or`: each drill fires on its own. */
const eachDrill = (drills: DrillWatch, expr: (selector: string) => string): string =>
    drills.cronjobs.map((cronjob) => `(${expr(`namespace="${drills.namespace}", cronjob="${cronjob}"`)})`).join(" or ");

/** Alerts on backups and on the restore drills that prove them. */
function backupAlerts(drills: DrillWatch): AlertSpec[] {
    const due = `${drills.periodHours + 24} * 3600`;
    return [
        {
            alert: "VeleroBackupFailed",
            expr: "sum by (schedule) (increase(velero_backup_failure_total[1h])) > 0",
            severity: "warning",
            summary: "A Velero backup of schedule {{ $labels.schedule }} failed",
            description: "The latest backup did not complete; the next one may, but look before the window closes.",
        },
        {
            alert: "VeleroNoRecentBackup",
            expr: 'time() - max by (schedule) (velero_backup_last_successful_timestamp{schedule!=""}) > 26 * 3600',
            severity: "critical",
            summary: "No successful backup of schedule {{ $labels.schedule }} in 26 hours",
            description: "The cluster has gone more than a day without a usable backup.",
        },
        {
            alert: "RestoreDrillFailed",
            // A run has failed when it was scheduled longer ago than a run may last (the Job's
            // deadline) plus a grace, and nothing has succeeded since it was scheduled. A healthy
            // run in progress is younger than that, and its success moves the last successful time
            // past its schedule; a cluster whose drill never ran has no schedule time yet.
            expr: eachDrill(
                drills,
                (s) =>
                    `(max by (cronjob) (kube_cronjob_status_last_schedule_time{${s}}) > max by (cronjob) (kube_cronjob_status_last_successful_time{${s}})` +
                    ` and on(cronjob) time() - max by (cronjob) (kube_cronjob_status_last_schedule_time{${s}}) > ${drills.runSeconds})` +
                    ` or (absent(kube_cronjob_status_last_successful_time{${s}}) and on() time() - max(kube_cronjob_status_last_schedule_time{${s}}) > ${drills.runSeconds})`,
            ),
            severity: "critical",
            summary: "The latest restore drill {{ $labels.cronjob }} failed",
            description: "The latest backup could not be restored and verified, volume included: backups may be unusable.",
        },
        {
            alert: "RestoreDrillMissing",
            // Measured from the drill's creation until its first success, so a new cluster does not
            // page before its first drill has had the chance to run; a missing CronJob pages.
            expr: eachDrill(
                drills,
                (s) =>
                    `absent(kube_cronjob_created{${s}})` +
                    ` or (absent(kube_cronjob_status_last_successful_time{${s}}) and on() time() - max(kube_cronjob_created{${s}}) > ${due})` +
                    ` or time() - max by (cronjob) (kube_cronjob_status_last_successful_time{${s}}) > ${due}`,
            ),
            for: "1h",
            severity: "critical",
            summary: "No successful restore drill {{ $labels.cronjob }} within its period",
            description: "Backups have not been proven restorable recently.",
        },
    ];
}

const toRule = (spec: AlertSpec, runbook: (alert: string) => string): AlertRule => ({
    alert: spec.alert,
    expr: spec.expr,
    ...(spec.for ? { for: spec.for } : {}),
    labels: { severity: spec.severity },
    annotations: { summary: spec.summary, description: spec.description, runbook_url: runbook(spec.alert) },
});

/** Every rule group of the platform: the API server SLO and each add-on's failure modes. */
export function platformRuleGroups(args: { objective: number; runbookUrl: string; drills: DrillWatch }): RuleGroup[] {
    const runbook = (alert: string) =>
        `${args.runbookUrl.replace(/\/$/, "")}/${alert.replace(/([a-z0-9])([A-Z])/g, "$1-$2").toLowerCase()}`;
    return [
        apiServerAvailability(args.objective, runbook),
        ...ADDON_ALERTS.map(({ group, alerts }) => ({ name: group, rules: alerts.map((spec) => toRule(spec, runbook)) })),
        {
            name: "platform-backups",
            rules: backupAlerts(args.drills).map((spec) => toRule(spec, runbook)),
        },
    ];
}
