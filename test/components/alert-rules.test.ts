// The platform's alert rules evaluated by Prometheus' own rule engine, `promtool test rules`,
// against synthetic series: for each alert, the situation it exists for and the healthy ones it
// must stay quiet in. promtool comes from the PROMTOOL variable or the PATH (Debian's prometheus
// package; `.ci/run` installs it).
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { stringify } from "yaml";
import { type AlertRule, platformRuleGroups } from "../../components/observability/alerts";
import { DRILL } from "../../components/backups/restore-drill";

const PROMTOOL = process.env.PROMTOOL ?? "promtool";
const DRILLS = { cronjobs: [DRILL.name], namespace: "velero", periodHours: 168, runSeconds: DRILL.deadlineSeconds + DRILL.graceSeconds };
const GROUPS = platformRuleGroups({ objective: 0.999, runbookUrl: "https://runbooks.example.com", drills: DRILLS });
const ALERTS = new Map(
    GROUPS.flatMap((group) => group.rules)
        .filter((rule): rule is AlertRule => "alert" in rule)
        .map((rule) => [rule.alert, rule]),
);

/** One situation: series sampled every `interval`, and at given times which alerts fire, with which labels. */
interface Case {
    readonly name: string;
    readonly interval?: string;
    readonly evaluationInterval?: string;
    readonly series: Readonly<Record<string, string>>;
    readonly checks: ReadonlyArray<{ at: string; alert: string; fires: ReadonlyArray<Record<string, string>> }>;
}

/** An alert's annotations as Prometheus expands them for `labels` (the rules use only {{ $labels.x }}). */
function annotations(alert: AlertRule, labels: Record<string, string>): Record<string, string> {
    const expand = (text: string) => text.replace(/\{\{ \$labels\.(\w+) \}\}/g, (_, key: string) => labels[key] ?? "");
    return Object.fromEntries(Object.entries(alert.annotations).map(([key, text]) => [key, expand(text)]));
}

/** Runs promtool on a case; its output when it fails. */
function promtool(dir: string, test: Case): { status: number | null; output: string } {
    // Only the groups of the alerts the case checks: each group is evaluated at every step.
    const checked = new Set(test.checks.map((check) => check.alert));
    const groups = GROUPS.filter((group) => group.rules.some((rule) => "alert" in rule && checked.has(rule.alert)));
    writeFileSync(path.join(dir, "rules.yml"), stringify({ groups }));
    const file = path.join(dir, "test.yml");
    writeFileSync(
        file,
        stringify({
            rule_files: ["rules.yml"],
            evaluation_interval: test.evaluationInterval ?? "1m",
            tests: [
                {
                    interval: test.interval ?? "1m",
                    input_series: Object.entries(test.series).map(([series, values]) => ({ series, values })),
                    alert_rule_test: test.checks.map((check) => {
                        const alert = ALERTS.get(check.alert);
                        assert.ok(alert, `no alert ${check.alert}`);
                        return {
                            eval_time: check.at,
                            alertname: check.alert,
                            exp_alerts: check.fires.map((labels) => ({
                                exp_labels: { severity: alert.labels.severity, ...labels },
                                exp_annotations: annotations(alert, labels),
                            })),
                        };
                    }),
                },
            ],
        }),
    );
    const run = spawnSync(PROMTOOL, ["test", "rules", file], { encoding: "utf8" });
    if (run.error) throw new Error(`${PROMTOOL} cannot run (${run.error.message}): install Debian's prometheus package or set PROMTOOL`);
    return { status: run.status, output: `${run.stdout}${run.stderr}` };
}

const drill = `namespace="velero", cronjob="${DRILL.name}"`;
const schedule = `kube_cronjob_status_last_schedule_time{${drill}}`;
const success = `kube_cronjob_status_last_successful_time{${drill}}`;
const created = `kube_cronjob_created{${drill}}`;
const failed = { cronjob: DRILL.name };

