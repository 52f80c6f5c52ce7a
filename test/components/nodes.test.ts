// Cilium, the node groups, the core add-ons, Karpenter and its pools on one cluster, under the
// offline mocks.
import * as assert from "node:assert/strict";
import { CoreAddons } from "../../components/addons/core/core-addons";
import { Cilium } from "../../components/addons/cilium/cilium";
import { Karpenter } from "../../components/addons/karpenter/karpenter";
import { NodeGroups } from "../../components/eks/nodegroups";
import { NodePools } from "../../components/addons/karpenter/nodepools";
import { OFFLINE_ACCOUNT } from "../../stacks/plan/mocks";
import type { RecordedResource } from "../../stacks/plan/resources";
import { ofType, one, inputs } from "../fixtures";
import { evaluateComponent, names, settings, testCluster } from "./harness";

describe("components", () => {
    describe("Cilium, NodeGroups, CoreAddons, Karpenter and NodePools on one cluster", () => {
        let resources: RecordedResource[];
        before(async () => {
            resources = await evaluateComponent((p) => {
                const cluster = testCluster(p.aws);
                const cilium = new Cilium(
                    "cilium",
                    {
                        cluster: cluster.handle,
                        clusterId: 42,
                        highAvailability: true,
                        vpcId: "vpc-0abc",
                        chartVersion: "1.20.0",
                        operatorRoleName: names.roles.ciliumOperator,
                        dependsOn: [cluster.podIdentityAgent],
                    },
                    { providers: { aws: p.aws } },
                );
                const groups = new NodeGroups(
                    "nodes",
                    {
                        cluster: cluster.handle,
                        nodeRoleName: names.roles.node,
                        groupNames: names.nodeGroups,
                        launchTemplateNames: names.launchTemplates,
                        volumesKeyArn: "arn:aws:kms:eu-west-1:444455556666:key/volumes",
                        groups: settings.nodeGroups,
                        kubernetesVersion: "1.35",
                        amiRelease: "1.35.6-20260714",
                        subnetIds: ["subnet-a", "subnet-b"],
                        dependsOn: [cilium.release],
                    },
                    { providers: { aws: p.aws } },
                );
                new CoreAddons(
                    "addons",
                    {
                        cluster: cluster.handle,
                        versions: settings.versions.addons,
                        ebsCsiRoleName: names.roles.ebsCsi,
                        dependsOn: groups.groups,
                    },
                    { providers: { aws: p.aws } },
                );
                const karpenter = new Karpenter(
                    "karpenter",
                    {
                        cluster: cluster.handle,
                        chartVersion: "1.14.1",
                        controllerRoleName: names.roles.karpenter,
                        nodeRoleName: names.roles.karpenterNode,
                        queueName: names.interruptionQueue,
                        ruleNames: names.interruptionRules,
                        dependsOn: groups.groups,
                    },
                    { providers: { aws: p.aws } },
                );
                new NodePools(
                    "pools",
                    {
                        cluster: cluster.handle,
                        settings: settings.karpenter,
                        nodeRoleName: karpenter.nodeRoleName,
                        amiAliases: { al2023: "al2023@v20260714" },
                        devicePluginVersion: "0.20.0",
                        volumesKeyArn: "arn:aws:kms:eu-west-1:444455556666:key/volumes",
                        zones: ["eu-west-1a", "eu-west-1b"],
                        dependsOn: karpenter.ready,
                    },
                    { providers: { aws: p.aws } },
                );
            });
        });

        it("installs Cilium from its repository into kube-system without waiting for nodes", () => {
            const release = inputs(one(resources, "kubernetes:helm.sh/v3:Release", "cilium-release"));
            assert.deepEqual(
                [release.name, release.namespace, release.chart, release.version],
                ["cilium", "kube-system", "cilium", "1.20.0"],
            );
            assert.equal(release.repositoryOpts.repo, "https://helm.cilium.io");
            assert.equal(release.skipAwait, true);
            assert.equal(release.values.cluster.id, 42);
            assert.doesNotMatch(release.values.k8sServiceHost, /^https:/);
        });

        it("binds the Cilium operator's own role to its service account through Pod Identity", () => {
            const association = inputs(one(resources, "aws:eks/podIdentityAssociation:PodIdentityAssociation", "cilium-operator"));
            assert.deepEqual([association.namespace, association.serviceAccount], ["kube-system", "cilium-operator"]);
            const role = ofType(resources, "aws:iam/role:Role")
                .map(inputs)
                .find((r) => r.name === names.roles.ciliumOperator);
            assert.ok(role);
            assert.match(role.assumeRolePolicy, /pods\.eks\.amazonaws\.com/);
            const policy = ofType(resources, "aws:iam/rolePolicy:RolePolicy", "cilium-operator-eni-ipam").map(inputs)[0];
            assert.match(policy.policy, /vpc\/vpc-0abc/);
        });

        it("creates the three node groups with a node role limited to joining and pulling images", () => {
            const groups = ofType(resources, "aws:eks/nodeGroup:NodeGroup").map(inputs);
            assert.deepEqual(groups.map((g) => g.nodeGroupName).sort(), Object.values(names.nodeGroups).sort());
            assert.ok(groups.every((g) => g.amiType === "AL2023_x86_64_STANDARD" && g.releaseVersion === "1.35.6-20260714"));
            const nodePolicies = ofType(resources, "aws:iam/rolePolicyAttachment:RolePolicyAttachment")
                .filter((a) => a.name.startsWith("nodes-role-"))
                .map((a) => inputs(a).policyArn as string);
            assert.deepEqual(nodePolicies.sort(), [
                "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryPullOnly",
                "arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy",
            ]);
        });

        it("installs CoreDNS and the EBS CSI driver with its own role, and a default gp3 class", () => {
            const addons = ofType(resources, "aws:eks/addon:Addon").map(inputs);
            const coredns = addons.find((a) => a.addonName === "coredns");
            const ebs = addons.find((a) => a.addonName === "aws-ebs-csi-driver");
            assert.ok(coredns && ebs);
            assert.equal(JSON.parse(coredns.configurationValues).nodeSelector["platform/node-group"], "system");
            assert.equal(ebs.podIdentityAssociations[0].serviceAccount, "ebs-csi-controller-sa");
            const ebsRole = ofType(resources, "aws:iam/role:Role")
                .map(inputs)
                .find((r) => r.name === names.roles.ebsCsi);
            assert.ok(ebsRole);
            const storageClass = inputs(one(resources, "kubernetes:storage.k8s.io/v1:StorageClass"));
            assert.equal(storageClass.metadata.name, "gp3");
        });

        it("feeds an encrypted, short-lived, EventBridge-only queue from every interruption event", () => {
            const queue = one(resources, "aws:sqs/queue:Queue");
            assert.equal(inputs(queue).name, names.interruptionQueue);
            assert.equal(inputs(queue).sqsManagedSseEnabled, true);
            assert.equal(inputs(queue).messageRetentionSeconds, 300);
            const policy = JSON.parse(inputs(one(resources, "aws:sqs/queuePolicy:QueuePolicy")).policy);
            const rules = ofType(resources, "aws:cloudwatch/eventRule:EventRule").map(inputs);
            assert.deepEqual(rules.map((r) => r.name).sort(), Object.values(names.interruptionRules).sort());
            assert.deepEqual(
                policy.Statement[0].Condition.ArnEquals["aws:SourceArn"],
                Object.values(names.interruptionRules).map((n) => `arn:aws:events:eu-west-1:${OFFLINE_ACCOUNT}:rule/${n}`),
            );
            assert.equal(ofType(resources, "aws:cloudwatch/eventTarget:EventTarget").length, rules.length);
        });

        it("admits Karpenter's node role through an EC2_LINUX access entry and binds the controller role by Pod Identity", () => {
            const entry = inputs(one(resources, "aws:eks/accessEntry:AccessEntry"));
            assert.equal(entry.type, "EC2_LINUX");
            assert.equal(entry.principalArn, `arn:aws:iam::${OFFLINE_ACCOUNT}:role/${names.roles.karpenterNode}`);
            const association = inputs(one(resources, "aws:eks/podIdentityAssociation:PodIdentityAssociation", "karpenter-controller"));
            assert.deepEqual([association.namespace, association.serviceAccount], ["karpenter", "karpenter"]);
            assert.equal(
                ofType(resources, "aws:iam/rolePolicy:RolePolicy").filter((p) => p.name.startsWith("karpenter-controller-")).length,
                5,
            );
            assert.equal(inputs(one(resources, "aws:ec2/tag:Tag")).key, "karpenter.sh/discovery");
        });

        it("installs the CRD chart, then the controller without its own CRDs, after its role, queue and the nodes", () => {
            const releases = ofType(resources, "kubernetes:helm.sh/v3:Release");
            const crds = releases.find((r) => inputs(r).name === "karpenter-crd") as RecordedResource;
            const controller = releases.find((r) => inputs(r).name === "karpenter") as RecordedResource;
            assert.equal(inputs(crds).chart, "oci://public.ecr.aws/karpenter/karpenter-crd");
            assert.equal(inputs(controller).chart, "oci://public.ecr.aws/karpenter/karpenter");
            assert.equal(inputs(controller).skipCrds, true);
            for (const dependency of [
                crds,
                one(resources, "aws:eks/podIdentityAssociation:PodIdentityAssociation", "karpenter-controller"),
                one(resources, "aws:sqs/queuePolicy:QueuePolicy"),
                ...ofType(resources, "aws:eks/nodeGroup:NodeGroup"),
            ]) {
                assert.ok(controller.dependencies.includes(dependency.urn), `the controller must wait for ${dependency.name}`);
            }
        });

        it("creates node classes and pools after the controller and node access, and deletes them first", () => {
            const controller = ofType(resources, "kubernetes:helm.sh/v3:Release").find(
                (r) => inputs(r).name === "karpenter",
            ) as RecordedResource;
            const entry = one(resources, "aws:eks/accessEntry:AccessEntry");
            const classes = ofType(resources, "kubernetes:karpenter.k8s.aws/v1:EC2NodeClass");
            const pools = ofType(resources, "kubernetes:karpenter.sh/v1:NodePool");
            assert.deepEqual(pools.map((p) => inputs(p).metadata.name).sort(), Object.keys(settings.karpenter.pools).sort());
            for (const resource of [...classes, ...pools]) {
                assert.ok(resource.dependencies.includes(controller.urn) && resource.dependencies.includes(entry.urn), resource.name);
            }
            for (const pool of pools) assert.ok(pool.dependencies.includes(classes[0].urn), `${pool.name} waits for its node class`);
            assert.equal(inputs(classes[0]).spec.role, names.roles.karpenterNode);
        });
    });
});
