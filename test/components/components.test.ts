// Each component alone, under the offline mocks, with hand-written arguments: what it passes to
// AWS, Kubernetes and @pulumi/eks.
import * as assert from "node:assert/strict";
import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { CoreAddons } from "../../components/addons/core/core-addons";
import { Cilium } from "../../components/addons/cilium/cilium";
import { Cluster } from "../../components/eks/cluster";
import { ArgoCD } from "../../components/addons/argocd/argocd";
import { BackupReplication } from "../../components/backups/backup-replication";
import { Backups } from "../../components/backups/backups";
import { Encryption } from "../../components/security/encryption";
import { ExternalSecrets } from "../../components/addons/external-secrets/external-secrets";
import { Karpenter } from "../../components/addons/karpenter/karpenter";
import { Kyverno } from "../../components/addons/kyverno/kyverno";
import { Monitoring } from "../../components/observability/monitoring";
import { Network } from "../../components/network/network";
import { NodeGroups } from "../../components/eks/nodegroups";
import { NodePools } from "../../components/addons/karpenter/nodepools";
import type { Scope } from "../../components/shared/iam";
import { RestoreDrill } from "../../components/backups/restore-drill";
import { resolveStackConfig } from "../../stacks/config/config";
import { subnetLayout } from "../../stacks/config/layout";
import { physicalNames } from "../../stacks/config/names";
import { OFFLINE_ACCOUNT } from "../../stacks/plan/mocks";
import type { RecordedResource } from "../../stacks/plan/resources";
import { run } from "../../stacks/plan/offline";
import { COMPONENT_INPUT, ofType, one, rawConfig, settingsOf } from "../fixtures";

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- recorded inputs are free-form JSON
type Inputs = Record<string, any>;
const inputs = (r: RecordedResource) => r.inputs as Inputs;
const scope: Scope = { partition: "aws", region: "eu-west-1", accountId: OFFLINE_ACCOUNT };
const tags = { environment: "test", region: "eu-west-1", owner: "team", "managed-by": "pulumi" };
const names = physicalNames("platform-test-eu-west-1");
const settings = resolveStackConfig(rawConfig(settingsOf("prod")));

/** A control plane for components that build on one. */
function testCluster(provider: aws.Provider): Cluster {
    return new Cluster(
        "c",
        {
            name: names.cluster,
            region: "eu-west-1",
            roleName: names.roles.cluster,
            controlPlaneLogGroup: names.controlPlaneLogGroup,
            version: "1.35",
            settings: settings.cluster,
            serviceCidr: "172.30.0.0/16",
            vpcId: "vpc-0abc",
            privateSubnetIds: ["subnet-a", "subnet-b"],
            secretsKeyArn: `arn:aws:kms:eu-west-1:${OFFLINE_ACCOUNT}:key/s`,
            logsKeyArn: `arn:aws:kms:eu-west-1:${OFFLINE_ACCOUNT}:key/l`,
            podIdentityAgentVersion: "v1.3.10-eksbuild.3",
            scope,
            tags,
            protect: false,
        },
        { providers: { aws: provider } },
    );
}

/** Evaluates `build` with an explicit AWS provider for eu-west-1 and a Kubernetes provider. */
async function evaluateComponent(build: (providers: { aws: aws.Provider; k8s: k8s.Provider }) => void): Promise<RecordedResource[]> {
    const evaluation = await run("test", COMPONENT_INPUT, () => {
        build({
            aws: new aws.Provider("eu-west-1", { region: "eu-west-1" }),
            k8s: new k8s.Provider("k8s", { kubeconfig: "{}" }),
        });
        return {};
    });
    return evaluation.resources;
}

