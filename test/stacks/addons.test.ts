// The whole program per committed stack file: node groups and Karpenter pools, admission policies,
// GitOps hand-over, secrecy, scraping, backups and the restore drill, as the stack file says.
import { canaryMarker } from "../../components/backups/restore-canary";
import * as assert from "node:assert/strict";
import { plaintextSecrets } from "../../stacks/config/secrets";
import { OFFLINE_ACCOUNT } from "../../stacks/plan/mocks";
import type { RecordedResource } from "../../stacks/plan/resources";
import { STACKS, ofType, one, type Inputs, inputs } from "../fixtures";
import { describeStack } from "./harness";

for (const stack of STACKS) {
    describeStack(stack, (program) => {
        it("gives node groups the Cilium startup taint, their sizes, and lets autoscaling keep its desired size", () => {
            for (const region of program.config.regions) {
                for (const [role, settings] of Object.entries(program.config.nodeGroups)) {
                    const resource = one(program.inRegion(region.region), "aws:eks/nodeGroup:NodeGroup", `${region.region}-nodes-${role}`);
                    const group = inputs(resource);
                    assert.deepEqual(group.scalingConfig, {
                        minSize: settings.minSize,
                        desiredSize: settings.desiredSize,
                        maxSize: settings.maxSize,
                    });
                    // The real node group resource: Pulumi never reverts what scaled it.
                    assert.deepEqual(resource.ignoreChanges, ["scalingConfig.desiredSize"]);
                    // The group deployed as the child of an @pulumi/eks ManagedNodeGroup of the same name stays.
                    const parent = resource.parent.substring(0, resource.parent.lastIndexOf("::"));
                    assert.deepEqual(resource.aliases, [{ parentUrn: `${parent}$eks:index:ManagedNodeGroup::${resource.name}` }]);
                    assert.deepEqual(group.updateConfig, { maxUnavailablePercentage: settings.maxUnavailablePercentage });
                    assert.deepEqual(group.nodeRepairConfig, { enabled: true });
                    assert.ok(group.taints.some((t: Inputs) => t.key === "node.cilium.io/agent-not-ready" && t.effect === "NO_EXECUTE"));
                    assert.equal(group.capacityType, settings.capacityType);
                    assert.equal(group.nodeGroupName, region.names.nodeGroups[role as keyof typeof region.names.nodeGroups]);
                    assert.ok(group.launchTemplate.id, "every group uses its launch template");
                }
                for (const template of ofType(program.inRegion(region.region), "aws:ec2/launchTemplate:LaunchTemplate")) {
                    assert.equal(inputs(template).metadataOptions.httpTokens, "required");
                    assert.equal(inputs(template).metadataOptions.httpPutResponseHopLimit, 1);
                    assert.equal(inputs(template).blockDeviceMappings[0].ebs.encrypted, "true");
                    assert.match(inputs(template).blockDeviceMappings[0].ebs.kmsKeyId, /^arn:aws:kms:/, "under the volumes key");
                    assert.equal(inputs(template).keyName, undefined);
                }
            }
        });

        it("gives every Karpenter pool the Cilium startup taint and keeps system workloads off every pool", () => {
            for (const region of program.config.regions) {
                const pools = ofType(program.inRegion(region.region), "kubernetes:karpenter.sh/v1:NodePool");
                assert.deepEqual(pools.map((p) => inputs(p).metadata.name).sort(), Object.keys(program.config.karpenter.pools).sort());
                for (const pool of pools) {
                    const spec = inputs(pool).spec.template;
                    assert.ok(
                        spec.spec.startupTaints.some((t: Inputs) => t.key === "node.cilium.io/agent-not-ready"),
                        `${pool.name} lacks the startup taint`,
                    );
                    assert.notEqual(spec.metadata.labels["platform/node-group"], "system", `${pool.name} offers the system label`);
                    assert.ok(
                        !(spec.spec.taints ?? []).some((t: Inputs) => t.key === "CriticalAddonsOnly"),
                        `${pool.name} draws system add-ons`,
                    );
                }
                for (const nodeClass of ofType(program.inRegion(region.region), "kubernetes:karpenter.k8s.aws/v1:EC2NodeClass")) {
                    assert.ok(!JSON.stringify(inputs(nodeClass).spec.amiSelectorTerms).includes("latest"));
                    assert.equal(inputs(nodeClass).spec.metadataOptions.httpPutResponseHopLimit, 1);
                    for (const device of inputs(nodeClass).spec.blockDeviceMappings)
                        assert.match(device.ebs.kmsKeyID, /^arn:aws:kms:/, "under the volumes key");
                }
            }
        });

        it("gives each region its own interruption queue, rules, Karpenter roles and node access entry", () => {
            const queues = ofType(program.resources, "aws:sqs/queue:Queue").map((q) => inputs(q).name);
            assert.equal(new Set(queues).size, program.config.regions.length);
            for (const region of program.config.regions) {
                const own = program.inRegion(region.region);
                assert.equal(inputs(one(own, "aws:sqs/queue:Queue")).name, region.names.interruptionQueue);
                assert.equal(ofType(own, "aws:cloudwatch/eventRule:EventRule").length, Object.keys(region.names.interruptionRules).length);
                assert.equal(inputs(one(own, "aws:eks/accessEntry:AccessEntry")).type, "EC2_LINUX");
                const roles = ofType(own, "aws:iam/role:Role").map((r) => inputs(r).name);
                assert.ok(roles.includes(region.names.roles.karpenter) && roles.includes(region.names.roles.karpenterNode));
            }
        });

        it("enforces or audits each admission policy exactly as the stack file says", () => {
            const expected: Record<string, string> = {
                "disallow-latest-tag": program.config.policies.disallowLatestTag,
                "require-requests-limits": program.config.policies.requireResources,
                "require-probes": program.config.policies.requireProbes,
                "restrict-image-registries": program.config.policies.allowedRegistries.action,
            };
            for (const region of program.config.regions) {
                const own = program.inRegion(region.region);
                const policies = ofType(own, "kubernetes:policies.kyverno.io/v1:ValidatingPolicy");
                assert.deepEqual(policies.map((p) => inputs(p).metadata.name).sort(), Object.keys(expected).sort());
                for (const policy of policies) {
                    const action = expected[inputs(policy).metadata.name];
                    assert.deepEqual(
                        inputs(policy).spec.validationActions,
                        [action === "Enforce" ? "Deny" : "Audit"],
                        inputs(policy).metadata.name,
                    );
                }
                const podSecurity = ofType(own, "kubernetes:helm.sh/v3:Release").find(
                    (r) => inputs(r).name === "kyverno-policies",
                ) as RecordedResource;
                assert.equal(inputs(podSecurity).values.validationFailureAction, program.config.policies.podSecurity);
                assert.equal(inputs(podSecurity).values.podSecurityStandard, "restricted");
            }
        });

        it("labels each region's series and alerts with its own cluster, region and environment", () => {
            for (const region of program.config.regions) {
                const release = ofType(program.inRegion(region.region), "kubernetes:helm.sh/v3:Release").find(
                    (r) => inputs(r).chart === "kube-prometheus-stack",
                ) as RecordedResource;
                assert.deepEqual(inputs(release).values.prometheus.prometheusSpec.externalLabels, {
                    cluster: region.names.cluster,
                    region: region.region,
                    environment: program.config.environment,
                });
            }
        });

        it("hands every add-on with an AWS role to GitOps, in the cluster secret and the stack outputs", () => {
            const outputs = program.evaluation.outputs.clusters as Record<
                string,
                { addons: Record<string, { namespace: string; serviceAccount?: string; roleArn?: string }> }
            >;
            for (const region of program.config.regions) {
                const own = program.inRegion(region.region);
                const secret = ofType(own, "kubernetes:core/v1:Secret").find(
                    (s) => inputs(s).metadata.name === "in-cluster",
                ) as RecordedResource;
                assert.ok(secret, "no in-cluster cluster secret");
                const { labels, annotations } = inputs(secret).metadata;
                assert.deepEqual(
                    [labels["platform/environment"], labels["platform/region"], labels["platform/cluster"]],
                    [program.config.environment, region.region, region.names.cluster],
                );
                const associations = ofType(own, "aws:eks/podIdentityAssociation:PodIdentityAssociation").map(inputs);
                for (const association of associations) {
                    const addon = Object.entries(outputs[region.region].addons).find(
                        ([, a]) => a.namespace === association.namespace && a.serviceAccount === association.serviceAccount,
                    );
                    assert.ok(addon, `no hand-off for ${association.namespace}/${association.serviceAccount}`);
                    assert.equal(annotations[`platform/${addon[0]}.role-arn`], addon[1].roleArn);
                    assert.equal(annotations[`platform/${addon[0]}.namespace`], association.namespace);
                }
                const ebs = ofType(own, "aws:eks/addon:Addon").find(
                    (a) => inputs(a).addonName === "aws-ebs-csi-driver",
                ) as RecordedResource;
                assert.equal(annotations["platform/ebs-csi.service-account"], inputs(ebs).podIdentityAssociations[0].serviceAccount);
            }
        });

        it("puts no plain-text secret into any Helm values or custom resource", () => {
            const bodies = program.resources
                .filter(
                    (r) => r.type === "kubernetes:helm.sh/v3:Release" || (r.type.startsWith("kubernetes:") && r.inputs.spec !== undefined),
                )
                .map((r) => [r.name, r.inputs.values ?? r.inputs.spec] as const);
            for (const [name, body] of bodies) {
                assert.deepEqual(
                    plaintextSecrets({ "body:tree": JSON.stringify(body) }, () => false, "body", false),
                    [],
                    name,
                );
            }
        });

        it("scrapes every add-on it installs", () => {
            // Where each chart turns its ServiceMonitors on.
            const SCRAPED: Record<string, (values: Inputs) => boolean> = {
                cilium: (v) =>
                    v.prometheus.serviceMonitor.enabled &&
                    v.operator.prometheus.serviceMonitor.enabled &&
                    v.hubble.metrics.serviceMonitor.enabled,
                karpenter: (v) => v.serviceMonitor.enabled,
                "external-secrets": (v) => v.serviceMonitor.enabled && v.metrics.service.enabled,
                "argo-cd": (v) =>
                    ["controller", "server", "repoServer", "applicationSet"].every(
                        (c) => v[c].metrics.enabled && v[c].metrics.serviceMonitor.enabled,
                    ),
                kyverno: (v) =>
                    ["admissionController", "backgroundController", "cleanupController", "reportsController"].every(
                        (c) => v[c].serviceMonitor.enabled,
                    ),
                velero: (v) => v.metrics.enabled && v.metrics.serviceMonitor.enabled,
                loki: (v) => v.monitoring.serviceMonitor.enabled,
                vector: (v) => v.podMonitor.enabled && v.customConfig.sinks.metrics.type === "prometheus_exporter",
                "aws-load-balancer-controller": (v) => v.serviceMonitor.enabled,
                "cert-manager": (v) => v.prometheus.servicemonitor.enabled,
                "external-dns": (v) => v.serviceMonitor.enabled,
                "kube-prometheus-stack": (v) =>
                    v.coreDns.enabled && v.prometheus.prometheusSpec.serviceMonitorSelectorNilUsesHelmValues === false,
            };
            // Charts that run nothing to scrape: CRDs and policies only.
            // The NVIDIA device plugin exports no metrics (GPU metrics come from NVIDIA's DCGM exporter).
            const NOTHING_TO_SCRAPE = new Set(["karpenter-crd", "kyverno-policies", "prometheus-operator-crds", "nvidia-device-plugin"]);
            for (const release of ofType(program.resources, "kubernetes:helm.sh/v3:Release")) {
                const chart = inputs(release).name as string;
                if (NOTHING_TO_SCRAPE.has(chart)) continue;
                assert.ok(SCRAPED[chart], `${chart} is installed but nothing says how it is scraped`);
                assert.ok(SCRAPED[chart](inputs(release).values), `${chart} is not scraped`);
            }
        });

        it("copies each region's backups to another region exactly when the stack file asks", () => {
            const replications = ofType(program.resources, "aws:s3/bucketReplicationConfig:BucketReplicationConfig");
            if (!program.config.backups.crossRegion) {
                assert.equal(replications.length, 0);
                return;
            }
            assert.equal(replications.length, program.config.regions.length);
            const buckets = ofType(program.resources, "aws:s3/bucket:Bucket").map(inputs);
            const regionOfBucket = (name: string) =>
                program.config.regions.find((r) => name === r.names.backupBucket(OFFLINE_ACCOUNT))?.region;
            const destinations = new Set<string>();
            for (const replication of replications) {
                const source = regionOfBucket(inputs(replication).bucket);
                const rule = inputs(replication).rules[0];
                const destinationBucket = rule.destination.bucket.split(":::")[1];
                const destination = regionOfBucket(destinationBucket);
                assert.ok(source && destination && source !== destination, `${inputs(replication).bucket} -> ${destinationBucket}`);
                assert.ok(buckets.some((b) => b.bucket === destinationBucket));
                assert.match(rule.destination.encryptionConfiguration.replicaKmsKeyId, new RegExp(`^arn:aws:kms:${destination}:`));
                assert.equal(rule.sourceSelectionCriteria.sseKmsEncryptedObjects.status, "Enabled");
                destinations.add(destination);
            }
            assert.equal(destinations.size, program.config.regions.length, "every region holds another region's backups");
        });

        it("keeps backups and logs in private, versioned, encrypted, TLS-only buckets per cluster, on the stack file's schedules", () => {
            for (const region of program.config.regions) {
                const own = program.inRegion(region.region);
                const buckets = ofType(own, "aws:s3/bucket:Bucket");
                assert.deepEqual(
                    buckets.map((b) => inputs(b).bucket).sort(),
                    [region.names.backupBucket(OFFLINE_ACCOUNT), region.names.logBucket(OFFLINE_ACCOUNT)].sort(),
                );
                for (const bucket of buckets) {
                    // The bucket's settings carry its logical name.
                    const setting = (type: string) => inputs(one(own, type, bucket.name));
                    assert.equal(bucket.protect, program.config.protect);
                    assert.equal(bucket.retainOnDelete, program.config.protect);
                    assert.equal(setting("aws:s3/bucketVersioning:BucketVersioning").versioningConfiguration.status, "Enabled");
                    const block = setting("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock");
                    assert.ok(block.blockPublicAcls && block.blockPublicPolicy && block.ignorePublicAcls && block.restrictPublicBuckets);
                    const sse = setting("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration").rules[0];
                    assert.equal(sse.applyServerSideEncryptionByDefault.sseAlgorithm, "aws:kms");
                    assert.match(sse.applyServerSideEncryptionByDefault.kmsMasterKeyId, /^arn:aws:kms:/);
                    assert.match(setting("aws:s3/bucketPolicy:BucketPolicy").policy, /aws:SecureTransport/);
                    assert.equal(
                        setting("aws:s3/bucketOwnershipControls:BucketOwnershipControls").rule.objectOwnership,
                        "BucketOwnerEnforced",
                    );
                }
                const schedules = ofType(own, "kubernetes:velero.io/v1:Schedule").map(inputs);
                assert.deepEqual(
                    schedules.map((s) => [s.metadata.name, s.spec.schedule, s.spec.template.ttl]).sort(),
                    Object.entries(program.config.backups.schedules)
                        .map(([name, s]) => [name, s.cron, s.ttl])
                        .sort(),
                );
            }
        });

        it("pulls the drill's image from the region's own ECR, an allowlisted registry, by the lock's digest, through a Docker Hub cache", () => {
            const allowed = program.config.policies.allowedRegistries.registries;
            for (const region of program.config.regions) {
                const own = program.inRegion(region.region);
                const registry = `${OFFLINE_ACCOUNT}.dkr.ecr.${region.region}.amazonaws.com`;
                const digest = program.config.versions.images.restoreDrill.split("@")[1];
                for (const drill of ofType(own, "kubernetes:batch/v1:CronJob").map(inputs)) {
                    const image = drill.spec.jobTemplate.spec.template.spec.containers[0].image as string;
                    assert.ok(image.startsWith(`${registry}/docker-hub/`) && image.endsWith(`@${digest}`), image);
                }
                // The stack file's allowlist names this region's ECR (its account is the real one, not the offline one).
                assert.ok(allowed.some((r) => new RegExp(`^\\d{12}\\.dkr\\.ecr\\.${region.region}\\.amazonaws\\.com$`).test(r)));
                const rule = inputs(one(own, "aws:ecr/pullThroughCacheRule:PullThroughCacheRule"));
                assert.deepEqual([rule.ecrRepositoryPrefix, rule.upstreamRegistryUrl], ["docker-hub", "registry-1.docker.io"]);
                assert.match(rule.credentialArn, new RegExp(`:secret:${program.config.backups.drill.dockerHubSecretName}-`));
                // Created by the program, so that nodes pull through with AmazonEC2ContainerRegistryPullOnly alone.
                assert.equal(inputs(one(own, "aws:ecr/repository:Repository")).name, "docker-hub/alpine/k8s");
                // A pull by tag fills the cache before anything pulls by digest.
                const fill = one(own, "kubernetes:batch/v1:Job");
                assert.equal(
                    inputs(fill).spec.template.spec.containers[0].image,
                    program.config.versions.images.restoreDrill.replace(/^docker\.io\//, `${registry}/docker-hub/`).split("@")[0],
                );
                for (const drill of ofType(own, "kubernetes:batch/v1:CronJob"))
                    assert.ok(drill.dependencies.includes(fill.urn), drill.name);
            }
        });

        it("wires every restore drill to an alert, and drills the replica of the region that copies its backups here", () => {
            const regions = program.config.regions;
            regions.forEach((region, i) => {
                const own = program.inRegion(region.region);
                const drills = ofType(own, "kubernetes:batch/v1:CronJob").map(inputs);
                const monitoring = ofType(own, "kubernetes:helm.sh/v3:Release").find(
                    (r) => inputs(r).name === "kube-prometheus-stack",
                ) as RecordedResource;
                const rules = (inputs(monitoring).values.additionalPrometheusRulesMap.platform.groups as Inputs[]).flatMap((g) => g.rules);
                const failed = rules.find((r: Inputs) => r.alert === "RestoreDrillFailed");
                assert.ok(failed, "no RestoreDrillFailed alert");
                for (const drill of drills) {
                    assert.equal(drill.spec.schedule, program.config.backups.drill.cron);
                    assert.ok(
                        failed.expr.includes(`cronjob="${drill.metadata.name}"`) &&
                            failed.expr.includes(`namespace="${drill.metadata.namespace}"`),
                    );
                    const env = Object.fromEntries(
                        drill.spec.jobTemplate.spec.template.spec.containers[0].env.map((e: Inputs) => [e.name, e.value]),
                    );
                    assert.ok(env.SCHEDULE in program.config.backups.schedules, "the drill restores a backup of a real schedule");
                }
                // The replica here is the previous region's (the ring of crossRegion); its drill
                // expects that cluster's canary, from a read-only location under its name.
                const source = program.config.backups.crossRegion ? regions[(i + regions.length - 1) % regions.length] : undefined;
                const expected = [canaryMarker(region.names.cluster), ...(source ? [canaryMarker(source.names.cluster)] : [])];
                assert.deepEqual(
                    drills.map(
                        (d) =>
                            d.spec.jobTemplate.spec.template.spec.containers[0].env.find((e: Inputs) => e.name === "EXPECTED_MARKER").value,
                    ),
                    expected,
                );
                const readOnly = ofType(own, "kubernetes:velero.io/v1:BackupStorageLocation")
                    .map(inputs)
                    .filter((l) => l.spec.accessMode === "ReadOnly")
                    .map((l) => l.spec.objectStorage.prefix);
                assert.deepEqual(readOnly, source ? [source.names.cluster] : []);
            });
        });

        it("puts every prod volume into the replicated bucket: each schedule moves snapshot data, and replication copies it", () => {
            if (!program.config.backups.crossRegion) return;
            for (const schedule of ofType(program.resources, "kubernetes:velero.io/v1:Schedule").map(inputs)) {
                const template = schedule.spec.template;
                assert.ok(
                    (template.snapshotVolumes && template.snapshotMoveData) || template.defaultVolumesToFsBackup,
                    `${schedule.metadata.name}: volume data goes into the bucket`,
                );
                assert.ok(!template.volumeSnapshotLocations, "no region-bound EBS snapshot stands in for the data");
            }
            for (const region of program.config.regions) {
                const replication = inputs(one(program.inRegion(region.region), "aws:s3/bucketReplicationConfig:BucketReplicationConfig"));
                const location = ofType(program.inRegion(region.region), "kubernetes:velero.io/v1:BackupStorageLocation")
                    .map(inputs)
                    .find((l) => l.spec.default);
                assert.equal(
                    replication.rules[0].filter.prefix,
                    `${location?.spec.objectStorage.prefix}/`,
                    "what is replicated is what Velero writes",
                );
            }
        });

        it("leaves no EBS volume behind on teardown: what holds volumes is uninstalled while the driver still runs", () => {
            for (const region of program.config.regions) {
                const own = program.inRegion(region.region);
                const ebsCsi = one(own, "aws:eks/addon:Addon", `${region.region}-addons-ebs-csi`);
                const monitoring = ofType(own, "kubernetes:helm.sh/v3:Release").find((r) => inputs(r).name === "kube-prometheus-stack");
                assert.ok(monitoring);
                assert.equal(monitoring.deletedWith, "", "uninstalled by Pulumi, not dropped with the cluster");
                assert.equal(ebsCsi.retainOnDelete, true, "the EBS CSI driver goes with the cluster, after the claims");
                assert.ok(
                    monitoring.dependencies.some((urn) => urn.endsWith("-nodes-system")),
                    "uninstalled before its nodes go",
                );
                assert.deepEqual(
                    inputs(monitoring).values.prometheus.prometheusSpec.persistentVolumeClaimRetentionPolicy.whenDeleted,
                    "Delete",
                );
                const claim = one(own, "kubernetes:core/v1:PersistentVolumeClaim");
                assert.equal(claim.deletedWith, "", "the canary's volume is deleted by Pulumi");
            }
        });

        it("protects stateful resources exactly when the stack file asks", () => {
            const stateful = program.resources.filter((r) =>
                [
                    "eks:index:Cluster",
                    "aws:kms/key:Key",
                    "aws:cloudwatch/logGroup:LogGroup",
                    "aws:s3/bucket:Bucket",
                    "aws:ec2/vpc:Vpc",
                ].includes(r.type),
            );
            assert.ok(stateful.length > 0);
            for (const resource of stateful) assert.equal(resource.protect, program.config.protect, `${resource.type} ${resource.name}`);
            // Keys outlive the stack where it is protected: what they encrypted does too.
            for (const key of ofType(program.resources, "aws:kms/key:Key"))
                assert.equal(key.retainOnDelete, program.config.protect, `${key.name} retained on delete`);
        });
    });
}
