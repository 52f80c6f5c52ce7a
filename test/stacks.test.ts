// The whole program, evaluated offline for each committed stack file: the resource tree per
// region, ordering, protection, tags, pinning and secrecy, all checked against what the stack
// file says rather than against numbers copied into the test.
import * as assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { CHARTS, CONTROL_PLANE_LOG_TYPES } from "../stacks/config/catalog";
import { type StackConfig, StackConfigError, resolveStackConfig } from "../stacks/config/config";
import { type Evaluation, EvaluationError, evaluate } from "../stacks/plan/offline";
import { OFFLINE_ACCOUNT } from "../stacks/plan/mocks";
import type { RecordedResource } from "../stacks/plan/resources";
import { readStackConfig } from "../stacks/plan/stack-input";
import { plaintextSecrets } from "../stacks/config/secrets";
import { ENTRY, ROOT, STACKS, evaluated, ofType, one, rawConfig, settingsOf } from "./fixtures";

/** Whether an AWS resource type takes tags, read from the @pulumi/aws declaration of its arguments. */
const taggable = (() => {
    const cache = new Map<string, boolean>();
    return (type: string): boolean => {
        if (!cache.has(type)) {
            const [, module, name] = /^aws:([^/]+)\/([^:]+):(.+)$/.exec(type) ?? [];
            const file = path.join(ROOT, "node_modules", "@pulumi", "aws", module, `${name}.d.ts`);
            const args = readFileSync(file, "utf8").split(/export interface \w+Args \{/)[1] ?? "";
            cache.set(type, /^\s+tags\?:/m.test(args.split(/^}/m)[0]));
        }
        return cache.get(type) as boolean;
    };
})();

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- recorded inputs are free-form JSON
type Inputs = Record<string, any>;
const inputs = (r: RecordedResource) => r.inputs as Inputs;

function ancestors(resource: RecordedResource, byUrn: Map<string, RecordedResource>): RecordedResource[] {
    const chain: RecordedResource[] = [];
    for (let current = byUrn.get(resource.parent); current; current = byUrn.get(current.parent)) chain.push(current);
    return chain;
}

