// The whole program per committed stack file: each cluster's log pipeline. A collector and a store
// release, an encrypted log bucket with its tiers, health checks sampled, Grafana reading the logs.
import * as assert from "node:assert/strict";
import { PLATFORM_NAMESPACES } from "../../stacks/config/catalog";
import { OFFLINE_ACCOUNT } from "../../stacks/plan/mocks";
import type { RecordedResource } from "../../stacks/plan/resources";
import { STACKS, type Inputs, inputs, ofType, one } from "../fixtures";
import { describeStack } from "./harness";

const release = (resources: readonly RecordedResource[], chart: string): Inputs => {
    const found = ofType(resources, "kubernetes:helm.sh/v3:Release").find((r) => inputs(r).chart === chart);
    assert.ok(found, `no ${chart} release`);
    return inputs(found);
};

for (const stack of STACKS) {
    describeStack(stack, (program) => {
        it("collects every node's container logs and samples health checks at the stack file's rate", () => {
            const { keepRate } = program.config.logging.healthChecks;
            for (const region of program.config.regions) {
                const vector = release(program.inRegion(region.region), "vector");
                assert.equal(vector.values.role, "Agent");
                assert.deepEqual(vector.values.tolerations, [{ operator: "Exists" }]);
                const sampled = vector.values.customConfig.transforms.health_checks;
                assert.equal(sampled.rate, Math.round(1 / keepRate));
                assert.equal(vector.values.customConfig.sinks.loki.inputs[0], "health_checks");
                assert.equal(vector.values.customConfig.transforms.enrich.source.includes(`.cluster = "${region.names.cluster}"`), true);
            }
        });

        it("stores logs in an encrypted bucket of the cluster with a lifecycle per tier, reached through two narrow roles", () => {
            for (const region of program.config.regions) {
                const own = program.inRegion(region.region);
                const bucketName = region.names.logBucket(OFFLINE_ACCOUNT);
                const bucket = ofType(own, "aws:s3/bucket:Bucket").find((b) => inputs(b).bucket === bucketName);
                assert.ok(bucket);
                const rules = inputs(one(own, "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", bucket.name)).rules;
                const tiers = Object.entries(program.config.logging.tiers);
                assert.ok(tiers.length >= 1);
                for (const [name, tier] of tiers)
                    assert.equal(rules.find((r: Inputs) => r.id === `archive-${name}`)?.expiration.days, tier.archiveDays, name);
                const loki = release(own, "loki");
                assert.equal(loki.values.loki.storage.bucketNames.chunks, bucketName);
                assert.equal(
                    loki.values.loki.limits_config.retention_period,
                    `${program.config.logging.tiers[program.config.logging.defaultTier].searchDays * 24}h`,
                );
                const associations = ofType(own, "aws:eks/podIdentityAssociation:PodIdentityAssociation").map(inputs);
                for (const [namespace, serviceAccount] of [
                    ["logging", "loki"],
                    ["log-collector", "vector"],
                ])
                    assert.ok(
                        associations.some((a) => a.namespace === namespace && a.serviceAccount === serviceAccount),
                        serviceAccount,
                    );
            }
        });

        it("counts every namespace it creates for itself among the platform's, which admission policies leave alone", () => {
            const own = ofType(program.resources, "kubernetes:core/v1:Namespace")
                .map(inputs)
                .filter((ns) => ns.metadata.labels?.["platform/team"] === undefined)
                .map((ns) => ns.metadata.name as string);
            assert.ok(own.includes("log-collector") && own.includes("logging"));
            assert.deepEqual(
                own.filter((ns) => !(PLATFORM_NAMESPACES as readonly string[]).includes(ns)),
                [],
            );
        });

        it("lets Grafana query the logs, and only the collector write them", () => {
            for (const region of program.config.regions) {
                const own = program.inRegion(region.region);
                const grafana = release(own, "kube-prometheus-stack").values.grafana;
                assert.deepEqual(
                    grafana.additionalDataSources.map((d: Inputs) => [d.type, d.url]),
                    [["loki", "http://loki.logging.svc:3100"]],
                );
                const policy = ofType(own, "kubernetes:cilium.io/v2:CiliumNetworkPolicy").find(
                    (p) => inputs(p).metadata.name === "loki-access",
                );
                assert.ok(policy, "Loki's access policy");
                const pushers = inputs(policy).spec.ingress.filter((rule: Inputs) =>
                    rule.toPorts.some((port: Inputs) => (port.rules?.http ?? []).some((h: Inputs) => h.path.includes("push"))),
                );
                assert.deepEqual(
                    pushers.map((rule: Inputs) => rule.fromEndpoints[0].matchLabels["app.kubernetes.io/name"]),
                    ["vector"],
                );
            }
        });
    });
}
