// Pure builders: Helm values, add-on settings, launch templates, node placement, access entries,
// CIDR arithmetic and the subnet layout.
import * as assert from "node:assert/strict";
import { corednsConfiguration, ebsCsiConfiguration, storageClassSpec } from "../../components/addons/core/core-addons";
import { ciliumValues } from "../../components/addons/cilium/cilium";
import { accessEntries } from "../../components/eks/cluster";
import { PIPELINE_PREVIEW_GROUP } from "../../components/eks/pipeline-access";
import { DISCOVERY_TAG, eventPattern, karpenterValues } from "../../components/addons/karpenter/karpenter";
import { launchTemplateData, nodePlacement } from "../../components/eks/nodegroups";
import { POOL_LABEL, amiAliases, ec2NodeClassSpec, nodePoolSpec } from "../../components/addons/karpenter/nodepools";
import { CILIUM_STARTUP_TAINT, NODE_GROUP_LABEL, SYSTEM_TAINT } from "../../components/shared/scheduling";
import { type Cidr, contains, overlaps, parseCidr, subnet } from "../../stacks/config/cidr";
import { resolveStackConfig } from "../../stacks/config/config";
import { INTERRUPTION_EVENTS } from "../../stacks/config/catalog";
import { subnetLayout } from "../../stacks/config/layout";
import { rawConfig, settingsOf } from "../fixtures";

const cidr = (text: string) => parseCidr(text) as Cidr;
const prod = resolveStackConfig(rawConfig(settingsOf("prod")));

