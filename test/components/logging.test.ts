// The log pipeline as pure builders: the collector's classifier on sample lines, its sampling,
// Loki's retention per tier, the bucket's lifecycle, the roles and the store's network policy.
import * as assert from "node:assert/strict";
import { logCollectorPolicy, logStorePolicy } from "../../components/observability/logging-policies";
import {
    DEFAULTS,
    collectorValues,
    enrichProgram,
    healthCheckPatterns,
    healthCheckTransform,
    isHealthCheck,
    logBucketLifecycle,
    storePolicySpec,
    storeValues,
} from "../../components/observability/logging-values";
import type { Statement } from "../../components/shared/iam";
import { resolveStackConfig } from "../../stacks/config/config";
import { rawConfig, settingsOf } from "../fixtures";

const prod = resolveStackConfig(rawConfig(settingsOf("prod")));
const scope = { partition: "aws", region: "eu-west-1", accountId: "111122223333" };
const access = { bucket: "logs-b", keyArn: "arn:aws:kms:eu-west-1:111122223333:key/k", archivePrefix: DEFAULTS.archivePrefix };

describe("log pipeline builders", () => {
    describe("the health-check classifier", () => {
        const lines = {
            probe: '10.20.3.4 - - [04/Dec/2026:06:00:00 +0000] "GET /healthz HTTP/1.1" 200 2 "-" "kube-probe/1.35"',
            readyRequest: "GET /readyz 200 0.3ms",
            jsonProbe: '{"level":"info","msg":"request","method":"GET","path":"/livez","status":200}',
            extraPath: '"HEAD /ping HTTP/1.1" 200 0',
            failingProbe: '10.20.3.4 - - "GET /healthz HTTP/1.1" 503 19 "-" "kube-probe/1.35"',
            errorLine: '{"level":"error","msg":"payment declined","order":"o-123"}',
            appRequest: '"GET /api/orders/healthz-report HTTP/1.1" 200 512',
            plain: "starting worker pool with 8 workers",
        };

        it("samples probes and health-path requests, access logs and JSON alike", () => {
            for (const line of [lines.probe, lines.readyRequest, lines.jsonProbe]) assert.equal(isHealthCheck(line), true, line);
            assert.equal(isHealthCheck(lines.extraPath, ["/ping"]), true, "the stack file's extra paths count");
            assert.equal(isHealthCheck(lines.extraPath), false, "and only those");
        });

        it("keeps errors, failing probes and everything else", () => {
            for (const line of [lines.failingProbe, lines.errorLine, lines.appRequest, lines.plain])
                assert.equal(isHealthCheck(line), false, line);
        });

        it("runs the same expressions in the collector", () => {
            const patterns = healthCheckPatterns(["/ping"]);
            const program = enrichProgram({ cluster: "c", tiers: prod.logging.tiers, defaultTier: "standard", extraPaths: ["/ping"] });
            assert.ok(program.includes(`match(message, r'${patterns.healthCheck}')`));
            assert.ok(program.includes(`!match(message, r'${patterns.failure}')`));
            assert.ok(!patterns.healthCheck.includes("'") && !patterns.failure.includes("'"), "the expressions fit a VRL raw string");
        });
    });

    describe("the collector", () => {
        it("parses JSON lines for their level, and labels team, tier and cluster", () => {
            const program = enrichProgram({
                cluster: "platform-prod-eu-west-1",
                tiers: prod.logging.tiers,
                defaultTier: "standard",
                extraPaths: [],
            });
            assert.match(program, /parse_json\(message\)/);
            assert.match(program, /\.cluster = "platform-prod-eu-west-1"/);
            assert.match(program, /namespace_labels\."platform\/team"/);
            assert.match(program, /if includes\(\["team-payments","team-payments-jobs"\], namespace\) \{ \.tier = "compliance" \}/);
        });

        it("keeps health checks at the stack file's rate, all of them at 1 and none at 0", () => {
            assert.deepEqual(healthCheckTransform(0.01, "enrich"), {
                type: "sample",
                inputs: ["enrich"],
                rate: 100,
                exclude: ".health_check != true",
            });
            assert.equal(healthCheckTransform(0, "enrich")?.type, "filter");
            assert.equal(healthCheckTransform(1, "enrich"), undefined);
        });

        it("ships to Loki and to the archive with the labels the issue lists, on every node", () => {
            const values = collectorValues({
                cluster: "c",
                region: "eu-west-1",
                bucket: "logs-b",
                keyArn: access.keyArn,
                settings: prod.logging,
            });
            const { sinks } = values.customConfig;
            for (const label of ["namespace", "pod", "container", "node", "team", "cluster"]) assert.ok(label in sinks.loki.labels, label);
            assert.deepEqual(sinks.loki.inputs, ["health_checks"]);
            assert.deepEqual(sinks.archive.inputs, ["health_checks"]);
            // What Vector reads once the chart's tpl has rendered the string literals.
            const rendered = (text: string) => text.replace(/\{\{"([^"]*)"\}\}/g, "$1");
            assert.match(rendered(sinks.archive.key_prefix), /^archive\/tier=\{\{tier\}\}\/namespace=\{\{kubernetes\.pod_namespace\}\}\//);
            assert.equal(rendered(sinks.loki.labels.team), "{{team}}");
            assert.equal(sinks.archive.ssekms_key_id, access.keyArn);
            assert.deepEqual(values.tolerations, [{ operator: "Exists" }]);
            assert.ok(values.resources.requests.cpu && values.resources.limits.memory);
        });
    });

    describe("Loki and the bucket", () => {
        it("keeps each tier searchable for its days, the default tier for every other stream", () => {
            const values = storeValues({ bucket: "logs-b", region: "eu-west-1", settings: prod.logging, highAvailability: true });
            const limits = values.loki.limits_config;
            assert.equal(limits.retention_period, `${prod.logging.tiers.standard.searchDays * 24}h`);
            assert.deepEqual(limits.retention_stream, [
                {
                    selector: '{namespace=~"team-payments|team-payments-jobs"}',
                    priority: 1,
                    period: `${prod.logging.tiers.compliance.searchDays * 24}h`,
                },
            ]);
            assert.equal(values.loki.compactor.retention_enabled, true);
            assert.deepEqual([values.singleBinary.replicas, values.loki.commonConfig.replication_factor], [3, 3]);
            assert.equal(values.singleBinary.nodeSelector["platform/node-group"], "system");
        });

        it("archives each tier in Glacier Instant Retrieval and expires it after the tier's days", () => {
            const rules = logBucketLifecycle(prod.logging.tiers);
            for (const [name, tier] of Object.entries(prod.logging.tiers)) {
                const rule = rules.find((r) => r.id === `archive-${name}`);
                assert.deepEqual(rule?.filter, { prefix: `archive/tier=${name}/` });
                assert.equal(rule?.expiration?.days, tier.archiveDays);
                assert.equal(rule?.transitions?.[0].storageClass, "GLACIER_IR");
            }
        });
    });

    describe("access", () => {
        const actions = (s: Statement) => [s.Action].flat();

        it("lets the collector only add archive objects, and Loki never touch them", () => {
            const collector = logCollectorPolicy(scope, access).Statement;
            const s3 = collector.filter((s) => actions(s).some((a) => a.startsWith("s3:")));
            assert.deepEqual(
                s3.map((s) => s.Resource),
                ["arn:aws:s3:::logs-b/archive/*"],
            );
            assert.ok(!s3.flatMap(actions).some((a) => /Get|Delete|List/.test(a)));
            const store = logStorePolicy(scope, access).Statement;
            const deny = store.find((s) => s.Effect === "Deny");
            assert.equal(deny?.Resource, "arn:aws:s3:::logs-b/archive/*");
            for (const s of [...collector, ...store].filter((s) => actions(s).some((a) => a.startsWith("kms:"))))
                assert.deepEqual(s.Condition, { StringEquals: { "kms:ViaService": "s3.eu-west-1.amazonaws.com" } });
        });

        it("lets only the collector write to Loki and only Grafana query it", () => {
            const spec = storePolicySpec({ monitoringNamespace: "monitoring" });
            const from = (app: string) =>
                spec.ingress.filter((rule) => rule.fromEndpoints[0].matchLabels["app.kubernetes.io/name"] === app);
            const pushes = spec.ingress.flatMap((rule) =>
                rule.toPorts.flatMap((port) => (port.rules?.http ?? []).filter((h) => h.path.includes("push"))),
            );
            assert.equal(pushes.length, 1, "one rule pushes");
            assert.ok(from("vector")[0].toPorts[0].rules?.http.every((h) => h.method === "POST" && h.path === "/loki/api/v1/push"));
            assert.ok(from("grafana")[0].toPorts[0].rules?.http.every((h) => !h.path.includes("push")));
        });
    });
});
