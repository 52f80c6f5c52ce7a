// Placement and disruption of the platform's own pods, from the values builders: every pod on the
// system nodes, hook Jobs included; every multi-replica workload of an HA stack under a
// disruption budget; anti-affine replicas that update without needing a node the stack lacks.
import * as assert from "node:assert/strict";
import { argocdValues } from "../../components/addons/argocd/argocd";
import { externalSecretsValues } from "../../components/addons/external-secrets/external-secrets";
import { veleroValues } from "../../components/backups/backups";
import { ciliumValues } from "../../components/addons/cilium/cilium";
import { kyvernoValues } from "../../components/addons/kyverno/kyverno";
import { monitoringValues } from "../../components/observability/monitoring";
import { SYSTEM_PLACEMENT } from "../../components/shared/scheduling";
import { resolveStackConfig } from "../../stacks/config/config";
import { ANTI_AFFINE_SYSTEM_REPLICAS } from "../../stacks/config/catalog";
import { expectProblem, problems, rawConfig, settingsOf } from "../fixtures";
import { gatewayParentRef } from "../../components/ingress/values";

const prod = resolveStackConfig(rawConfig(settingsOf("prod")));

describe("placement and disruption", () => {
    it("puts Hubble Relay on the system nodes, two of them under a budget when highly available", () => {
        for (const highAvailability of [true, false]) {
            const relay = ciliumValues({ cluster: "c", clusterId: 1, apiServerHost: "h", highAvailability }).hubble.relay;
            assert.deepEqual(relay.nodeSelector, { "kubernetes.io/os": "linux", ...SYSTEM_PLACEMENT.nodeSelector });
            assert.ok(relay.tolerations.length > 0);
            assert.equal(relay.replicas, highAvailability ? 2 : 1);
            assert.equal(relay.podDisruptionBudget.enabled, highAvailability);
            assert.ok(relay.resources.requests.memory && relay.resources.limits.memory);
        }
    });

    it("puts every Kyverno workload, its hook Jobs included, on the system nodes", () => {
        const values = kyvernoValues({ highAvailability: true, excludedNamespaces: ["kube-system"] });
        assert.deepEqual(values.global.nodeSelector, { ...SYSTEM_PLACEMENT.nodeSelector });
        assert.deepEqual(values.global.tolerations, [...SYSTEM_PLACEMENT.tolerations]);
    });

    it("rolls Argo CD's anti-affine Redis and HAProxy one pod at a time, without a surge pod, under budgets", () => {
        const redis = argocdValues({ url: "https://argocd.example.com", gateway: gatewayParentRef(), highAvailability: true })["redis-ha"];
        assert.equal(redis.enabled, true);
        assert.equal(redis.replicas, ANTI_AFFINE_SYSTEM_REPLICAS);
        assert.equal(redis.haproxy.replicas, ANTI_AFFINE_SYSTEM_REPLICAS);
        assert.deepEqual(redis.haproxy.deploymentStrategy.rollingUpdate, { maxSurge: 0, maxUnavailable: 1 });
        assert.deepEqual(redis.podDisruptionBudget, { maxUnavailable: 1 });
        assert.deepEqual(redis.haproxy.podDisruptionBudget, { maxUnavailable: 1 });
        for (const part of [redis.redis, redis.sentinel, redis.haproxy, redis.splitBrainDetection])
            assert.ok(part.resources.requests.cpu && part.resources.limits.memory);
    });

    it("refuses an HA stack whose system group cannot give each anti-affine replica its own node", () => {
        expectProblem(
            problems("prod", (s) => {
                s.nodeGroups.system.minSize = ANTI_AFFINE_SYSTEM_REPLICAS - 1;
                s.nodeGroups.system.desiredSize = ANTI_AFFINE_SYSTEM_REPLICAS - 1;
            }),
            "nodeGroups.system.minSize",
            `${ANTI_AFFINE_SYSTEM_REPLICAS} replicas that each need their own system node`,
        );
        assert.deepEqual(
            problems("prod", (s) => {
                s.highAvailability = false;
                s.nodeGroups.system.minSize = 2;
                s.nodeGroups.system.desiredSize = 2;
            }).filter((p) => p.path.startsWith("nodeGroups.system")),
            [],
        );
    });

    it("keeps a disruption budget on Prometheus and Alertmanager when they run two replicas", () => {
        for (const highAvailability of [true, false]) {
            const values = monitoringValues({
                grafana: { hostname: "grafana.example.com", gateway: gatewayParentRef() },
                settings: prod.monitoring,
                highAvailability,
                rules: [],
                externalLabels: { cluster: "c", region: "r", environment: "e" },
            });
            assert.equal(values.prometheus.podDisruptionBudget.enabled, highAvailability);
            assert.equal(values.alertmanager.podDisruptionBudget.enabled, highAvailability);
            assert.equal(values.prometheus.prometheusSpec.replicas > 1, highAvailability);
        }
    });
});

describe("probes and resources the charts leave out", () => {
    it("turns on External Secrets' health probes, which the chart leaves off", () => {
        const values = externalSecretsValues({ highAvailability: true });
        assert.deepEqual([values.livenessProbe.enabled, values.readinessProbe.enabled], [true, true]);
        assert.equal(values.webhook.livenessProbe.enabled, true);
        assert.equal(values.certController.livenessProbe.enabled, true);
    });

    it("sizes the hook Jobs of the charts", () => {
        assert.ok(veleroValues({ pluginImage: "p:v1", volumes: "snapshotData" }).upgradeJobResources.limits.memory);
        assert.ok(
            argocdValues({ url: "https://argocd.example.com", gateway: gatewayParentRef(), highAvailability: false }).redisSecretInit
                .resources.limits.memory,
        );
        const monitoring = monitoringValues({
            grafana: { hostname: "grafana.example.com", gateway: gatewayParentRef() },
            settings: prod.monitoring,
            highAvailability: true,
            rules: [],
            externalLabels: { cluster: "c", region: "r", environment: "e" },
        });
        assert.ok(monitoring.prometheusOperator.admissionWebhooks.patch.resources.limits.memory);
    });
});
