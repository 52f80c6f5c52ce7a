// The whole program per committed stack file: the resource tree per region, providers, the
// control plane, the order of creation and the version lock, checked against what the stack file
// says rather than against numbers copied into the test.
import { isGpuPool } from "../../stacks/config/fields/nodes";
import * as assert from "node:assert/strict";
import type { StackConfig } from "../../stacks/config/config";
import { ADDONS, CHARTS, CONTROL_PLANE_LOG_TYPES } from "../../stacks/config/catalog";
import type { RecordedResource } from "../../stacks/plan/resources";
import { STACKS, ofType, one, type Inputs, inputs } from "../fixtures";
import { PIPELINE_PREVIEW_GROUP } from "../../components/eks/pipeline-access";
import { ancestors, describeStack } from "./harness";

for (const stack of STACKS) {
    describeStack(stack, (program) => {
        it("registers one Platform per region, everything else inside one, named after its region", () => {
            const platforms = ofType(program.resources, "platform:index:Platform");
            assert.deepEqual(platforms.map((p) => p.name).sort(), program.config.regions.map((r) => r.region).sort());
            for (const resource of program.resources) {
                if (
                    resource.type === "pulumi:pulumi:Stack" ||
                    resource.type.startsWith("pulumi:providers:aws") ||
                    resource.type === "platform:index:Platform"
                )
                    continue;
                const platform = ancestors(resource, program.byUrn).find((a) => a.type === "platform:index:Platform");
                assert.ok(platform, `${resource.type} ${resource.name} is outside every Platform`);
                assert.ok(resource.name.startsWith(`${platform.name}-`), `${resource.name} is not prefixed with ${platform.name}-`);
            }
        });

        it("has no URN collisions and every parent chain ends at the stack", () => {
            const urns = program.resources.map((r) => r.urn);
            assert.equal(new Set(urns).size, urns.length);
            for (const resource of program.resources.filter((r) => r.type !== "pulumi:pulumi:Stack")) {
                const chain = ancestors(resource, program.byUrn);
                assert.equal(chain[chain.length - 1]?.type, "pulumi:pulumi:Stack", `${resource.urn} does not descend from the stack`);
            }
        });

        it("creates per region what the stack file describes", () => {
            for (const region of program.config.regions) {
                const own = program.inRegion(region.region);
                assert.equal(ofType(own, "eks:index:Cluster").length, 1);
                assert.equal(ofType(own, "aws:eks/nodeGroup:NodeGroup").length, Object.keys(program.config.nodeGroups).length);
                // The device plugin serves GPU pools only.
                const gpu = Object.values(program.config.karpenter.pools).some(isGpuPool);
                const charts = Object.entries(CHARTS)
                    .filter(([name]) => gpu || name !== "nvidia-device-plugin")
                    .flatMap(([, source]) => [...source.charts]);
                assert.deepEqual(
                    ofType(own, "kubernetes:helm.sh/v3:Release")
                        .map((r) => inputs(r).name)
                        .sort(),
                    charts.sort(),
                    "every catalogued chart, once",
                );
                assert.equal(
                    ofType(own, "aws:kms/key:Key").length,
                    5,
                    "secrets, CloudWatch logs, node volumes, backups and the log bucket",
                );
                assert.deepEqual(
                    ofType(own, "aws:eks/addon:Addon")
                        .map((a) => inputs(a).addonName)
                        .sort(),
                    [...ADDONS].sort(),
                    "every add-on of the lock, once",
                );
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
            for (const region of program.config.regions) {
                for (const resource of program.inRegion(region.region).filter((r) => r.custom && r.type.startsWith("aws:"))) {
                    assert.match(resource.provider, new RegExp(`pulumi:providers:aws::${region.region}::`), `${resource.name}`);
                }
                for (const resource of program.inRegion(region.region).filter((r) => r.custom && r.type.startsWith("kubernetes:"))) {
                    assert.match(
                        resource.provider,
                        new RegExp(`pulumi:providers:kubernetes::${region.region}-cluster-k8s::`),
                        `${resource.name}`,
                    );
                }
            }
        });

        it("configures each control plane as the stack file says, with nothing to bootstrap", () => {
            for (const region of program.config.regions) {
                const cluster = inputs(one(program.inRegion(region.region), "eks:index:Cluster"));
                assert.equal(cluster.name, region.names.cluster);
                assert.equal(cluster.version, program.config.versions.kubernetes);
                assert.equal(cluster.authenticationMode, "API");
                assert.equal(cluster.endpointPrivateAccess, true);
                assert.equal(cluster.endpointPublicAccess, program.config.cluster.endpoint.public);
                assert.deepEqual(cluster.enabledClusterLogTypes, [...CONTROL_PLANE_LOG_TYPES]);
                assert.match(cluster.encryptionConfigKeyArn, /^arn:aws:kms:/);
                assert.equal(cluster.deletionProtection, program.config.cluster.deletionProtection);
                assert.equal(cluster.kubernetesServiceIpAddressRange, region.serviceCidr);
                assert.equal(cluster.bootstrapSelfManagedAddons, false);
                assert.equal(cluster.kubeProxyAddonOptions.enabled, false);
                assert.equal(cluster.corednsAddonOptions.enabled, false);
                assert.equal(cluster.skipDefaultNodeGroup, true);
                const access = program.config.cluster.access;
                for (const entry of Object.values(cluster.accessEntries as Inputs)) {
                    // Only the preview role is in a group, the platform's own; none is in system:masters.
                    const groups = entry.principalArn === access.previewRole ? [PIPELINE_PREVIEW_GROUP] : [];
                    assert.deepEqual(entry.kubernetesGroups ?? [], groups, `${entry.principalArn}: Kubernetes groups`);
                }
                const pipeline = [access.deployRole, access.previewRole].filter((arn) => arn !== undefined);
                assert.equal(pipeline.length, 2, "the stack file names the pipeline's deploy and preview roles");
                const teamRoles = Object.values(program.config.teams).flatMap((team) => [...team.members, ...team.viewers]);
                assert.equal(
                    Object.keys(cluster.accessEntries).length,
                    access.admins.length + access.viewers.length + pipeline.length + teamRoles.length,
                );
                const policyOf = (arn: string | undefined) =>
                    Object.values(cluster.accessEntries as Inputs)
                        .filter((entry) => entry.principalArn === arn)
                        .flatMap((entry) => Object.values(entry.accessPolicies as Inputs).map((p) => p.policyArn.split("/").pop()));
                assert.deepEqual(policyOf(access.deployRole), ["AmazonEKSClusterAdminPolicy"]);
                assert.deepEqual(policyOf(access.previewRole), ["AmazonEKSViewPolicy"]);
            }
        });

        it("creates the log group before the control plane that writes to it", () => {
            for (const region of program.config.regions) {
                const own = program.inRegion(region.region);
                const logGroup = ofType(own, "aws:cloudwatch/logGroup:LogGroup").find(
                    (r) => inputs(r).name === region.names.controlPlaneLogGroup,
                );
                assert.ok(logGroup);
                assert.ok(one(own, "eks:index:Cluster").dependencies.includes(logGroup.urn));
                assert.equal(inputs(logGroup).retentionInDays, program.config.cluster.logRetentionDays);
                assert.ok(inputs(logGroup).kmsKeyId);
            }
        });

        it("installs Cilium and the Pod Identity agent before the node groups, which would never become Ready without them", () => {
            for (const region of program.config.regions) {
                const own = program.inRegion(region.region);
                const release = ofType(own, "kubernetes:helm.sh/v3:Release").find((r) => inputs(r).name === "cilium") as RecordedResource;
                const groups = ofType(own, "aws:eks/nodeGroup:NodeGroup");
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
            for (const region of program.config.regions) {
                const own = program.inRegion(region.region);
                const groups = ofType(own, "aws:eks/nodeGroup:NodeGroup");
                const system = groups.find((g) => inputs(g).nodeGroupName === region.names.nodeGroups.system) as RecordedResource;
                const addons = [
                    ...ofType(own, "aws:eks/addon:Addon").filter((a) => ["coredns", "aws-ebs-csi-driver"].includes(inputs(a).addonName)),
                    ...ofType(own, "kubernetes:helm.sh/v3:Release").filter(
                        // Cilium comes before the nodes; CRD and policy charts run nothing; the device plugin runs on GPU nodes only.
                        (r) =>
                            !["cilium", "prometheus-operator-crds", "karpenter-crd", "kyverno-policies", "nvidia-device-plugin"].includes(
                                inputs(r).name,
                            ),
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
            for (const release of ofType(program.resources, "kubernetes:helm.sh/v3:Release")) {
                const [lock] =
                    Object.entries(CHARTS).find(([, source]) => (source.charts as readonly string[]).includes(inputs(release).name)) ?? [];
                assert.ok(lock, `release ${inputs(release).name} has no entry in the chart catalog`);
                assert.equal(inputs(release).version, program.config.versions.charts[lock as keyof typeof CHARTS]);
                assert.match(inputs(release).version, /^v?\d+\.\d+\.\d+$/);
            }
            for (const addon of ofType(program.resources, "aws:eks/addon:Addon")) {
                const name = inputs(addon).addonName as keyof StackConfig["versions"]["addons"];
                assert.equal(inputs(addon).addonVersion, program.config.versions.addons[name]);
            }
            for (const group of ofType(program.resources, "aws:eks/nodeGroup:NodeGroup")) {
                assert.equal(inputs(group).releaseVersion, program.config.versions.nodeAmiRelease);
                assert.equal(inputs(group).version, program.config.versions.kubernetes);
            }
        });
    });
}
