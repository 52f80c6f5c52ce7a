// Backups, the restore drill, monitoring and cross-region replication, under the offline mocks.
import * as assert from "node:assert/strict";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { BackupReplication } from "../../components/backups/backup-replication";
import { Backups } from "../../components/backups/backups";
import { Monitoring } from "../../components/observability/monitoring";
import { DRILL, RestoreDrill } from "../../components/backups/restore-drill";
import { CANARY, canaryMarker } from "../../components/backups/restore-canary";
import { OFFLINE_ACCOUNT } from "../../stacks/plan/mocks";
import type { RecordedResource } from "../../stacks/plan/resources";
import { ofType, one, type Inputs, inputs } from "../fixtures";
import { evaluateComponent, names, settings, tags, testCluster } from "./harness";
import { gatewayParentRef } from "../../components/ingress/values";

describe("components", () => {
    describe("Backups, RestoreDrill, Monitoring and BackupReplication", () => {
        let resources: RecordedResource[];
        before(async () => {
            resources = await evaluateComponent((p) => {
                const cluster = testCluster(p.aws);
                const backups = new Backups(
                    "backups",
                    {
                        cluster: cluster.handle,
                        chartVersion: "12.1.0",
                        pluginImage: "velero/velero-plugin-for-aws:v1.14.0",
                        settings: settings.backups,
                        bucket: names.backupBucket(OFFLINE_ACCOUNT),
                        keyAlias: names.backupKeyAlias,
                        roleName: names.roles.velero,
                        protect: true,
                        dependsOn: [],
                    },
                    { providers: { aws: p.aws } },
                );
                const drill = {
                    cluster: cluster.handle,
                    namespace: "velero",
                    schedule: "daily",
                    cron: "0 5 * * 0",
                    image: "alpine/k8s:1.35.0",
                    storageClass: "gp3",
                    dependsOn: backups.ready,
                };
                new RestoreDrill("drill", drill, { providers: { aws: p.aws } });
                const replicaOf = { cluster: "platform-test-us-east-1", bucket: backups.bucketName };
                new RestoreDrill("replica-drill", { ...drill, replicaOf }, { providers: { aws: p.aws } });
                // Stands in for the secret store's readiness.
                const store = new k8s.core.v1.ConfigMap("store-ready", { metadata: { name: "store-ready" } }, { provider: p.k8s });
                new Monitoring(
                    "monitoring",
                    {
                        cluster: cluster.handle,
                        chartVersion: "88.5.3",
                        settings: settings.monitoring,
                        highAvailability: true,
                        environment: "test",
                        drills: { cronjobs: ["restore-drill"], namespace: "velero", periodHours: 168, runSeconds: 4500 },
                        secretStore: [store],
                        grafana: { hostname: "grafana.eu-west-1.test.example.com", gateway: gatewayParentRef() },
                        dependsOn: [],
                    },
                    { providers: { aws: p.aws } },
                );
                const peer = {
                    region: "us-east-1",
                    bucketName: pulumi.output("peer-bucket"),
                    bucketArn: pulumi.output("arn:aws:s3:::peer-bucket"),
                    keyArn: pulumi.output("arn:aws:kms:us-east-1:1:key/p"),
                    versioning: backups.versioning,
                };
                new BackupReplication(
                    "replication",
                    {
                        source: {
                            region: "eu-west-1",
                            bucketName: backups.bucketName,
                            bucketArn: backups.bucketArn,
                            keyArn: backups.keyArn,
                            versioning: backups.versioning,
                        },
                        destination: peer,
                        roleName: names.roles.backupReplication,
                        prefix: names.cluster,
                        accountId: OFFLINE_ACCOUNT,
                        tags,
                    },
                    { providers: { aws: p.aws } },
                );
            });
        });

        it("keeps backups in a protected, retained bucket with its own rotating key", () => {
            const bucket = one(resources, "aws:s3/bucket:Bucket");
            assert.deepEqual([bucket.protect, bucket.retainOnDelete], [true, true]);
            assert.equal(inputs(bucket).forceDestroy, false);
            const key = ofType(resources, "aws:kms/key:Key").find((k) => k.name === "backups-key") as RecordedResource;
            assert.deepEqual([inputs(key).enableKeyRotation, key.protect], [true, true]);
            const lifecycle = one(resources, "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration");
            assert.ok(lifecycle.dependencies.includes(one(resources, "aws:s3/bucketVersioning:BucketVersioning").urn));
        });

        it("binds Velero's role by Pod Identity and creates its locations and schedules after the chart", () => {
            const association = inputs(one(resources, "aws:eks/podIdentityAssociation:PodIdentityAssociation", "backups-velero"));
            assert.deepEqual([association.namespace, association.serviceAccount], ["velero", "velero"]);
            const release = ofType(resources, "kubernetes:helm.sh/v3:Release").find((r) => inputs(r).name === "velero") as RecordedResource;
            for (const type of [
                "kubernetes:velero.io/v1:BackupStorageLocation",
                "kubernetes:velero.io/v1:VolumeSnapshotLocation",
                "kubernetes:velero.io/v1:Schedule",
            ]) {
                for (const resource of ofType(resources, type)) assert.ok(resource.dependencies.includes(release.urn), resource.name);
            }
            const own = ofType(resources, "kubernetes:velero.io/v1:BackupStorageLocation")
                .map(inputs)
                .find((l) => l.spec.default);
            assert.deepEqual(own?.spec.objectStorage, { bucket: names.backupBucket(OFFLINE_ACCOUNT), prefix: names.cluster });
        });

        it("runs the drill with its own account, no retries, a deadline, and a canary volume to restore", () => {
            const jobs = ofType(resources, "kubernetes:batch/v1:CronJob").map(inputs);
            const own = jobs.find((job) => job.metadata.name === DRILL.name);
            assert.ok(own);
            assert.equal(own.spec.concurrencyPolicy, "Forbid");
            const spec = own.spec.jobTemplate.spec;
            assert.equal(spec.backoffLimit, 0);
            assert.ok(spec.activeDeadlineSeconds > 0);
            assert.equal(spec.template.spec.serviceAccountName, DRILL.name);
            assert.equal(spec.template.spec.securityContext.runAsNonRoot, true);
            const env = Object.fromEntries(spec.template.spec.containers[0].env.map((e: Inputs) => [e.name, e.value]));
            assert.deepEqual(
                [env.LOCATION, env.SCRATCH, env.EXPECTED_MARKER],
                [DRILL.location, DRILL.scratch, canaryMarker(names.cluster)],
            );

            // The canary: a volume of the default class, mounted by a pod that records and checks its checksum.
            const claim = inputs(one(resources, "kubernetes:core/v1:PersistentVolumeClaim"));
            assert.deepEqual([claim.metadata.namespace, claim.spec.storageClassName], [CANARY.namespace, "gp3"]);
            const deployment = inputs(one(resources, "kubernetes:apps/v1:Deployment"));
            const pod = deployment.spec.template.spec;
            assert.deepEqual(pod.volumes[0].persistentVolumeClaim, { claimName: claim.metadata.name });
            assert.equal(deployment.spec.strategy.type, "Recreate");
            assert.match(pod.containers[0].readinessProbe.exec.command[2], /sha256sum/);
            const marker = ofType(resources, "kubernetes:core/v1:ConfigMap")
                .map(inputs)
                .find((c) => c.metadata.name === CANARY.name);
            assert.equal(marker?.data.marker, canaryMarker(names.cluster));
            const canaryRole = ofType(resources, "kubernetes:rbac.authorization.k8s.io/v1:Role")
                .map(inputs)
                .find((r) => r.metadata.namespace === CANARY.namespace);
            assert.deepEqual(canaryRole?.rules, [
                { apiGroups: [""], resources: ["configmaps"], resourceNames: [CANARY.name], verbs: ["get", "patch"] },
            ]);
        });

        it("drills another region's replica through a read-only location, with its own scratch namespace and no canary of its own", () => {
            const replica = ofType(resources, "kubernetes:batch/v1:CronJob")
                .map(inputs)
                .find((job) => job.metadata.name === DRILL.replica.name);
            assert.ok(replica);
            const env = Object.fromEntries(
                replica.spec.jobTemplate.spec.template.spec.containers[0].env.map((e: Inputs) => [e.name, e.value]),
            );
            assert.deepEqual(
                [env.LOCATION, env.SCRATCH, env.EXPECTED_MARKER],
                [DRILL.replica.location, DRILL.replica.scratch, canaryMarker("platform-test-us-east-1")],
            );
            const location = ofType(resources, "kubernetes:velero.io/v1:BackupStorageLocation")
                .map(inputs)
                .find((l) => l.metadata.name === DRILL.replica.location);
            assert.deepEqual([location?.spec.accessMode, location?.spec.objectStorage.prefix], ["ReadOnly", "platform-test-us-east-1"]);
            assert.equal(ofType(resources, "kubernetes:apps/v1:Deployment").length, 1, "one canary per cluster");
        });

        it("syncs Grafana's admin and Alertmanager's webhooks from the store, without holding up kube-prometheus-stack", () => {
            const release = ofType(resources, "kubernetes:helm.sh/v3:Release").find(
                (r) => inputs(r).name === "kube-prometheus-stack",
            ) as RecordedResource;
            const synced = ofType(resources, "kubernetes:external-secrets.io/v1:ExternalSecret");
            assert.deepEqual(synced.map((x) => inputs(x).metadata.name).sort(), ["alertmanager-webhooks", "grafana-admin"]);
            const store = one(resources, "kubernetes:core/v1:ConfigMap", "store-ready");
            for (const secret of synced) {
                assert.ok(secret.dependencies.includes(store.urn), "the ExternalSecret waits for the store");
                assert.ok(!release.dependencies.includes(secret.urn) && !release.dependencies.includes(store.urn), "the chart does not");
            }
            const webhooks = synced.find((x) => inputs(x).metadata.name === "alertmanager-webhooks") as RecordedResource;
            assert.deepEqual(
                inputs(webhooks).spec.data.map((d: Inputs) => d.remoteRef.key),
                [
                    settings.monitoring.pagingWebhookSecretName,
                    settings.monitoring.chatWebhookSecretName,
                    settings.monitoring.heartbeatWebhookSecretName,
                ],
            );
        });

        it("replicates with its own role to the peer bucket, re-encrypted with the peer's key", () => {
            const replication = inputs(one(resources, "aws:s3/bucketReplicationConfig:BucketReplicationConfig"));
            assert.equal(replication.bucket, names.backupBucket(OFFLINE_ACCOUNT));
            assert.equal(replication.role, `arn:aws:iam::${OFFLINE_ACCOUNT}:role/${names.roles.backupReplication}`);
            assert.deepEqual(replication.rules[0].destination, {
                bucket: "arn:aws:s3:::peer-bucket",
                encryptionConfiguration: { replicaKmsKeyId: "arn:aws:kms:us-east-1:1:key/p" },
            });
            // Only its own backups: the replica it holds of another region stays where it is.
            assert.deepEqual(replication.rules[0].filter, { prefix: `${names.cluster}/` });
        });
    });
});