for (const stack of STACKS) {
    describe(`whole program: ${stack} stack`, () => {
        let evaluation: Evaluation;
        let config: StackConfig;
        let resources: RecordedResource[];
        let byUrn: Map<string, RecordedResource>;
        /** The resources under one region's Platform. */
        const inRegion = (region: string) =>
            resources.filter((r) => ancestors(r, byUrn).some((a) => a.type === "platform:index:Platform" && a.name === region));

        before(async () => {
            const input = readStackConfig(ROOT, stack);
            config = resolveStackConfig({
                project: input.project,
                stack,
                config: input.config,
                isSecret: (k) => input.secretKeys.includes(k),
            });
            evaluation = await evaluated(stack);
            resources = evaluation.resources;
            byUrn = new Map(resources.map((r) => [r.urn, r]));
        });

        it("registers one Platform per region, everything else inside one, named after its region", () => {
            const platforms = ofType(resources, "platform:index:Platform");
            assert.deepEqual(platforms.map((p) => p.name).sort(), config.regions.map((r) => r.region).sort());
            for (const resource of resources) {
                if (
                    resource.type === "pulumi:pulumi:Stack" ||
                    resource.type.startsWith("pulumi:providers:aws") ||
                    resource.type === "platform:index:Platform"
                )
                    continue;
                const platform = ancestors(resource, byUrn).find((a) => a.type === "platform:index:Platform");
                assert.ok(platform, `${resource.type} ${resource.name} is outside every Platform`);
                assert.ok(resource.name.startsWith(`${platform.name}-`), `${resource.name} is not prefixed with ${platform.name}-`);
            }
        });

        it("has no URN collisions and every parent chain ends at the stack", () => {
            const urns = resources.map((r) => r.urn);
            assert.equal(new Set(urns).size, urns.length);
            for (const resource of resources.filter((r) => r.type !== "pulumi:pulumi:Stack")) {
                const chain = ancestors(resource, byUrn);
                assert.equal(chain[chain.length - 1]?.type, "pulumi:pulumi:Stack", `${resource.urn} does not descend from the stack`);
            }
        });

        it("creates per region what the stack file describes", () => {
            for (const region of config.regions) {
                const own = inRegion(region.region);
                assert.equal(ofType(own, "eks:index:Cluster").length, 1);
                assert.equal(ofType(own, "eks:index:ManagedNodeGroup").length, Object.keys(config.nodeGroups).length);
                const charts = Object.values(CHARTS).flatMap((source) => [...source.charts]);
                assert.deepEqual(
                    ofType(own, "kubernetes:helm.sh/v3:Release")
                        .map((r) => inputs(r).name)
                        .sort(),
                    charts.sort(),
                    "every catalogued chart, once",
                );
                assert.equal(ofType(own, "aws:kms/key:Key").length, 3, "secrets, logs and backups");
                assert.equal(ofType(own, "aws:eks/addon:Addon").length, 3);
                if (region.network.kind === "created") {
                    const zones = region.network.availabilityZones;
                    assert.equal(ofType(own, "aws:ec2/subnet:Subnet").length, 2 * zones);
                    assert.equal(ofType(own, "aws:ec2/natGateway:NatGateway").length, region.network.natGateways === "perAz" ? zones : 1);
                    assert.equal(ofType(own, "aws:ec2/flowLog:FlowLog").length, 1);
                    assert.equal(ofType(own, "aws:ec2/vpcEndpoint:VpcEndpoint").length, 1);
                }
            }
        });

        it("uses each region's own provider for every AWS and Kubernetes resource", () => {
            for (const region of config.regions) {
                for (const resource of inRegion(region.region).filter((r) => r.custom && r.type.startsWith("aws:"))) {
                    assert.match(resource.provider, new RegExp(`pulumi:providers:aws::${region.region}::`), `${resource.name}`);
                }
                for (const resource of inRegion(region.region).filter((r) => r.custom && r.type.startsWith("kubernetes:"))) {
                    assert.match(
                        resource.provider,
                        new RegExp(`pulumi:providers:kubernetes::${region.region}-cluster-k8s::`),
                        `${resource.name}`,
                    );
                }
            }
        });

        it("configures each control plane as the stack file says, with nothing to bootstrap", () => {
            for (const region of config.regions) {
                const cluster = inputs(one(inRegion(region.region), "eks:index:Cluster"));
                assert.equal(cluster.name, region.names.cluster);
                assert.equal(cluster.version, config.versions.kubernetes);
                assert.equal(cluster.authenticationMode, "API");
                assert.equal(cluster.endpointPrivateAccess, true);
                assert.equal(cluster.endpointPublicAccess, config.cluster.endpoint.public);
                assert.deepEqual(cluster.enabledClusterLogTypes, [...CONTROL_PLANE_LOG_TYPES]);
                assert.match(cluster.encryptionConfigKeyArn, /^arn:aws:kms:/);
                assert.equal(cluster.deletionProtection, config.cluster.deletionProtection);
                assert.equal(cluster.kubernetesServiceIpAddressRange, region.serviceCidr);
                assert.equal(cluster.bootstrapSelfManagedAddons, false);
                assert.equal(cluster.kubeProxyAddonOptions.enabled, false);
                assert.equal(cluster.corednsAddonOptions.enabled, false);
                assert.equal(cluster.skipDefaultNodeGroup, true);
                for (const entry of Object.values(cluster.accessEntries as Inputs)) {
                    assert.deepEqual(entry.kubernetesGroups ?? [], [], "no access entry maps to Kubernetes groups such as system:masters");
                }
                assert.equal(
                    Object.keys(cluster.accessEntries).length,
                    config.cluster.access.admins.length + config.cluster.access.viewers.length,
                );
            }
        });

        it("creates the log group before the control plane that writes to it", () => {
            for (const region of config.regions) {
                const own = inRegion(region.region);
                const logGroup = ofType(own, "aws:cloudwatch/logGroup:LogGroup").find(
                    (r) => inputs(r).name === region.names.controlPlaneLogGroup,
                );
                assert.ok(logGroup);
                assert.ok(one(own, "eks:index:Cluster").dependencies.includes(logGroup.urn));
                assert.equal(inputs(logGroup).retentionInDays, config.cluster.logRetentionDays);
                assert.ok(inputs(logGroup).kmsKeyId);
            }
        });

        it("installs Cilium and the Pod Identity agent before the node groups, which would never become Ready without them", () => {
            for (const region of config.regions) {
                const own = inRegion(region.region);
                const release = ofType(own, "kubernetes:helm.sh/v3:Release").find((r) => inputs(r).name === "cilium") as RecordedResource;
                const groups = ofType(own, "eks:index:ManagedNodeGroup");
                const agent = ofType(own, "aws:eks/addon:Addon").find(
                    (a) => inputs(a).addonName === "eks-pod-identity-agent",
                ) as RecordedResource;
                const egress = ofType(own, "aws:ec2/routeTableAssociation:RouteTableAssociation").filter((a) =>
                    a.name.includes("-network-private-"),
                );
                assert.equal(egress.length, region.network.kind === "created" ? region.network.availabilityZones : 0);
                for (const group of groups) {
                    for (const needed of [release, agent, ...egress])
                        assert.ok(group.dependencies.includes(needed.urn), `${group.name} must wait for ${needed.name}`);
                }
                assert.ok(!release.dependencies.some((urn) => groups.some((g) => g.urn === urn)), "Cilium must not wait for the nodes");
                assert.ok(!release.dependencies.includes(agent.urn), "Cilium's install need not wait for the agent, only its nodes do");
                const association = one(own, "aws:eks/podIdentityAssociation:PodIdentityAssociation", `${region.region}-cilium-operator`);
                assert.ok(release.dependencies.includes(association.urn), "the operator needs its association before it starts");
            }
        });

        it("starts the add-ons once the system node group, where they run, is up, not the other groups", () => {
            for (const region of config.regions) {
                const own = inRegion(region.region);
                const groups = ofType(own, "eks:index:ManagedNodeGroup");
                const system = groups.find((g) => inputs(g).nodeGroupName === region.names.nodeGroups.system) as RecordedResource;
                const addons = [
                    ...ofType(own, "aws:eks/addon:Addon").filter((a) => ["coredns", "aws-ebs-csi-driver"].includes(inputs(a).addonName)),
                    ...ofType(own, "kubernetes:helm.sh/v3:Release").filter(
                        (r) => !["cilium", "prometheus-operator-crds", "karpenter-crd", "kyverno-policies"].includes(inputs(r).name),
                    ),
                ];
                assert.ok(addons.length > 5);
                for (const addon of addons) {
                    const onGroups = groups.filter((g) => addon.dependencies.includes(g.urn));
                    assert.deepEqual(
                        onGroups.map((g) => g.name),
                        [system.name],
                        `${addon.name} waits for the system group only`,
                    );
                }
            }
        });

        it("pins every chart and add-on to the stack's version lock", () => {
            for (const release of ofType(resources, "kubernetes:helm.sh/v3:Release")) {
                const [lock] =
                    Object.entries(CHARTS).find(([, source]) => (source.charts as readonly string[]).includes(inputs(release).name)) ?? [];
                assert.ok(lock, `release ${inputs(release).name} has no entry in the chart catalog`);
                assert.equal(inputs(release).version, config.versions.charts[lock as keyof typeof CHARTS]);
                assert.match(inputs(release).version, /^\d+\.\d+\.\d+$/);
            }
            for (const addon of ofType(resources, "aws:eks/addon:Addon")) {
                const name = inputs(addon).addonName as keyof StackConfig["versions"]["addons"];
                assert.equal(inputs(addon).addonVersion, config.versions.addons[name]);
            }
            for (const group of ofType(resources, "eks:index:ManagedNodeGroup")) {
                assert.equal(inputs(group).releaseVersion, config.versions.nodeAmiRelease);
                assert.equal(inputs(group).version, config.versions.kubernetes);
            }
        });

        it("gives node groups the Cilium startup taint, their sizes, and lets autoscaling keep its desired size", () => {
            for (const region of config.regions) {
                for (const [role, settings] of Object.entries(config.nodeGroups)) {
                    const group = inputs(one(inRegion(region.region), "eks:index:ManagedNodeGroup", `${region.region}-nodes-${role}`));
                    assert.deepEqual(group.scalingConfig, {
                        minSize: settings.minSize,
                        desiredSize: settings.desiredSize,
                        maxSize: settings.maxSize,
                    });
                    assert.equal(group.ignoreScalingChanges, true);
                    assert.ok(group.taints.some((t: Inputs) => t.key === "node.cilium.io/agent-not-ready" && t.effect === "NO_EXECUTE"));
                    assert.equal(group.capacityType, settings.capacityType);
                    assert.equal(group.nodeGroupName, region.names.nodeGroups[role as keyof typeof region.names.nodeGroups]);
                    assert.ok(group.launchTemplate.id, "every group uses its launch template");
                }
                for (const template of ofType(inRegion(region.region), "aws:ec2/launchTemplate:LaunchTemplate")) {
                    assert.equal(inputs(template).metadataOptions.httpTokens, "required");
                    assert.equal(inputs(template).metadataOptions.httpPutResponseHopLimit, 1);
                    assert.equal(inputs(template).blockDeviceMappings[0].ebs.encrypted, "true");
                    assert.equal(inputs(template).keyName, undefined);
                }
            }
        });

        it("gives every Karpenter pool the Cilium startup taint and keeps system workloads off every pool", () => {
            for (const region of config.regions) {
                const pools = ofType(inRegion(region.region), "kubernetes:karpenter.sh/v1:NodePool");
                assert.deepEqual(pools.map((p) => inputs(p).metadata.name).sort(), Object.keys(config.karpenter.pools).sort());
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
                for (const nodeClass of ofType(inRegion(region.region), "kubernetes:karpenter.k8s.aws/v1:EC2NodeClass")) {
                    assert.ok(!JSON.stringify(inputs(nodeClass).spec.amiSelectorTerms).includes("latest"));
                    assert.equal(inputs(nodeClass).spec.metadataOptions.httpPutResponseHopLimit, 1);
                }
            }
        });

        it("gives each region its own interruption queue, rules, Karpenter roles and node access entry", () => {
            const queues = ofType(resources, "aws:sqs/queue:Queue").map((q) => inputs(q).name);
            assert.equal(new Set(queues).size, config.regions.length);
            for (const region of config.regions) {
                const own = inRegion(region.region);
                assert.equal(inputs(one(own, "aws:sqs/queue:Queue")).name, region.names.interruptionQueue);
                assert.equal(ofType(own, "aws:cloudwatch/eventRule:EventRule").length, Object.keys(region.names.interruptionRules).length);
                assert.equal(inputs(one(own, "aws:eks/accessEntry:AccessEntry")).type, "EC2_LINUX");
                const roles = ofType(own, "aws:iam/role:Role").map((r) => inputs(r).name);
                assert.ok(roles.includes(region.names.roles.karpenter) && roles.includes(region.names.roles.karpenterNode));
            }
        });

        it("enforces or audits each admission policy exactly as the stack file says", () => {
            const expected: Record<string, string> = {
                "disallow-latest-tag": config.policies.disallowLatestTag,
                "require-requests-limits": config.policies.requireResources,
                "require-probes": config.policies.requireProbes,
                "restrict-image-registries": config.policies.allowedRegistries.action,
            };
            for (const region of config.regions) {
                const own = inRegion(region.region);
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
                assert.equal(inputs(podSecurity).values.validationFailureAction, config.policies.podSecurity);
                assert.equal(inputs(podSecurity).values.podSecurityStandard, "restricted");
            }
        });

        it("hands every add-on with an AWS role to GitOps, in the cluster secret and the stack outputs", () => {
            const outputs = evaluation.outputs.clusters as Record<
                string,
                { addons: Record<string, { namespace: string; serviceAccount?: string; roleArn?: string }> }
            >;
            for (const region of config.regions) {
                const own = inRegion(region.region);
                const secret = ofType(own, "kubernetes:core/v1:Secret").find(
                    (s) => inputs(s).metadata.name === "in-cluster",
                ) as RecordedResource;
                assert.ok(secret, "no in-cluster cluster secret");
                const { labels, annotations } = inputs(secret).metadata;
                assert.deepEqual(
                    [labels["platform/environment"], labels["platform/region"], labels["platform/cluster"]],
                    [config.environment, region.region, region.names.cluster],
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
            const bodies = resources
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
                "kube-prometheus-stack": (v) =>
                    v.coreDns.enabled && v.prometheus.prometheusSpec.serviceMonitorSelectorNilUsesHelmValues === false,
            };
            // Charts that run nothing to scrape: CRDs and policies only.
            const NOTHING_TO_SCRAPE = new Set(["karpenter-crd", "kyverno-policies", "prometheus-operator-crds"]);
            for (const release of ofType(resources, "kubernetes:helm.sh/v3:Release")) {
                const chart = inputs(release).name as string;
                if (NOTHING_TO_SCRAPE.has(chart)) continue;
                assert.ok(SCRAPED[chart], `${chart} is installed but nothing says how it is scraped`);
                assert.ok(SCRAPED[chart](inputs(release).values), `${chart} is not scraped`);
            }
        });

        it("copies each region's backups to another region exactly when the stack file asks", () => {
            const replications = ofType(resources, "aws:s3/bucketReplicationConfig:BucketReplicationConfig");
            if (!config.backups.crossRegion) {
                assert.equal(replications.length, 0);
                return;
            }
            assert.equal(replications.length, config.regions.length);
            const buckets = ofType(resources, "aws:s3/bucket:Bucket").map(inputs);
            const regionOfBucket = (name: string) => config.regions.find((r) => name === r.names.backupBucket(OFFLINE_ACCOUNT))?.region;
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
            assert.equal(destinations.size, config.regions.length, "every region holds another region's backups");
        });

        it("keeps backups in a private, versioned, encrypted, TLS-only bucket per cluster, on the stack file's schedules", () => {
            for (const region of config.regions) {
                const own = inRegion(region.region);
                const bucket = one(own, "aws:s3/bucket:Bucket");
                assert.equal(inputs(bucket).bucket, region.names.backupBucket(OFFLINE_ACCOUNT));
                assert.equal(bucket.protect, config.protect);
                assert.equal(bucket.retainOnDelete, config.protect);
                assert.equal(inputs(one(own, "aws:s3/bucketVersioning:BucketVersioning")).versioningConfiguration.status, "Enabled");
                const block = inputs(one(own, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"));
                assert.ok(block.blockPublicAcls && block.blockPublicPolicy && block.ignorePublicAcls && block.restrictPublicBuckets);
                const sse = inputs(one(own, "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"))
                    .rules[0];
                assert.equal(sse.applyServerSideEncryptionByDefault.sseAlgorithm, "aws:kms");
                assert.match(sse.applyServerSideEncryptionByDefault.kmsMasterKeyId, /^arn:aws:kms:/);
                assert.match(inputs(one(own, "aws:s3/bucketPolicy:BucketPolicy")).policy, /aws:SecureTransport/);
                assert.equal(
                    inputs(one(own, "aws:s3/bucketOwnershipControls:BucketOwnershipControls")).rule.objectOwnership,
                    "BucketOwnerEnforced",
                );
                const schedules = ofType(own, "kubernetes:velero.io/v1:Schedule").map(inputs);
                assert.deepEqual(
                    schedules.map((s) => [s.metadata.name, s.spec.schedule, s.spec.template.ttl]).sort(),
                    Object.entries(config.backups.schedules)
                        .map(([name, s]) => [name, s.cron, s.ttl])
                        .sort(),
                );
            }
        });

        it("wires the restore drill to an alert", () => {
            for (const region of config.regions) {
                const own = inRegion(region.region);
                const drill = one(own, "kubernetes:batch/v1:CronJob");
                assert.equal(inputs(drill).spec.schedule, config.backups.drill.cron);
                const monitoring = ofType(own, "kubernetes:helm.sh/v3:Release").find(
                    (r) => inputs(r).name === "kube-prometheus-stack",
                ) as RecordedResource;
                const rules = (inputs(monitoring).values.additionalPrometheusRulesMap.platform.groups as Inputs[]).flatMap((g) => g.rules);
                const failed = rules.find((r: Inputs) => r.alert === "RestoreDrillFailed");
                assert.ok(failed, "no RestoreDrillFailed alert");
                assert.ok(
                    failed.expr.includes(`cronjob="${inputs(drill).metadata.name}"`) &&
                        failed.expr.includes(`namespace="${inputs(drill).metadata.namespace}"`),
                );
                const scheduleEnv = inputs(drill).spec.jobTemplate.spec.template.spec.containers[0].env.find(
                    (e: Inputs) => e.name === "SCHEDULE",
                ).value;
                assert.ok(scheduleEnv in config.backups.schedules, "the drill restores a backup of a real schedule");
            }
        });

        it("protects stateful resources exactly when the stack file asks", () => {
            const stateful = resources.filter((r) =>
                ["eks:index:Cluster", "aws:kms/key:Key", "aws:cloudwatch/logGroup:LogGroup", "aws:s3/bucket:Bucket"].includes(r.type),
            );
            assert.ok(stateful.length > 0);
            for (const resource of stateful) assert.equal(resource.protect, config.protect, `${resource.type} ${resource.name}`);
        });

        it("tags every taggable AWS resource with environment, region and owner", () => {
            for (const region of config.regions) {
                for (const resource of inRegion(region.region).filter((r) => r.type.startsWith("aws:") && taggable(r.type))) {
                    const tags = inputs(resource).tags ?? {};
                    for (const key of ["environment", "region", "owner"]) {
                        assert.equal(tags[key], region.tags[key], `${resource.type} ${resource.name} lacks ${key}`);
                    }
                }
            }
            for (const provider of ofType(resources, "pulumi:providers:aws")) {
                assert.equal(JSON.parse(inputs(provider).defaultTags).tags.region, inputs(provider).region);
            }
        });

        it("opens no security group to the internet and grants no wildcard IAM action", () => {
            const json = JSON.stringify(resources.filter((r) => /SecurityGroup/.test(r.type)).map((r) => r.inputs));
            assert.ok(!json.includes("0.0.0.0/0"), "a security group allows 0.0.0.0/0");
            for (const policy of ofType(resources, "aws:iam/rolePolicy:RolePolicy")) {
                for (const statement of JSON.parse(inputs(policy).policy).Statement as Inputs[]) {
                    const actions: string[] = [].concat(statement.Action);
                    assert.ok(
                        actions.every((a) => a !== "*" && !a.endsWith(":*")),
                        `${policy.name} grants ${actions.join(", ")}`,
                    );
                }
            }
        });

        it("exports each cluster's kubeconfig as a secret", async () => {
            const clusters = evaluation.exports.clusters as Record<string, { kubeconfig: pulumi.Output<string> }>;
            assert.deepEqual(Object.keys(clusters).sort(), config.regions.map((r) => r.region).sort());
            for (const cluster of Object.values(clusters)) assert.equal(await pulumi.isSecret(cluster.kubeconfig), true);
        });
    });
}

describe("whole program: invalid stack file", () => {
    it("fails before registering a single resource", async () => {
        const settings = settingsOf("prod");
        settings.regions[1].vpcCidr = settings.regions[0].vpcCidr;
        const raw = rawConfig(settings, { stack: "prod" });
        const input = { project: raw.project, config: { ...readStackConfig(ROOT, "prod").config, ...raw.config }, secretKeys: [] };
        await assert.rejects(evaluate(ENTRY, "prod", input), (error: unknown) => {
            assert.ok(error instanceof EvaluationError);
            assert.ok(error.cause instanceof StackConfigError);
            assert.match(error.message, /regions\[1\]\.vpcCidr: 10\.20\.0\.0\/16 overlaps regions\[0\]\.vpcCidr/);
            assert.deepEqual(
                error.resources.map((r) => r.type),
                ["pulumi:pulumi:Stack"],
            );
            return true;
        });
    });
});

describe("whole program: a region in an existing VPC", () => {
    it("creates no network, and points the cluster, nodes and Cilium at the given VPC", async () => {
        const settings = settingsOf("staging");
        const existing = {
            vpcId: "vpc-0123456789abcdef0",
            privateSubnetIds: ["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"],
            publicSubnetIds: [],
        };
        settings.regions[0].existingVpc = existing;
        const raw = rawConfig(settings, { stack: "staging" });
        const input = { project: raw.project, config: { ...readStackConfig(ROOT, "staging").config, ...raw.config }, secretKeys: [] };
        const { resources } = await evaluate(ENTRY, "staging", input);
        assert.equal(ofType(resources, "platform:network:Network").length, 0);
        assert.equal(ofType(resources, "aws:ec2/vpc:Vpc").length, 0);
        assert.deepEqual(inputs(one(resources, "eks:index:Cluster")).privateSubnetIds, existing.privateSubnetIds);
        for (const group of ofType(resources, "eks:index:ManagedNodeGroup"))
            assert.deepEqual(inputs(group).subnetIds, existing.privateSubnetIds);
        assert.match(
            inputs(one(resources, "aws:iam/rolePolicy:RolePolicy", "us-east-1-cilium-operator-eni-ipam")).policy,
            /vpc\/vpc-0123456789abcdef0/,
        );
    });
});
