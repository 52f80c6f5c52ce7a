// Builders of monitoring, alerts, backups and the restore drill.
import * as assert from "node:assert/strict";
import { BURN_RATES, type AlertRule, type RecordingRule, errorRatio, platformRuleGroups } from "../../components/observability/alerts";
import {
    lifecycleRules,
    replicaLocationSpec,
    scheduleSpec,
    storageLocationSpec,
    veleroValues,
    volumeSnapshotClass,
} from "../../components/backups/backups";
import { alertmanagerConfig, monitoringValues } from "../../components/observability/monitoring";
import { DRILL, drillRules, drillScript } from "../../components/backups/restore-drill";
import { resolveStackConfig } from "../../stacks/config/config";
import { hours } from "../../stacks/config/units";
import { rawConfig, settingsOf } from "../fixtures";
import { gatewayParentRef } from "../../components/ingress/values";

const prod = resolveStackConfig(rawConfig(settingsOf("prod")));
const drills = {
    cronjobs: [DRILL.name, DRILL.replica.name],
    namespace: "velero",
    periodHours: 168,
    runSeconds: DRILL.deadlineSeconds + DRILL.graceSeconds,
};
const groups = platformRuleGroups({ objective: 0.999, runbookUrl: "https://runbooks.example.com/", drills });
const alerts = groups.flatMap((g) => g.rules).filter((r): r is AlertRule => "alert" in r);
const alert = (name: string) => alerts.find((a) => a.alert === name) as AlertRule;

