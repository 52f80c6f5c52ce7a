// The control plane alone, under the offline mocks.
import * as assert from "node:assert/strict";
import { ofType, one, inputs } from "../fixtures";
import { withoutCreatorAccessEntry } from "../../components/eks/cluster";
import { evaluateComponent, names, settings, testCluster } from "./harness";

describe("components", () => {
    describe("Cluster", () => {
        it("leaves no access entry to whoever creates it: every principal's access is the stack file's", () => {
            const props = { name: "c", accessConfig: { authenticationMode: "API", bootstrapClusterCreatorAdminPermissions: true } };
            const changed = withoutCreatorAccessEntry({
                type: "aws:eks/cluster:Cluster",
                name: "c-eksCluster",
                props,
                opts: {},
                custom: true,
            });
            assert.deepEqual((changed as { props: typeof props } | undefined)?.props.accessConfig, {
                authenticationMode: "API",
                bootstrapClusterCreatorAdminPermissions: false,
            });
            assert.equal(withoutCreatorAccessEntry({ type: "aws:iam/role:Role", name: "r", props, opts: {}, custom: true }), undefined);
        });

        it("admits the pipeline's runners to the API on 443 before its Kubernetes provider is used", async () => {
            const resources = await evaluateComponent((p) => testCluster(p.aws));
            const rules = ofType(resources, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule");
            assert.deepEqual(
                rules.map((r) => [inputs(r).referencedSecurityGroupId ?? inputs(r).cidrIpv4, inputs(r).fromPort, inputs(r).toPort]).sort(),
                [
                    ["10.20.0.0/16", 443, 443],
                    ["sg-0runner", 443, 443],
                ],
            );
            const provider = one(resources, "pulumi:providers:kubernetes", "c-k8s");
            for (const rule of rules) assert.ok(provider.dependencies.includes(rule.urn), rule.name);
        });

        const build = (endpoint: { public: false } | { public: true; allowedCidrs: string[] }) =>
            evaluateComponent((p) => {
                testCluster(p.aws, {
                    settings: { ...settings.cluster, endpoint },
                    secretsKeyArn: "arn:aws:kms:eu-west-1:444455556666:key/secrets",
                    logsKeyArn: "arn:aws:kms:eu-west-1:444455556666:key/logs",
                });
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
            const cluster = inputs(one(await build({ public: true, allowedCidrs: ["198.51.99.0/24"] }), "eks:index:Cluster"));
            assert.equal(cluster.endpointPublicAccess, true);
            assert.deepEqual(cluster.publicAccessCidrs, ["198.51.99.0/24"]);
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
});
