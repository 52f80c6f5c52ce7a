// The control plane alone, under the offline mocks.
import * as assert from "node:assert/strict";
import { ofType, one, inputs } from "../fixtures";
import { evaluateComponent, names, settings, testCluster } from "./harness";

describe("components", () => {
    describe("Cluster", () => {
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
});
