// IAM and KMS documents: least privilege, built from the ARNs the platform knows.
import * as assert from "node:assert/strict";
import {
    type PolicyDocument,
    type Scope,
    type Statement,
    CILIUM_ENI_CLUSTER_TAG,
    ciliumOperatorPolicy,
    clusterEncryptionPolicy,
    flowLogsPolicy,
    logsKeyPolicy,
    podIdentityTrustPolicy,
    secretsKeyPolicy,
    serviceTrustPolicy,
} from "../components/policies";

const scope: Scope = { partition: "aws", region: "eu-west-1", accountId: "444455556666" };
const list = (value: string | string[] | undefined): string[] => (value === undefined ? [] : Array.isArray(value) ? value : [value]);
const statementsFor = (doc: PolicyDocument, action: string): Statement[] => doc.Statement.filter((s) => list(s.Action).includes(action));

describe("IAM and KMS policy documents", () => {
    describe("Cilium operator (ENI IPAM)", () => {
        const doc = ciliumOperatorPolicy(scope, { vpcId: "vpc-0abc", cluster: "platform-prod-eu-west-1" });

        it("grants every action Cilium's ENI mode needs", () => {
            const actions = new Set(doc.Statement.flatMap((s) => list(s.Action)));
            for (const action of [
                "ec2:CreateNetworkInterface", "ec2:AttachNetworkInterface", "ec2:DeleteNetworkInterface", "ec2:ModifyNetworkInterfaceAttribute",
                "ec2:AssignPrivateIpAddresses", "ec2:UnassignPrivateIpAddresses", "ec2:CreateTags", "ec2:DescribeNetworkInterfaces",
                "ec2:DescribeSubnets", "ec2:DescribeVpcs", "ec2:DescribeSecurityGroups", "ec2:DescribeInstanceTypes",
                "ec2:DescribeRouteTables", "ec2:DescribeManagedPrefixLists", "ec2:GetManagedPrefixListEntries",
            ]) assert.ok(actions.has(action), `missing ${action}`);
        });

        it("uses no wildcard action and no unconditioned '*' resource", () => {
            for (const statement of doc.Statement) {
                assert.ok(list(statement.Action).every((a) => !a.includes("*")), `wildcard action in ${statement.Sid}`);
                if (list(statement.Resource).includes("*")) {
                    assert.deepEqual(statement.Condition, { StringEquals: { "aws:RequestedRegion": "eu-west-1" } }, `${statement.Sid} must be pinned to the region`);
                    assert.ok(list(statement.Action).every((a) => /^ec2:(Describe|Get)/.test(a)), `${statement.Sid} may only read`);
                }
            }
        });

        it("creates, attaches and deletes only ENIs tagged for this cluster, in this VPC", () => {
            const create = statementsFor(doc, "ec2:CreateNetworkInterface");
            assert.ok(create.some((s) => s.Condition?.StringEquals?.[`aws:RequestTag/${CILIUM_ENI_CLUSTER_TAG}`] === "platform-prod-eu-west-1"));
            assert.ok(create.some((s) => s.Condition?.ArnEquals?.["ec2:Vpc"] === "arn:aws:ec2:eu-west-1:444455556666:vpc/vpc-0abc"));
            for (const action of ["ec2:DeleteNetworkInterface", "ec2:ModifyNetworkInterfaceAttribute"]) {
                for (const statement of statementsFor(doc, action)) {
                    assert.equal(statement.Condition?.StringEquals?.[`aws:ResourceTag/${CILIUM_ENI_CLUSTER_TAG}`], "platform-prod-eu-west-1", action);
                }
            }
            for (const statement of statementsFor(doc, "ec2:AssignPrivateIpAddresses")) {
                assert.equal(statement.Condition?.ArnEquals?.["ec2:Vpc"], "arn:aws:ec2:eu-west-1:444455556666:vpc/vpc-0abc");
            }
            const tagging = statementsFor(doc, "ec2:CreateTags");
            assert.deepEqual(tagging.map((s) => s.Condition), [{ StringEquals: { "ec2:CreateAction": "CreateNetworkInterface" } }]);
        });

        it("keeps every resource ARN in the cluster's region and account", () => {
            for (const resource of doc.Statement.flatMap((s) => list(s.Resource)).filter((r) => r !== "*")) {
                assert.match(resource, /^arn:aws:ec2:eu-west-1:444455556666:/);
            }
        });
    });

    it("lets only EKS Pod Identity of one cluster assume a workload role", () => {
        const [statement] = podIdentityTrustPolicy(scope, "platform-prod-eu-west-1").Statement;
        assert.deepEqual(statement.Principal, { Service: "pods.eks.amazonaws.com" });
        assert.deepEqual(list(statement.Action).sort(), ["sts:AssumeRole", "sts:TagSession"]);
        assert.equal(statement.Condition?.ArnEquals?.["aws:SourceArn"], "arn:aws:eks:eu-west-1:444455556666:cluster/platform-prod-eu-west-1");
        assert.equal(statement.Condition?.StringEquals?.["aws:SourceAccount"], "444455556666");
    });

    it("limits service trust to the service and, when given, the source", () => {
        const plain = serviceTrustPolicy("ec2.amazonaws.com", scope);
        assert.deepEqual(plain.Statement[0].Principal, { Service: "ec2.amazonaws.com" });
        assert.equal(plain.Statement[0].Condition, undefined);
        const sourced = serviceTrustPolicy("vpc-flow-logs.amazonaws.com", scope, { sourceArn: "arn:aws:ec2:eu-west-1:444455556666:vpc-flow-log/*" });
        assert.equal(sourced.Statement[0].Condition?.StringEquals?.["aws:SourceAccount"], "444455556666");
    });

    it("gives the control plane exactly the envelope-encryption actions on its key", () => {
        const [statement] = clusterEncryptionPolicy("arn:aws:kms:eu-west-1:444455556666:key/k").Statement;
        assert.deepEqual(list(statement.Action).sort(), ["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:ListGrants"]);
        assert.equal(statement.Resource, "arn:aws:kms:eu-west-1:444455556666:key/k");
    });

    it("lets CloudWatch Logs use the logs key only for the named log groups", () => {
        const doc = logsKeyPolicy(scope, ["/aws/eks/c/cluster", "/platform/c/vpc-flow-logs"]);
        const logs = doc.Statement.find((s) => JSON.stringify(s.Principal).includes("logs.eu-west-1.amazonaws.com"));
        assert.ok(logs);
        assert.deepEqual(logs.Condition?.ArnEquals?.["kms:EncryptionContext:aws:logs:arn"], [
            "arn:aws:logs:eu-west-1:444455556666:log-group:/aws/eks/c/cluster",
            "arn:aws:logs:eu-west-1:444455556666:log-group:/platform/c/vpc-flow-logs",
        ]);
    });

    it("leaves the secrets key to the account's IAM policies and grants no other principal", () => {
        const doc = secretsKeyPolicy(scope);
        assert.deepEqual(doc.Statement.map((s) => s.Principal), [{ AWS: "arn:aws:iam::444455556666:root" }]);
    });

    it("lets the flow logs role write to its own log group only", () => {
        const [statement] = flowLogsPolicy(scope, "/platform/c/vpc-flow-logs").Statement;
        assert.deepEqual(list(statement.Resource), [
            "arn:aws:logs:eu-west-1:444455556666:log-group:/platform/c/vpc-flow-logs",
            "arn:aws:logs:eu-west-1:444455556666:log-group:/platform/c/vpc-flow-logs:log-stream:*",
        ]);
    });
});