describe("observability and backup builders", () => {
    describe("alert rules", () => {
        it("pages on fast burns and tickets on slow ones, with the SRE workbook's windows and factors", () => {
            assert.deepEqual(
                BURN_RATES.map((r) => [r.severity, r.long, r.short, r.factor]),
                [
                    ["critical", "1h", "5m", 14.4],
                    ["critical", "6h", "30m", 6],
                    ["warning", "1d", "2h", 3],
                    ["warning", "3d", "6h", 1],
                ],
            );
            const fast = alert("APIServerErrorBudgetBurnFast");
            assert.equal(fast.labels.severity, "critical");
            assert.ok(fast.expr.includes(`${errorRatio("1h")} > (14.4 * 0.001000) and ${errorRatio("5m")} > (14.4 * 0.001000)`));
            assert.ok(fast.expr.includes(`${errorRatio("6h")} > (6 * 0.001000) and ${errorRatio("30m")} > (6 * 0.001000)`));
            const slow = alert("APIServerErrorBudgetBurnSlow");
            assert.equal(slow.labels.severity, "warning");
            assert.ok(slow.expr.includes(`${errorRatio("3d")} > (1 * 0.001000) and ${errorRatio("6h")} > (1 * 0.001000)`));
        });

        it("records the API server error ratio for every window it alerts on", () => {
            const recorded = groups
                .flatMap((g) => g.rules)
                .filter((r): r is RecordingRule => "record" in r)
                .map((r) => r.record);
            for (const rate of BURN_RATES)
                for (const window of [rate.long, rate.short]) assert.ok(recorded.includes(errorRatio(window)), window);
        });

        it("derives the budget from the objective", () => {
            const strict = platformRuleGroups({ objective: 0.9995, runbookUrl: "https://r", drills })
                .flatMap((g) => g.rules)
                .find((r) => "alert" in r && r.alert === "APIServerErrorBudgetBurnFast") as AlertRule;
            assert.match(strict.expr, /14\.4 \* 0\.000500/);
        });

        it("gives every alert a severity, a summary and its own runbook link", () => {
            assert.equal(new Set(alerts.map((a) => a.alert)).size, alerts.length);
            for (const rule of alerts) {
                assert.ok(["critical", "warning"].includes(rule.labels.severity), rule.alert);
                assert.ok(rule.annotations.summary.length > 0, rule.alert);
                assert.match(rule.annotations.runbook_url, /^https:\/\/runbooks\.example\.com\/[a-z0-9-]+$/, rule.alert);
            }
            assert.equal(alert("RestoreDrillFailed").annotations.runbook_url, "https://runbooks.example.com/restore-drill-failed");
        });

        it("covers each add-on's failure modes and the backups", () => {
            for (const name of [
                "KarpenterLaunchFailing",
                "PodsPendingTooLong",
                "ArgoCDApplicationDegraded",
                "ArgoCDApplicationOutOfSync",
                "KyvernoWebhookErrors",
                "ExternalSecretSyncFailing",
                "VeleroBackupFailed",
                "VeleroNoRecentBackup",
                "RestoreDrillFailed",
                "RestoreDrillMissing",
            ]) {
                assert.ok(alert(name), name);
            }
            // What each alert fires on is proven against Prometheus' rule engine in alert-rules.test.ts.
            // Here: each drill on its own, so the replica's failing never hides behind the own drill's success.
            for (const name of ["RestoreDrillFailed", "RestoreDrillMissing"]) {
                for (const cronjob of drills.cronjobs) assert.ok(alert(name).expr.includes(`cronjob="${cronjob}"`), `${name}: ${cronjob}`);
                assert.match(alert(name).annotations.summary, /\{\{ \$labels\.cronjob \}\}/);
            }
        });
    });

    describe("kube-prometheus-stack values", () => {
        const values = monitoringValues({
            grafana: { hostname: "grafana.example.com", gateway: gatewayParentRef() },
            settings: prod.monitoring,
            highAvailability: true,
            rules: groups,
            externalLabels: { cluster: "platform-prod-eu-west-1", region: "eu-west-1", environment: "prod" },
        });
        const spec = values.prometheus.prometheusSpec;

        it("keeps the stack file's retention on a gp3 volume, two replicas on separate nodes", () => {
            assert.deepEqual([spec.retention, spec.retentionSize], [prod.monitoring.retention, prod.monitoring.retentionSize]);
            assert.equal(spec.storageSpec.volumeClaimTemplate.spec.storageClassName, "gp3");
            assert.equal(spec.storageSpec.volumeClaimTemplate.spec.resources.requests.storage, `${prod.monitoring.volumeSizeGiB}Gi`);
            assert.deepEqual([spec.replicas, spec.podAntiAffinity], [2, "hard"]);
            assert.equal(
                monitoringValues({
                    grafana: { hostname: "grafana.example.com", gateway: gatewayParentRef() },
                    settings: prod.monitoring,
                    highAvailability: false,
                    rules: [],
                    externalLabels: values.prometheus.prometheusSpec.externalLabels,
                }).prometheus.prometheusSpec.replicas,
                1,
            );
            assert.ok(spec.resources.requests.cpu && spec.resources.requests.memory);
        });

        it("scrapes every ServiceMonitor and evaluates every rule in the cluster, not only its own", () => {
            for (const key of [
                "serviceMonitorSelectorNilUsesHelmValues",
                "podMonitorSelectorNilUsesHelmValues",
                "ruleSelectorNilUsesHelmValues",
            ] as const)
                assert.equal(spec[key], false, key);
            assert.equal(values.coreDns.enabled, true);
            assert.equal(values.kubeProxy.enabled, false, "Cilium replaces kube-proxy");
            assert.deepEqual(values.additionalPrometheusRulesMap.platform.groups, groups);
        });

        it("takes Grafana's admin and Alertmanager's webhooks from Secrets, never from values", () => {
            assert.equal(values.grafana.admin.existingSecret, "grafana-admin");
            const receivers = alertmanagerConfig().receivers.flatMap((r) => r.webhook_configs ?? []);
            assert.ok(
                receivers.length === 3 &&
                    receivers.every((w) => w.url_file.startsWith("/etc/alertmanager/secrets/alertmanager-webhooks/") && !("url" in w)),
            );
            assert.deepEqual(values.alertmanager.alertmanagerSpec.secrets, ["alertmanager-webhooks"]);
            const routes = alertmanagerConfig().route.routes;
            assert.equal(routes.find((r) => r.matchers.includes('severity = "critical"'))?.receiver, "paging");
        });

        it("sends the Watchdog to a heartbeat receiver every minute, ahead of every other route", () => {
            const config = alertmanagerConfig();
            const [first] = config.route.routes;
            assert.deepEqual(first.matchers, ['alertname = "Watchdog"']);
            assert.equal(first.receiver, "heartbeat");
            assert.equal(first.repeat_interval, "1m");
            const heartbeat = config.receivers.find((r) => r.name === "heartbeat");
            assert.match(heartbeat?.webhook_configs?.[0].url_file ?? "", /\/heartbeat-url$/);
            assert.ok(!config.receivers.some((r) => (r.webhook_configs ?? []).length === 0), "no receiver drops what it is sent");
        });

        it("labels every series and alert with its cluster, region and environment, and groups notifications by cluster", () => {
            assert.deepEqual(values.prometheus.prometheusSpec.externalLabels, {
                cluster: "platform-prod-eu-west-1",
                region: "eu-west-1",
                environment: "prod",
            });
            const config = alertmanagerConfig();
            assert.equal(config.route.group_by[0], "cluster");
            assert.ok(
                config.inhibit_rules.every((rule) => rule.equal.includes("cluster")),
                "inhibition never crosses clusters",
            );
        });

        it("keeps one set of API server error-budget alerts: the platform's, not the chart's", () => {
            assert.equal(values.defaultRules.rules.kubeApiserverSlos, false);
            assert.equal(values.defaultRules.rules.kubeApiserverBurnrate, false);
            assert.ok(
                groups.some((group) => group.rules.some((rule) => "alert" in rule && /APIServer|ErrorBudget/i.test(String(rule.alert)))),
            );
        });
    });

    describe("Velero", () => {
        it("pins the AWS plugin, uses no static credentials, and exposes metrics to Prometheus", () => {
            const values = veleroValues({ pluginImage: "velero/velero-plugin-for-aws:v1.14.0", volumes: "snapshots" });
            assert.equal(values.initContainers[0].image, "velero/velero-plugin-for-aws:v1.14.0");
            assert.equal(values.credentials.useSecret, false);
            assert.equal(values.metrics.serviceMonitor.enabled, true);
            assert.equal(values.deployNodeAgent, false);
            assert.equal(veleroValues({ pluginImage: "p:v1", volumes: "fileSystem" }).deployNodeAgent, true);
        });

        it("expires old versions no earlier than the longest backup TTL, and aborts stale uploads", () => {
            const rules = lifecycleRules(prod.backups.schedules);
            const longest = Math.max(...Object.values(prod.backups.schedules).map((s) => hours(s.ttl)));
            const noncurrent = rules.find((r) => r.noncurrentVersionExpiration)?.noncurrentVersionExpiration?.noncurrentDays ?? 0;
            assert.ok(noncurrent * 24 >= longest, `${noncurrent} days < ${longest} hours`);
            assert.ok(rules.some((r) => r.abortIncompleteMultipartUpload));
        });

        it("schedules full backups with their TTL and volumes as the stack file says", () => {
            const snapshots = scheduleSpec({ cron: "0 3 * * *", ttl: "720h", volumes: "snapshots" });
            assert.deepEqual(
                [snapshots.schedule, snapshots.template.ttl, snapshots.template.includedNamespaces, snapshots.template.snapshotVolumes],
                ["0 3 * * *", "720h", ["*"], true],
            );
            const files = scheduleSpec({ cron: "0 3 * * *", ttl: "720h", volumes: "fileSystem" });
            assert.equal(files.template.snapshotVolumes, false);
            assert.equal("defaultVolumesToFsBackup" in files.template && files.template.defaultVolumesToFsBackup, true);
            const own = storageLocationSpec({ bucket: "b", prefix: "c1", region: "eu-west-1", keyArn: "k" });
            assert.deepEqual(own.config, { region: "eu-west-1", kmsKeyId: "k" });
            assert.deepEqual(
                own.objectStorage,
                { bucket: "b", prefix: "c1" },
                "under the cluster's name: replicas of others sit beside it",
            );
        });

        it("moves volume data into the bucket with snapshotData: CSI snapshots, the data mover, no host path", () => {
            const values = veleroValues({ pluginImage: "p:v1", volumes: "snapshotData" });
            assert.equal(values.configuration.features, "EnableCSI");
            assert.equal(values.configuration.defaultSnapshotMoveData, true);
            assert.equal(values.deployNodeAgent, true);
            assert.equal(values.nodeAgent.disableHostPath, true, "the data mover reads snapshots, not the host's pod volumes");
            assert.equal(veleroValues({ pluginImage: "p:v1", volumes: "fileSystem" }).nodeAgent.disableHostPath, false);
            const moved = scheduleSpec({ cron: "0 3 * * *", ttl: "720h", volumes: "snapshotData" }).template;
            assert.deepEqual([moved.snapshotVolumes, "snapshotMoveData" in moved && moved.snapshotMoveData], [true, true]);
            assert.ok(!("volumeSnapshotLocations" in moved), "no EBS snapshot of Velero's own, which would stay in the region");
            const snapshotClass = volumeSnapshotClass();
            assert.equal(snapshotClass.driver, "ebs.csi.aws.com");
            assert.equal(snapshotClass.metadata.labels["velero.io/csi-volumesnapshot-class"], "true");
        });

        it("reads another region's replicated backups through a read-only location under that cluster's name", () => {
            const replica = replicaLocationSpec({ bucket: "b", sourceCluster: "c0", region: "eu-west-1" });
            assert.deepEqual(
                [replica.accessMode, replica.default, replica.objectStorage],
                ["ReadOnly", false, { bucket: "b", prefix: "c0" }],
            );
        });
    });

    describe("restore drill", () => {
        const script = drillScript();

        it("fails loudly on a missing or empty backup, an incomplete or empty restore, or a changed canary", () => {
            for (const failure of [
                "no completed backup",
                "is empty",
                "ended in phase",
                "restored nothing",
                "of the $TOTAL items",
                "differs from the original",
            ]) {
                assert.ok(script.includes(failure), failure);
            }
            assert.match(script, /set -eu/);
            assert.match(script, /namespaceMapping: \{"\$SOURCE": "\$SCRATCH"\}/);
        });

        it("always removes the scratch namespace and its restore", () => {
            assert.match(script, /trap cleanup EXIT/);
            assert.match(script, /cleanup\(\) \{\n {2}kubectl delete namespace "\$SCRATCH"/);
        });

        it("may touch only its scratch namespace and the canary outside the Velero namespace", () => {
            for (const names of [DRILL, DRILL.replica]) {
                const rules = drillRules(names);
                assert.deepEqual(
                    rules.cluster.map((r) => [r.resources[0], r.resourceNames, r.verbs.includes("delete")]),
                    [
                        ["namespaces", [names.scratch], true],
                        ["configmaps", [DRILL.canary], false],
                        ["deployments", [DRILL.canary], false],
                    ],
                );
                assert.ok(rules.namespaced.every((r) => r.apiGroups[0] === "velero.io"));
            }
            assert.notEqual(DRILL.scratch, DRILL.replica.scratch, "the two drills of a cluster never share a scratch namespace");
        });

        it("may list and watch whatever it deletes, as kubectl delete does while it waits", () => {
            const rules = drillRules();
            const deletable = [...rules.namespaced, ...rules.cluster].filter((r) => (r.verbs as readonly string[]).includes("delete"));
            assert.deepEqual(deletable.map((r) => r.resources[0]).sort(), ["namespaces", "restores"]);
            for (const rule of deletable)
                for (const verb of ["get", "list", "watch"]) assert.ok(rule.verbs.includes(verb), `${rule.resources[0]}: ${verb}`);
            assert.match(script, /kubectl delete namespace "\$SCRATCH" --ignore-not-found --wait=true/);
        });
    });
});