describe("components", () => {
    describe("Network", () => {
        const build = (natGateways: "perAz" | "single") =>
            evaluateComponent((p) => {
                new Network(
                    "net",
                    {
                        cluster: names.cluster,
                        vpcCidr: "10.40.0.0/16",
                        subnets: subnetLayout("10.40.0.0/16", 3),
                        natGateways,
                        flowLogGroup: names.flowLogGroup,
                        flowLogsRoleName: names.roles.flowLogs,
                        flowLogRetentionDays: 90,
                        logsKeyArn: "arn:aws:kms:eu-west-1:444455556666:key/logs",
                        scope,
                        tags,
                        protect: true,
                    },
                    { providers: { aws: p.aws } },
                );
            });

        it("builds a VPC with DNS, tagged private and public subnets and no public addresses", async () => {
            const resources = await build("perAz");
            const vpc = inputs(one(resources, "aws:ec2/vpc:Vpc"));
            assert.equal(vpc.enableDnsSupport, true);
            assert.equal(vpc.enableDnsHostnames, true);
            const subnets = ofType(resources, "aws:ec2/subnet:Subnet").map(inputs);
            const privateOnes = subnets.filter((s) => s.tags["platform/subnet"] === "private");
            const publicOnes = subnets.filter((s) => s.tags["platform/subnet"] === "public");
            assert.deepEqual(
                privateOnes.map((s) => s.cidrBlock),
                subnetLayout("10.40.0.0/16", 3).private,
            );
            assert.ok(
                privateOnes.every(
                    (s) => s.tags["kubernetes.io/role/internal-elb"] === "1" && s.tags["karpenter.sh/discovery"] === names.cluster,
                ),
            );
            assert.ok(publicOnes.every((s) => s.tags["kubernetes.io/role/elb"] === "1"));
            assert.ok(subnets.every((s) => s.mapPublicIpOnLaunch === false));
            assert.deepEqual(new Set(privateOnes.map((s) => s.availabilityZone)).size, 3, "one private subnet per zone");
        });

        it("puts one NAT gateway per zone, or one for all, as asked", async () => {
            assert.equal(ofType(await build("perAz"), "aws:ec2/natGateway:NatGateway").length, 3);
            const single = await build("single");
            assert.equal(ofType(single, "aws:ec2/natGateway:NatGateway").length, 1);
            const routes = ofType(single, "aws:ec2/routeTable:RouteTable")
                .map(inputs)
                .filter((t) => t.routes[0].natGatewayId);
            assert.equal(routes.length, 3, "every zone still routes through the NAT gateway");
        });

        it("logs all traffic to an encrypted, retained, protected log group and locks the default security group", async () => {
            const resources = await build("perAz");
            const flowLog = inputs(one(resources, "aws:ec2/flowLog:FlowLog"));
            assert.equal(flowLog.trafficType, "ALL");
            assert.equal(flowLog.logDestinationType, "cloud-watch-logs");
            const group = one(resources, "aws:cloudwatch/logGroup:LogGroup");
            assert.equal(inputs(group).name, names.flowLogGroup);
            assert.equal(inputs(group).retentionInDays, 90);
            assert.equal(inputs(group).kmsKeyId, "arn:aws:kms:eu-west-1:444455556666:key/logs");
            assert.equal(group.protect, true);
            const defaultSg = inputs(one(resources, "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup"));
            assert.equal(defaultSg.ingress, undefined);
            assert.equal(defaultSg.egress, undefined);
            const endpoint = inputs(one(resources, "aws:ec2/vpcEndpoint:VpcEndpoint"));
            assert.equal(endpoint.serviceName, "com.amazonaws.eu-west-1.s3");
            assert.equal(endpoint.routeTableIds.length, 3);
        });
    });

    describe("Encryption", () => {
        it("creates rotating, protected keys whose policies name this account and log groups", async () => {
            const resources = await evaluateComponent((p) => {
                new Encryption(
                    "keys",
                    {
                        scope,
                        secretsKeyAlias: names.secretsKeyAlias,
                        logsKeyAlias: names.logsKeyAlias,
                        logGroups: [names.controlPlaneLogGroup],
                        tags,
                        protect: true,
                    },
                    { providers: { aws: p.aws } },
                );
            });
            const keys = ofType(resources, "aws:kms/key:Key");
            assert.equal(keys.length, 2);
            for (const key of keys) {
                assert.equal(inputs(key).enableKeyRotation, true);
                assert.equal(inputs(key).deletionWindowInDays, 30);
                assert.equal(key.protect, true);
                assert.match(inputs(key).policy, new RegExp(`arn:aws:iam::${OFFLINE_ACCOUNT}:root`));
            }
            assert.deepEqual(
                ofType(resources, "aws:kms/alias:Alias")
                    .map((a) => inputs(a).name)
                    .sort(),
                [names.logsKeyAlias, names.secretsKeyAlias].sort(),
            );
        });
    });

    describe("Cluster", () => {
        const build = (endpoint: { public: false } | { public: true; allowedCidrs: string[] }) =>
            evaluateComponent((p) => {
                new Cluster(
                    "c",
                    {
                        name: names.cluster,
                        region: "eu-west-1",
                        roleName: names.roles.cluster,
                        controlPlaneLogGroup: names.controlPlaneLogGroup,
                        version: "1.35",
                        settings: { ...settings.cluster, endpoint },
                        serviceCidr: "172.30.0.0/16",
                        vpcId: "vpc-0abc",
                        privateSubnetIds: ["subnet-a", "subnet-b"],
                        secretsKeyArn: "arn:aws:kms:eu-west-1:444455556666:key/secrets",
                        logsKeyArn: "arn:aws:kms:eu-west-1:444455556666:key/logs",
                        podIdentityAgentVersion: "v1.3.10-eksbuild.3",
                        scope,
                        tags,
                        protect: false,
                    },
                    { providers: { aws: p.aws } },
                );
            });

        it("passes a private, encrypted, fully logged control plane without self-managed add-ons to @pulumi/eks", async () => {
            const resources = await build({ public: false });
            const cluster = inputs(one(resources, "eks:index:Cluster"));
            assert.equal(cluster.endpointPublicAccess, false);
            assert.equal(cluster.publicAccessCidrs, undefined);
            assert.equal(cluster.encryptionConfigKeyArn, "arn:aws:kms:eu-west-1:444455556666:key/secrets");
            assert.deepEqual(cluster.privateSubnetIds, ["subnet-a", "subnet-b"]);
            assert.equal(cluster.useDefaultVpcCni, true);
            assert.equal(cluster.createOidcProvider, false);
            assert.deepEqual(cluster.upgradePolicy, { supportType: settings.cluster.supportType });
        });

        it("opens the public endpoint only to the allowlist it is given", async () => {
            const cluster = inputs(one(await build({ public: true, allowedCidrs: ["203.0.113.0/24"] }), "eks:index:Cluster"));
            assert.equal(cluster.endpointPublicAccess, true);
            assert.deepEqual(cluster.publicAccessCidrs, ["203.0.113.0/24"]);
        });

        it("gives the control plane role the EKS policy and its key, and installs the Pod Identity agent", async () => {
            const resources = await build({ public: false });
            const role = inputs(one(resources, "aws:iam/role:Role"));
            assert.equal(role.name, names.roles.cluster);
            assert.deepEqual(JSON.parse(role.assumeRolePolicy).Statement[0].Principal, { Service: "eks.amazonaws.com" });
            assert.match(inputs(one(resources, "aws:iam/rolePolicyAttachment:RolePolicyAttachment")).policyArn, /AmazonEKSClusterPolicy$/);
            assert.match(inputs(one(resources, "aws:iam/rolePolicy:RolePolicy")).policy, /key\/secrets/);
            const agent = inputs(one(resources, "aws:eks/addon:Addon"));
            assert.deepEqual(
                [agent.addonName, agent.addonVersion, agent.clusterName],
                ["eks-pod-identity-agent", "v1.3.10-eksbuild.3", names.cluster],
            );
            assert.equal(ofType(resources, "pulumi:providers:kubernetes", "c-k8s").length, 1);
        });
    });

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
            const groups = ofType(resources, "eks:index:ManagedNodeGroup").map(inputs);
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
                ...ofType(resources, "eks:index:ManagedNodeGroup"),
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

    describe("ExternalSecrets, Kyverno and ArgoCD on one cluster", () => {
        let resources: RecordedResource[];
        before(async () => {
            resources = await evaluateComponent((p) => {
                const cluster = testCluster(p.aws);
                const eso = new ExternalSecrets(
                    "eso",
                    {
                        cluster: cluster.handle,
                        chartVersion: "2.9.0",
                        roleName: names.roles.externalSecrets,
                        prefix: "prod/",
                        allowedNamespaces: ["team-a"],
                        allowedNamespacePatterns: [],
                        highAvailability: true,
                        dependsOn: [],
                    },
                    { providers: { aws: p.aws } },
                );
                new Kyverno(
                    "kyverno",
                    {
                        cluster: cluster.handle,
                        chartVersion: "3.9.0",
                        settings: settings.policies,
                        excludedNamespaces: ["kube-system"],
                        highAvailability: true,
                        dependsOn: [],
                    },
                    { providers: { aws: p.aws } },
                );
                new ArgoCD(
                    "argocd",
                    {
                        cluster: cluster.handle,
                        chartVersion: "10.1.1",
                        settings: settings.gitops,
                        path: "clusters/prod/eu-west-1",
                        environment: "prod",
                        highAvailability: true,
                        addons: {
                            "external-secrets": { namespace: "external-secrets", serviceAccount: "external-secrets", roleArn: eso.roleArn },
                        },
                        secretStore: eso.ready,
                        dependsOn: [],
                    },
                    { providers: { aws: p.aws } },
                );
            });
        });
        const release = (name: string) =>
            ofType(resources, "kubernetes:helm.sh/v3:Release").find((r) => inputs(r).name === name) as RecordedResource;

        it("binds External Secrets' read-only role and creates the store after the chart", () => {
            const role = ofType(resources, "aws:iam/role:Role")
                .map(inputs)
                .find((r) => r.name === names.roles.externalSecrets);
            assert.ok(role);
            const policy = JSON.parse(
                inputs(one(resources, "aws:iam/rolePolicy:RolePolicy", "eso-controller-read-environment-secrets")).policy,
            );
            assert.equal(policy.Statement[0].Resource, `arn:aws:secretsmanager:eu-west-1:${OFFLINE_ACCOUNT}:secret:prod/*`);
            const association = inputs(one(resources, "aws:eks/podIdentityAssociation:PodIdentityAssociation", "eso-controller"));
            assert.deepEqual([association.namespace, association.serviceAccount], ["external-secrets", "external-secrets"]);
            const store = one(resources, "kubernetes:external-secrets.io/v1:ClusterSecretStore");
            assert.ok(store.dependencies.includes(release("external-secrets").urn));
            assert.ok(inputs(store).spec.conditions[0].namespaces.includes("team-a"));
        });

        it("syncs Argo CD's repository and OIDC secrets from the store, and starts applications once they exist", () => {
            const store = one(resources, "kubernetes:external-secrets.io/v1:ClusterSecretStore");
            const synced = ofType(resources, "kubernetes:external-secrets.io/v1:ExternalSecret");
            assert.deepEqual(synced.map((s) => inputs(s).metadata.name).sort(), ["argocd-oidc", "gitops-repository"]);
            for (const secret of synced) {
                assert.ok(secret.dependencies.includes(store.urn));
                assert.ok(!release("argo-cd").dependencies.includes(secret.urn), "the chart reads them at run time, it need not wait");
                assert.ok(one(resources, "kubernetes:argoproj.io/v1alpha1:ApplicationSet").dependencies.includes(secret.urn));
            }
            const oidc = synced.find((s) => inputs(s).metadata.name === "argocd-oidc") as RecordedResource;
            assert.equal(inputs(oidc).spec.data[0].remoteRef.key, settings.gitops.sso?.clientSecretName);
        });

        it("bootstraps the projects and the ApplicationSet after Argo CD, deleted with the cluster", () => {
            const argo = release("argo-cd");
            for (const resource of [
                ...ofType(resources, "kubernetes:argoproj.io/v1alpha1:AppProject"),
                one(resources, "kubernetes:argoproj.io/v1alpha1:ApplicationSet"),
            ]) {
                assert.ok(resource.dependencies.includes(argo.urn), resource.name);
            }
            const clusterSecret = ofType(resources, "kubernetes:core/v1:Secret")
                .map(inputs)
                .find((s) => s.metadata.name === "in-cluster");
            assert.equal(
                clusterSecret?.metadata.annotations["platform/external-secrets.role-arn"],
                `arn:aws:iam::${OFFLINE_ACCOUNT}:role/${names.roles.externalSecrets}`,
            );
        });

        it("installs Kyverno, then the upstream pod security policies and the platform's own", () => {
            const kyverno = release("kyverno");
            assert.ok(release("kyverno-policies").dependencies.includes(kyverno.urn));
            for (const policy of [
                ...ofType(resources, "kubernetes:policies.kyverno.io/v1:ValidatingPolicy"),
                one(resources, "kubernetes:kyverno.io/v1:ClusterPolicy"),
            ]) {
                assert.ok(policy.dependencies.includes(kyverno.urn), policy.name);
            }
        });
    });

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
                new RestoreDrill(
                    "drill",
                    {
                        cluster: cluster.handle,
                        namespace: "velero",
                        schedule: "daily",
                        cron: "0 5 * * 0",
                        image: "alpine/k8s:1.35.0",
                        dependsOn: backups.ready,
                    },
                    { providers: { aws: p.aws } },
                );
                // Stands in for the secret store's readiness.
                const store = new k8s.core.v1.ConfigMap("store-ready", { metadata: { name: "store-ready" } }, { provider: p.k8s });
                new Monitoring(
                    "monitoring",
                    {
                        cluster: cluster.handle,
                        chartVersion: "88.5.3",
                        settings: settings.monitoring,
                        highAvailability: true,
                        drill: { cronjob: "restore-drill", namespace: "velero", periodHours: 168 },
                        secretStore: [store],
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
            assert.equal(
                inputs(one(resources, "kubernetes:velero.io/v1:BackupStorageLocation")).spec.objectStorage.bucket,
                names.backupBucket(OFFLINE_ACCOUNT),
            );
        });

        it("runs the drill with its own account, no retries, a deadline, and a canary to restore", () => {
            const job = inputs(one(resources, "kubernetes:batch/v1:CronJob"));
            assert.equal(job.spec.concurrencyPolicy, "Forbid");
            const spec = job.spec.jobTemplate.spec;
            assert.equal(spec.backoffLimit, 0);
            assert.ok(spec.activeDeadlineSeconds > 0);
            assert.equal(spec.template.spec.serviceAccountName, "restore-drill");
            assert.equal(spec.template.spec.securityContext.runAsNonRoot, true);
            const canary = ofType(resources, "kubernetes:core/v1:ConfigMap")
                .map(inputs)
                .find((c) => c.metadata.name === "canary");
            assert.equal(canary?.metadata.namespace, "restore-drill-canary");
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
                [settings.monitoring.pagingWebhookSecretName, settings.monitoring.chatWebhookSecretName],
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
        });
    });
});