// Times are seconds since 0, as promtool's time() counts them. The weekly drill last succeeded at
// 0 and is scheduled again at 168h (604800 s); a run may take DRILLS.runSeconds (75 minutes).
const WEEK = "1007";
const CASES: Case[] = [
    {
        name: "restore drill: a healthy weekly run in progress, then done, pages nobody",
        interval: "10m",
        evaluationInterval: "10m",
        series: { [created]: "0x1100", [schedule]: `0x${WEEK} 604800x90`, [success]: `0x1009 606000x88` },
        checks: [
            { at: "168h10m", alert: "RestoreDrillFailed", fires: [] },
            { at: "169h", alert: "RestoreDrillFailed", fires: [] },
            { at: "182h", alert: "RestoreDrillFailed", fires: [] },
            { at: "182h", alert: "RestoreDrillMissing", fires: [] },
        ],
    },
    {
        name: "restore drill: a failed run pages once it is past its deadline and grace",
        interval: "10m",
        evaluationInterval: "10m",
        series: { [created]: "0x1100", [schedule]: `0x${WEEK} 604800x90`, [success]: "0x1100" },
        checks: [
            { at: "169h10m", alert: "RestoreDrillFailed", fires: [] },
            { at: "169h20m", alert: "RestoreDrillFailed", fires: [failed] },
        ],
    },
    {
        name: "restore drill: a first run that failed pages too",
        interval: "10m",
        evaluationInterval: "10m",
        series: { [created]: "0x1100", [schedule]: `_x${WEEK} 604800x90` },
        checks: [
            { at: "168h", alert: "RestoreDrillFailed", fires: [] },
            { at: "169h20m", alert: "RestoreDrillFailed", fires: [{ namespace: "velero", ...failed }] },
        ],
    },
    {
        // Evaluated once per sample: between hourly samples the series would go stale.
        name: "restore drill: a missed schedule pages a day after the run was due",
        interval: "1h",
        evaluationInterval: "1h",
        series: { [created]: "0x250", [schedule]: "0x250", [success]: "0x250" },
        checks: [
            { at: "192h", alert: "RestoreDrillMissing", fires: [] },
            { at: "195h", alert: "RestoreDrillMissing", fires: [failed] },
            { at: "195h", alert: "RestoreDrillFailed", fires: [] },
        ],
    },
    {
        name: "restore drill: a brand-new cluster is quiet until its first drill is overdue",
        interval: "1h",
        evaluationInterval: "1h",
        series: { [created]: "0x250" },
        checks: [
            { at: "1h", alert: "RestoreDrillFailed", fires: [] },
            { at: "1h", alert: "RestoreDrillMissing", fires: [] },
            { at: "190h", alert: "RestoreDrillMissing", fires: [] },
            { at: "195h", alert: "RestoreDrillMissing", fires: [{ namespace: "velero", ...failed }] },
        ],
    },
    {
        name: "restore drill: a deleted CronJob pages",
        interval: "10m",
        series: { 'kube_cronjob_created{namespace="velero", cronjob="other"}': "0x20" },
        checks: [{ at: "90m", alert: "RestoreDrillMissing", fires: [{ namespace: "velero", ...failed }] }],
    },
    {
        name: "API server: a fast burn pages, a healthy server does not",
        series: {
            'apiserver_request_total{job="apiserver", verb="GET", code="200"}': "0+1000x120",
            'apiserver_request_total{job="apiserver", verb="GET", code="500"}': "0x59 0+100x60",
            'apiserver_request_total{job="apiserver", verb="WATCH", code="500"}': "0+1000x120",
        },
        checks: [
            { at: "55m", alert: "APIServerErrorBudgetBurnFast", fires: [] },
            { at: "55m", alert: "APIServerErrorBudgetBurnSlow", fires: [] },
            { at: "70m", alert: "APIServerErrorBudgetBurnFast", fires: [{}] },
        ],
    },
    {
        name: "API server: a slow burn opens a ticket, not a page",
        interval: "10m",
        evaluationInterval: "10m",
        series: {
            'apiserver_request_total{job="apiserver", verb="GET", code="200"}': "0+10000x200",
            'apiserver_request_total{job="apiserver", verb="GET", code="500"}': "0+50x200",
        },
        checks: [
            { at: "30h", alert: "APIServerErrorBudgetBurnSlow", fires: [{}] },
            { at: "30h", alert: "APIServerErrorBudgetBurnFast", fires: [] },
        ],
    },
    {
        name: "logs: a collector that stops sending pages; one that sends, sampling health checks, does not",
        series: {
            'vector_component_sent_events_total{component_id="loki"}': "0+10x20 200x40",
            'vector_component_discarded_events_total{component_id="health_checks", intentional="true"}': "0+500x60",
            'vector_component_errors_total{component_id="loki"}': "0x60",
            'loki_request_duration_seconds_count{route="loki_api_v1_push", status_code="204"}': "0+100x60",
        },
        checks: [
            { at: "20m", alert: "LogPipelineStalled", fires: [] },
            { at: "20m", alert: "LogRecordsDropped", fires: [] },
            { at: "20m", alert: "LogCollectorErrors", fires: [] },
            { at: "20m", alert: "LogStoreIngestionFailing", fires: [] },
            { at: "55m", alert: "LogPipelineStalled", fires: [{}] },
        ],
    },
    {
        name: "logs: no collector at all pages",
        series: { 'vector_component_errors_total{component_id="loki"}': "0x40" },
        checks: [
            // absent() takes its labels from the selector's equalities.
            { at: "20m", alert: "LogPipelineStalled", fires: [{ component_id: "loki" }] },
            { at: "20m", alert: "LogCollectorErrors", fires: [] },
        ],
    },
    {
        name: "logs: records dropped by accident page, sampling does not; errors and failed pushes are seen",
        series: {
            'vector_component_discarded_events_total{component_id="loki", intentional="false"}': "0+5x40",
            'vector_component_discarded_events_total{component_id="health_checks", intentional="true"}': "0+500x40",
            'vector_component_sent_events_total{component_id="loki"}': "0+10x40",
            'vector_component_errors_total{component_id="archive"}': "0+1x40",
            'loki_request_duration_seconds_count{route="loki_api_v1_push", status_code="500"}': "0+2x40",
            'loki_request_duration_seconds_count{route="loki_api_v1_push", status_code="204"}': "0+100x40",
        },
        checks: [
            { at: "30m", alert: "LogRecordsDropped", fires: [{ component_id: "loki" }] },
            { at: "30m", alert: "LogCollectorErrors", fires: [{ component_id: "archive" }] },
            { at: "30m", alert: "LogStoreIngestionFailing", fires: [{}] },
        ],
    },
    {
        name: "nodes: launch failures other than spare capacity, and pods pending for 15 minutes",
        series: {
            'karpenter_cloudprovider_errors_total{method="Create", error="InsufficientCapacityError"}': "0+3x60",
            'karpenter_cloudprovider_errors_total{method="Create", error="UnauthorizedOperation"}': "0x20 0+1x40",
            'kube_pod_status_phase{namespace="team-a", pod="web-1", phase="Pending"}': "1x60",
            'kube_pod_status_phase{namespace="team-a", pod="web-2", phase="Pending"}': "0x60",
        },
        checks: [
            { at: "20m", alert: "KarpenterLaunchFailing", fires: [] },
            { at: "50m", alert: "KarpenterLaunchFailing", fires: [{}] },
            { at: "10m", alert: "PodsPendingTooLong", fires: [] },
            { at: "20m", alert: "PodsPendingTooLong", fires: [{ namespace: "team-a", pod: "web-1" }] },
        ],
    },
    {
        name: "Argo CD, Kyverno and External Secrets: what stays broken pages or tickets",
        series: {
            'argocd_app_info{name="shop", project="team-a", health_status="Degraded", sync_status="Synced"}': "1x60",
            'argocd_app_info{name="cart", project="team-a", health_status="Healthy", sync_status="OutOfSync"}': "1x60",
            'apiserver_admission_webhook_rejection_count{name="validate.kyverno.svc-fail", error_type="calling_webhook_error"}': "0+1x60",
            'apiserver_admission_webhook_rejection_count{name="validate.kyverno.svc-fail", error_type="no_error"}': "0+9x60",
            'kyverno_policy_results_total{policy_name="require-probes", rule_result="error"}': "0+1x60",
            'kyverno_policy_results_total{policy_name="disallow-latest-tag", rule_result="fail"}': "0+9x60",
            'externalsecret_status_condition{namespace="team-a", name="db", condition="Ready", status="False"}': "1x60",
        },
        checks: [
            // Quiet while a failure is younger than the alert's `for`; then only the broken series fire.
            { at: "10m", alert: "ArgoCDApplicationDegraded", fires: [] },
            { at: "5m", alert: "KyvernoWebhookErrors", fires: [] },
            { at: "5m", alert: "KyvernoPolicyErrors", fires: [] },
            { at: "10m", alert: "ExternalSecretSyncFailing", fires: [] },
            { at: "20m", alert: "ArgoCDApplicationDegraded", fires: [{ name: "shop", project: "team-a" }] },
            { at: "20m", alert: "ArgoCDApplicationOutOfSync", fires: [] },
            { at: "40m", alert: "ArgoCDApplicationOutOfSync", fires: [{ name: "cart", project: "team-a" }] },
            { at: "20m", alert: "KyvernoWebhookErrors", fires: [{}] },
            { at: "20m", alert: "KyvernoPolicyErrors", fires: [{ policy_name: "require-probes" }] },
            { at: "20m", alert: "ExternalSecretSyncFailing", fires: [{ namespace: "team-a", name: "db" }] },
        ],
    },
    {
        name: "backups: a failed backup tickets at once, a day without one pages",
        interval: "1h",
        evaluationInterval: "1h",
        series: {
            'velero_backup_failure_total{schedule="daily"}': "0x2 1x30",
            'velero_backup_last_successful_timestamp{schedule="daily"}': "0x30",
        },
        checks: [
            { at: "1h", alert: "VeleroBackupFailed", fires: [] },
            { at: "3h", alert: "VeleroBackupFailed", fires: [{ schedule: "daily" }] },
            { at: "25h", alert: "VeleroNoRecentBackup", fires: [] },
            { at: "27h", alert: "VeleroNoRecentBackup", fires: [{ schedule: "daily" }] },
        ],
    },
];

describe("alert rules under Prometheus' rule engine (promtool test rules)", () => {
    let dir = "";
    before(() => {
        dir = mkdtempSync(path.join(tmpdir(), "alert-rules-"));
    });
    after(() => rmSync(dir, { recursive: true, force: true }));

    for (const test of CASES) {
        it(test.name, () => {
            const { status, output } = promtool(dir, test);
            assert.equal(status, 0, output);
        });
    }

    it("covers every alert of the platform, firing and quiet", () => {
        for (const alert of ALERTS.keys()) {
            const checks = CASES.flatMap((c) => c.checks).filter((check) => check.alert === alert);
            assert.ok(
                checks.some((check) => check.fires.length > 0),
                `no case where ${alert} fires`,
            );
            assert.ok(
                checks.some((check) => check.fires.length === 0),
                `no case where ${alert} stays quiet`,
            );
        }
    });

    it("fails a case whose expectation is wrong: the harness can tell", () => {
        const wrong = { ...CASES[0], checks: [{ at: "101m", alert: "RestoreDrillFailed", fires: [failed] }] };
        const { status, output } = promtool(dir, wrong);
        assert.equal(status, 1, output);
        assert.match(output, /FAILED/);
    });
});