describe("pure builders", () => {
    describe("Cilium values", () => {
        const values = ciliumValues({
            cluster: "platform-prod-us-east-1",
            clusterId: 11,
            apiServerHost: "ABC.gr7.us-east-1.eks.amazonaws.com",
            highAvailability: true,
        });

        it("runs ENI IPAM with native routing and replaces kube-proxy against the real API server", () => {
            assert.deepEqual(values.ipam, { mode: "eni" });
            assert.equal(values.eni.enabled, true);
            assert.equal(values.routingMode, "native");
            assert.equal(values.kubeProxyReplacement, "true");
            assert.equal(values.k8sServiceHost, "ABC.gr7.us-east-1.eks.amazonaws.com");
            assert.equal(values.k8sServicePort, 443);
        });

        it("names the cluster for a later ClusterMesh and keeps pod addresses routable", () => {
            assert.deepEqual(values.cluster, { name: "platform-prod-us-east-1", id: 11 });
            assert.equal(values.enableIPv4Masquerade, false);
        });

        it("puts the operator on the system nodes, highly available, and exports Hubble metrics", () => {
            assert.equal(values.operator.nodeSelector[NODE_GROUP_LABEL], "system");
            assert.ok(values.operator.tolerations.some((t) => t.key === SYSTEM_TAINT.key));
            assert.ok(
                values.operator.tolerations.some((t) => t.key === "node.kubernetes.io/not-ready"),
                "the operator must start on nodes that are not Ready yet",
            );
            assert.ok(values.operator.replicas >= 2);
            assert.equal(values.operator.podDisruptionBudget.enabled, true);
            assert.equal(values.hubble.enabled, true);
            assert.ok(values.hubble.metrics.enabled.includes("drop"));
            assert.equal(values.prometheus.enabled, true);
        });
    });

    it("keeps CoreDNS and the EBS CSI controller on the system nodes, spread across zones", () => {
        for (const placement of [corednsConfiguration(), ebsCsiConfiguration().controller]) {
            assert.equal(placement.nodeSelector[NODE_GROUP_LABEL], "system");
            assert.ok(placement.tolerations.some((t) => t.key === SYSTEM_TAINT.key));
            assert.equal(placement.topologySpreadConstraints[0].topologyKey, "topology.kubernetes.io/zone");
        }
        assert.ok(corednsConfiguration().autoScaling.minReplicas >= 2);
    });

    it("makes encrypted gp3 the only default StorageClass", () => {
        const spec = storageClassSpec();
        assert.equal(spec.metadata.annotations["storageclass.kubernetes.io/is-default-class"], "true");
        assert.deepEqual(spec.parameters, { type: "gp3", encrypted: "true", fsType: "ext4" });
        assert.equal(spec.volumeBindingMode, "WaitForFirstConsumer");
    });

    it("builds launch templates with IMDSv2 only, hop limit 1 and a gp3 root volume under the volumes key", () => {
        const data = launchTemplateData(prod.nodeGroups.general, { environment: "prod" }, "arn:aws:kms:eu-west-1:1:key/v");
        assert.equal(data.blockDeviceMappings[0].ebs.kmsKeyId, "arn:aws:kms:eu-west-1:1:key/v");
        assert.deepEqual(data.metadataOptions, {
            httpEndpoint: "enabled",
            httpTokens: "required",
            httpPutResponseHopLimit: 1,
            instanceMetadataTags: "disabled",
        });
        const [root] = data.blockDeviceMappings;
        assert.equal(root.deviceName, "/dev/xvda");
        assert.deepEqual(root.ebs, {
            volumeSize: prod.nodeGroups.general.diskSizeGiB,
            volumeType: "gp3",
            encrypted: "true",
            kmsKeyId: "arn:aws:kms:eu-west-1:1:key/v",
            deleteOnTermination: "true",
        });
        assert.ok(!("imageId" in data) && !("keyName" in data) && !("userData" in data) && !("networkInterfaces" in data));
        assert.deepEqual(
            data.tagSpecifications.map((t) => t.resourceType),
            ["instance", "volume", "network-interface"],
        );
    });

    it("starts every node group with the Cilium taint and adds each role's own", () => {
        for (const role of ["system", "general", "memory"] as const) {
            const placement = nodePlacement(role, prod.nodeGroups[role]);
            assert.deepEqual(placement.taints[0], CILIUM_STARTUP_TAINT, role);
            assert.equal(placement.labels[NODE_GROUP_LABEL], role);
        }
        assert.ok(nodePlacement("system", prod.nodeGroups.system).taints.some((t) => t.key === SYSTEM_TAINT.key));
        assert.ok(nodePlacement("memory", prod.nodeGroups.memory).taints.some((t) => t.key === NODE_GROUP_LABEL && t.value === "memory"));
        assert.equal(nodePlacement("general", prod.nodeGroups.general).taints.length, 1);
    });

    it("maps admins to cluster-admin and viewers to view, keyed by role so order does not matter", () => {
        const admin = "arn:aws:iam::444455556666:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Admin_1";
        const viewer = "arn:aws:iam::444455556666:role/readonly";
        const entries = accessEntries({ admins: [admin], viewers: [viewer] }, "aws");
        assert.deepEqual(Object.keys(entries).sort(), ["admin-444455556666-awsreservedsso-admin-1", "viewer-444455556666-readonly"]);
        const policies = Object.values(entries).map((e) => Object.values(e.accessPolicies)[0].policyArn);
        assert.deepEqual(policies.sort(), [
            "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy",
            "arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy",
        ]);
        assert.deepEqual(
            accessEntries({ admins: [admin], viewers: [viewer] }, "aws"),
            accessEntries({ admins: [admin], viewers: [viewer].reverse() }, "aws"),
        );
    });

    it("lets the pipeline's deploy role administer the cluster and its preview role view it, in the preview group", () => {
        const deploy = "arn:aws:iam::444455556666:role/github-actions/platform-deploy";
        const preview = "arn:aws:iam::444455556666:role/github-actions/platform-preview";
        const entries = accessEntries({ admins: [], viewers: [], deployRole: deploy, previewRole: preview }, "aws");
        assert.deepEqual(
            Object.fromEntries(
                Object.entries(entries).map(([key, e]) => [
                    key,
                    [e.principalArn, Object.values(e.accessPolicies)[0].policyArn.split("/").pop(), e.kubernetesGroups],
                ]),
            ),
            {
                "pipeline-deploy-444455556666-platform-deploy": [deploy, "AmazonEKSClusterAdminPolicy", undefined],
                "pipeline-preview-444455556666-platform-preview": [preview, "AmazonEKSViewPolicy", [PIPELINE_PREVIEW_GROUP]],
            },
        );
        assert.ok(!PIPELINE_PREVIEW_GROUP.startsWith("system:"), "EKS refuses system: groups on access entries");
    });

    describe("Karpenter", () => {
        const karpenter = prod.karpenter;
        const requirement = (spec: ReturnType<typeof nodePoolSpec<string[]>>, key: string) =>
            spec.template.spec.requirements.find((r) => r.key === key);

        it("starts every pool's nodes with Cilium's startup taint, known to Karpenter as a startup taint", () => {
            for (const [name, pool] of Object.entries(karpenter.pools)) {
                const spec = nodePoolSpec({ name, pool, os: "al2023", expireAfter: karpenter.expireAfter });
                assert.deepEqual(spec.template.spec.startupTaints, [
                    { key: "node.cilium.io/agent-not-ready", value: "true", effect: "NoExecute" },
                ]);
                assert.ok(
                    !spec.template.spec.taints.some((t) => t.key === "node.cilium.io/agent-not-ready"),
                    "a startup taint, not a permanent one",
                );
                assert.equal(spec.template.metadata.labels[POOL_LABEL], name);
            }
        });

        it("spreads a spot pool over several instance families, generations and sizes", () => {
            const pool = karpenter.pools["spot-general"];
            const spec = nodePoolSpec({
                name: "spot-general",
                pool,
                os: "al2023",
                expireAfter: "720h",
                zones: ["eu-west-1a", "eu-west-1b"],
            });
            assert.deepEqual(requirement(spec, "karpenter.sh/capacity-type")?.values, ["spot"]);
            assert.equal(requirement(spec, "karpenter.k8s.aws/instance-family")?.minValues, pool.minFamilies);
            assert.ok(pool.minFamilies >= 4);
            assert.deepEqual(requirement(spec, "karpenter.k8s.aws/instance-category")?.values, ["c", "m", "r"]);
            assert.deepEqual(requirement(spec, "karpenter.k8s.aws/instance-generation"), {
                key: "karpenter.k8s.aws/instance-generation",
                operator: "Gt",
                values: [String(pool.minGeneration - 1)],
            });
            assert.ok((requirement(spec, "karpenter.k8s.aws/instance-size")?.values ?? []).length > 1);
            assert.deepEqual(requirement(spec, "topology.kubernetes.io/zone")?.values, ["eu-west-1a", "eu-west-1b"]);
            assert.deepEqual(spec.limits, { cpu: String(pool.limits.cpu), memory: `${pool.limits.memoryGiB}Gi` });
            assert.equal(spec.disruption.consolidationPolicy, "WhenEmptyOrUnderutilized");
            assert.equal(spec.template.spec.expireAfter, "720h");
        });

        it("lists explicit families with the same minimum, and adds a quiet-hours budget when asked", () => {
            const pool = { ...karpenter.pools["spot-general"], families: ["c7i", "m7i", "r7i", "m6a"], expireAfter: "168h" };
            const spec = nodePoolSpec({
                name: "p",
                pool,
                os: "al2023",
                expireAfter: "720h",
                quietHours: { schedule: "0 7 * * 1-5", duration: "12h" },
            });
            assert.deepEqual(requirement(spec, "karpenter.k8s.aws/instance-family"), {
                key: "karpenter.k8s.aws/instance-family",
                operator: "In",
                values: pool.families,
                minValues: pool.minFamilies,
            });
            assert.equal(spec.template.spec.expireAfter, "168h");
            assert.deepEqual(spec.disruption.budgets, [
                { nodes: pool.disruptionBudget },
                { nodes: "0", schedule: "0 7 * * 1-5", duration: "12h" },
            ]);
        });

        it("builds node classes with a pinned AMI alias, IMDSv2 hop limit 1, encrypted volumes and discovery selectors", () => {
            const aliases = amiAliases({ nodeAmiRelease: "1.35.6-20260714", bottlerocketRelease: "1.49.0" });
            assert.deepEqual(aliases, { al2023: "al2023@v20260714", bottlerocket: "bottlerocket@v1.49.0" });
            const spec = ec2NodeClassSpec({
                name: "default",
                settings: { os: "al2023", diskSizeGiB: 80 },
                cluster: "c1",
                role: "c1-karpenter-node",
                volumesKeyArn: "k",
                alias: aliases.al2023 as string,
                tags: { environment: "prod" },
            });
            assert.deepEqual(spec.amiSelectorTerms, [{ alias: "al2023@v20260714" }]);
            assert.deepEqual(spec.metadataOptions, {
                httpEndpoint: "enabled",
                httpProtocolIPv6: "disabled",
                httpPutResponseHopLimit: 1,
                httpTokens: "required",
            });
            assert.deepEqual(spec.blockDeviceMappings, [
                {
                    deviceName: "/dev/xvda",
                    ebs: { volumeSize: "80Gi", volumeType: "gp3", encrypted: true, kmsKeyID: "k", deleteOnTermination: true },
                },
            ]);
            assert.deepEqual(spec.subnetSelectorTerms, [{ tags: { [DISCOVERY_TAG]: "c1" } }]);
            assert.deepEqual(spec.securityGroupSelectorTerms, [{ tags: { [DISCOVERY_TAG]: "c1" } }]);
            assert.equal(spec.tags.environment, "prod");
            const bottlerocket = ec2NodeClassSpec({
                name: "br",
                settings: { os: "bottlerocket", diskSizeGiB: 80 },
                cluster: "c1",
                role: "r",
                volumesKeyArn: "k",
                alias: aliases.bottlerocket as string,
                tags: {},
            });
            assert.deepEqual(
                bottlerocket.blockDeviceMappings.map((m) => [m.deviceName, m.ebs.volumeSize, m.ebs.encrypted]),
                [
                    ["/dev/xvda", "4Gi", true],
                    ["/dev/xvdb", "80Gi", true],
                ],
            );
        });

        it("runs the controller on the system nodes only, never on nodes it launched", () => {
            const values = karpenterValues({ cluster: "c1", queueName: "c1-karpenter" });
            const terms = values.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms;
            assert.deepEqual(terms[0].matchExpressions, [
                { key: "karpenter.sh/nodepool", operator: "DoesNotExist" },
                { key: NODE_GROUP_LABEL, operator: "In", values: ["system"] },
            ]);
            assert.ok(values.tolerations.some((t) => t.key === SYSTEM_TAINT.key));
            assert.equal(values.replicas, 2);
            assert.equal(values.podDisruptionBudget.maxUnavailable, 1);
            assert.deepEqual(values.settings, { clusterName: "c1", interruptionQueue: "c1-karpenter" });
        });

        it("matches every interruption event Karpenter handles, each by source and detail type", () => {
            assert.deepEqual(INTERRUPTION_EVENTS.map((e) => e.detailType).sort(), [
                "AWS Health Event",
                "EC2 Capacity Reservation Instance Interruption Warning",
                "EC2 Instance Rebalance Recommendation",
                "EC2 Instance State-change Notification",
                "EC2 Spot Instance Interruption Warning",
            ]);
            for (const event of INTERRUPTION_EVENTS)
                assert.deepEqual(eventPattern(event), { source: [event.source], "detail-type": [event.detailType] });
        });
    });

    describe("CIDR arithmetic and subnet layout", () => {
        it("detects overlap and containment", () => {
            assert.ok(overlaps(cidr("10.0.0.0/16"), cidr("10.0.255.0/24")));
            assert.ok(!overlaps(cidr("10.0.0.0/16"), cidr("10.1.0.0/16")));
            assert.ok(contains(cidr("10.0.0.0/8"), cidr("10.200.0.0/16")));
            assert.ok(!contains(cidr("10.0.0.0/16"), cidr("10.0.0.0/8")));
            assert.equal(subnet(cidr("10.0.0.0/16"), 3, 2).text, "10.0.64.0/19");
        });

        it("gives each zone a large private subnet and a small public one, never overlapping", () => {
            const layout = subnetLayout("10.20.0.0/16", 3);
            assert.deepEqual(layout.private, ["10.20.0.0/19", "10.20.32.0/19", "10.20.64.0/19"]);
            assert.deepEqual(layout.public, ["10.20.224.0/24", "10.20.225.0/24", "10.20.226.0/24"]);
            const all = [...layout.private, ...layout.public].map(cidr);
            all.forEach((a, i) => all.slice(i + 1).forEach((b) => assert.ok(!overlaps(a, b), `${a.text} overlaps ${b.text}`)));
            all.forEach((c) => assert.ok(contains(cidr("10.20.0.0/16"), c)));
        });

        it("keeps existing subnets in place when a zone is added", () => {
            const three = subnetLayout("10.20.0.0/16", 3);
            const four = subnetLayout("10.20.0.0/16", 4);
            assert.deepEqual(four.private.slice(0, 3), three.private);
            assert.deepEqual(four.public.slice(0, 3), three.public);
        });
    });
});
