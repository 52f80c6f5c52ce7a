// IAM and KMS documents: least privilege, built from the ARNs the platform knows.
import * as assert from "node:assert/strict";
import { type PolicyDocument, type Scope, type Statement, podIdentityTrustPolicy, serviceTrustPolicy } from "../../components/shared/iam";
import { CILIUM_ENI_CLUSTER_TAG, ciliumOperatorPolicy } from "../../components/addons/cilium/policies";
import { clusterEncryptionPolicy } from "../../components/eks/policies";
import { externalSecretsPolicy } from "../../components/addons/external-secrets/policies";
import { flowLogsPolicy } from "../../components/network/policies";
import { interruptionQueuePolicy, karpenterControllerPolicies } from "../../components/addons/karpenter/policies";
import { logsKeyPolicy, secretsKeyPolicy } from "../../components/security/policies";
import { replicationPolicy, veleroPolicy } from "../../components/backups/policies";
import { tlsOnlyBucketPolicy } from "../../components/shared/bucket";

const scope: Scope = { partition: "aws", region: "eu-west-1", accountId: "444455556666" };
const list = (value: string | string[] | undefined): string[] => (value === undefined ? [] : Array.isArray(value) ? value : [value]);
const statementsFor = (doc: PolicyDocument, action: string): Statement[] => doc.Statement.filter((s) => list(s.Action).includes(action));

describe("IAM and KMS policy documents", () => {
    describe("Cilium operator (ENI IPAM)", () => {
        const doc = ciliumOperatorPolicy(scope, { vpcId: "vpc-0abc", cluster: "platform-prod-eu-west-1" });

        it("grants every action Cilium's ENI mode needs", () => {
            const actions = new Set(doc.Statement.flatMap((s) => list(s.Action)));
            for (const action of [
                "ec2:CreateNetworkInterface",
                "ec2:AttachNetworkInterface",
                "ec2:DeleteNetworkInterface",
                "ec2:ModifyNetworkInterfaceAttribute",
                "ec2:AssignPrivateIpAddresses",
                "ec2:UnassignPrivateIpAddresses",
                "ec2:CreateTags",
                "ec2:DescribeNetworkInterfaces",
                "ec2:DescribeSubnets",
                "ec2:DescribeVpcs",
                "ec2:DescribeSecurityGroups",
                "ec2:DescribeInstanceTypes",
                "ec2:DescribeRouteTables",
                "ec2:DescribeManagedPrefixLists",
                "ec2:GetManagedPrefixListEntries",
            ])
                assert.ok(actions.has(action), `missing ${action}`);
        });

        it("uses no wildcard action and no unconditioned '*' resource", () => {
            for (const statement of doc.Statement) {
                assert.ok(
                    list(statement.Action).every((a) => !a.includes("*")),
                    `wildcard action in ${statement.Sid}`,
                );
                if (list(statement.Resource).includes("*")) {
                    assert.deepEqual(
                        statement.Condition,
                        { StringEquals: { "aws:RequestedRegion": "eu-west-1" } },
                        `${statement.Sid} must be pinned to the region`,
                    );
                    assert.ok(
                        list(statement.Action).every((a) => /^ec2:(Describe|Get)/.test(a)),
                        `${statement.Sid} may only read`,
                    );
                }
            }
        });

        it("creates, attaches and deletes only ENIs tagged for this cluster, in this VPC", () => {
            const create = statementsFor(doc, "ec2:CreateNetworkInterface");
            assert.ok(
                create.some((s) => s.Condition?.StringEquals?.[`aws:RequestTag/${CILIUM_ENI_CLUSTER_TAG}`] === "platform-prod-eu-west-1"),
            );
            assert.ok(create.some((s) => s.Condition?.ArnEquals?.["ec2:Vpc"] === "arn:aws:ec2:eu-west-1:444455556666:vpc/vpc-0abc"));
            for (const action of ["ec2:DeleteNetworkInterface", "ec2:ModifyNetworkInterfaceAttribute"]) {
                for (const statement of statementsFor(doc, action)) {
                    assert.equal(
                        statement.Condition?.StringEquals?.[`aws:ResourceTag/${CILIUM_ENI_CLUSTER_TAG}`],
                        "platform-prod-eu-west-1",
                        action,
                    );
                }
            }
            for (const statement of statementsFor(doc, "ec2:AssignPrivateIpAddresses")) {
                assert.equal(statement.Condition?.ArnEquals?.["ec2:Vpc"], "arn:aws:ec2:eu-west-1:444455556666:vpc/vpc-0abc");
            }
            const tagging = statementsFor(doc, "ec2:CreateTags");
            assert.deepEqual(
                tagging.map((s) => s.Condition),
                [{ StringEquals: { "ec2:CreateAction": "CreateNetworkInterface" } }],
            );
        });

        it("keeps every resource ARN in the cluster's region and account", () => {
            for (const resource of doc.Statement.flatMap((s) => list(s.Resource)).filter((r) => r !== "*")) {
                assert.match(resource, /^arn:aws:ec2:eu-west-1:444455556666:/);
            }
        });
    });

    describe("Karpenter controller", () => {
        const cluster = "platform-prod-eu-west-1";
        const nodeRoleArn = "arn:aws:iam::444455556666:role/platform-prod-eu-west-1-karpenter-node";
        const queueArn = "arn:aws:sqs:eu-west-1:444455556666:platform-prod-eu-west-1-karpenter";
        const docs = karpenterControllerPolicies(scope, { cluster, nodeRoleArn, queueArn });
        const statements = Object.values(docs).flatMap((doc) => doc.Statement);
        const granting = (action: string) => statements.filter((s) => list(s.Action).includes(action));
        const owned = `aws:ResourceTag/kubernetes.io/cluster/${cluster}`;

        it("grants the actions of Karpenter's reference template, and no others", () => {
            const actions = new Set(statements.flatMap((s) => list(s.Action)));
            assert.deepEqual([...actions].sort(), [
                "ec2:CreateFleet",
                "ec2:CreateLaunchTemplate",
                "ec2:CreateTags",
                "ec2:DeleteLaunchTemplate",
                "ec2:DescribeCapacityReservations",
                "ec2:DescribeImages",
                "ec2:DescribeInstanceStatus",
                "ec2:DescribeInstanceTypeOfferings",
                "ec2:DescribeInstanceTypes",
                "ec2:DescribeInstances",
                "ec2:DescribeLaunchTemplates",
                "ec2:DescribePlacementGroups",
                "ec2:DescribeSecurityGroups",
                "ec2:DescribeSpotPriceHistory",
                "ec2:DescribeSubnets",
                "ec2:RunInstances",
                "ec2:TerminateInstances",
                "eks:DescribeCluster",
                "iam:AddRoleToInstanceProfile",
                "iam:CreateInstanceProfile",
                "iam:DeleteInstanceProfile",
                "iam:GetInstanceProfile",
                "iam:ListInstanceProfiles",
                "iam:PassRole",
                "iam:RemoveRoleFromInstanceProfile",
                "iam:TagInstanceProfile",
                "pricing:GetProducts",
                "sqs:DeleteMessage",
                "sqs:GetQueueUrl",
                "sqs:ReceiveMessage",
                "ssm:GetParameter",
            ]);
        });

        it("terminates and deletes only what this cluster's Karpenter launched", () => {
            for (const statement of [...granting("ec2:TerminateInstances"), ...granting("ec2:DeleteLaunchTemplate")]) {
                assert.equal(statement.Condition?.StringEquals?.[owned], "owned");
                assert.equal(statement.Condition?.StringLike?.["aws:ResourceTag/karpenter.sh/nodepool"], "*");
            }
        });

        it("launches only with this cluster's ownership tags on what it creates", () => {
            const tagged = granting("ec2:RunInstances").filter((s) => list(s.Resource).some((r) => r.endsWith(":instance/*")));
            assert.ok(tagged.length > 0);
            for (const statement of tagged) {
                assert.equal(statement.Condition?.StringEquals?.[`aws:RequestTag/kubernetes.io/cluster/${cluster}`], "owned");
                assert.equal(statement.Condition?.StringEquals?.["aws:RequestTag/eks:eks-cluster-name"], cluster);
            }
        });

        it("passes only the node role, only to EC2", () => {
            const [pass] = granting("iam:PassRole");
            assert.equal(pass.Resource, nodeRoleArn);
            assert.deepEqual(pass.Condition, { StringEquals: { "iam:PassedToService": "ec2.amazonaws.com" } });
        });

        it("reads only its own queue and describes only its own cluster", () => {
            for (const action of ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueUrl"])
                assert.deepEqual(
                    granting(action).map((s) => s.Resource),
                    [queueArn],
                );
            assert.deepEqual(
                granting("eks:DescribeCluster").map((s) => s.Resource),
                ["arn:aws:eks:eu-west-1:444455556666:cluster/platform-prod-eu-west-1"],
            );
        });

        it("uses '*' only for reads AWS cannot scope, and pins EC2 reads to the region", () => {
            for (const statement of statements.filter((s) => list(s.Resource).includes("*"))) {
                const actions = list(statement.Action);
                assert.ok(
                    actions.every((a) => /^(ec2:Describe|pricing:GetProducts$|iam:ListInstanceProfiles$)/.test(a)),
                    `${statement.Sid} writes with "*"`,
                );
                if (actions.some((a) => a.startsWith("ec2:")))
                    assert.equal(statement.Condition?.StringEquals?.["aws:RequestedRegion"], "eu-west-1");
            }
            for (const resource of statements.flatMap((s) => list(s.Resource)).filter((r) => r.startsWith("arn:aws:ec2"))) {
                assert.match(resource, /^arn:aws:ec2:eu-west-1:(444455556666)?:/, resource);
            }
        });

        it("fits IAM's inline policy quota of 10,240 characters per role", () => {
            const size = Object.values(docs).reduce((total, doc) => total + JSON.stringify(doc).length, 0);
            assert.ok(size < 10240, `${size} characters`);
        });
    });

    it("lets only the cluster's EventBridge rules send to the interruption queue, over TLS only", () => {
        const rules = ["arn:aws:events:eu-west-1:444455556666:rule/a", "arn:aws:events:eu-west-1:444455556666:rule/b"];
        const doc = interruptionQueuePolicy("arn:aws:sqs:eu-west-1:444455556666:q", rules);
        const allow = doc.Statement.filter((s) => s.Effect === "Allow");
        assert.equal(allow.length, 1);
        assert.deepEqual(allow[0].Principal, { Service: "events.amazonaws.com" });
        assert.deepEqual(allow[0].Condition?.ArnEquals?.["aws:SourceArn"], rules);
        const deny = doc.Statement.find((s) => s.Effect === "Deny");
        assert.deepEqual(deny?.Condition, { Bool: { "aws:SecureTransport": "false" } });
    });

    it("lets External Secrets read only the environment's secrets, and decrypt only through Secrets Manager", () => {
        const plain = externalSecretsPolicy(scope, { prefix: "prod/" });
        assert.deepEqual(
            plain.Statement.map((s) => s.Resource),
            ["arn:aws:secretsmanager:eu-west-1:444455556666:secret:prod/*"],
        );
        assert.ok(
            plain.Statement.every((s) =>
                list(s.Action).every((a) => !["secretsmanager:ListSecrets", "secretsmanager:BatchGetSecretValue"].includes(a)),
            ),
            "no read on *",
        );
        const withKey = externalSecretsPolicy(scope, { prefix: "prod/", kmsKeyArn: "arn:aws:kms:eu-west-1:444455556666:key/k" });
        const decrypt = withKey.Statement.find((s) => list(s.Action).includes("kms:Decrypt"));
        assert.equal(decrypt?.Resource, "arn:aws:kms:eu-west-1:444455556666:key/k");
        assert.deepEqual(decrypt?.Condition, { StringEquals: { "kms:ViaService": "secretsmanager.eu-west-1.amazonaws.com" } });
        assert.ok(withKey.Statement.flatMap((s) => list(s.Resource)).every((r) => r !== "*"));
    });

    describe("backups", () => {
        const velero = veleroPolicy(scope, { bucket: "b-1", keyArn: "arn:aws:kms:eu-west-1:444455556666:key/b", snapshots: true });
        const grants = (action: string) => velero.Statement.filter((s) => list(s.Action).includes(action));

        it("limits Velero to its bucket and its key through S3", () => {
            assert.deepEqual(
                grants("s3:PutObject").map((s) => s.Resource),
                ["arn:aws:s3:::b-1/*"],
            );
            assert.deepEqual(
                grants("s3:ListBucket").map((s) => s.Resource),
                ["arn:aws:s3:::b-1"],
            );
            const [kms] = grants("kms:GenerateDataKey");
            assert.equal(kms.Resource, "arn:aws:kms:eu-west-1:444455556666:key/b");
            assert.deepEqual(kms.Condition, { StringEquals: { "kms:ViaService": "s3.eu-west-1.amazonaws.com" } });
        });

        it("deletes only snapshots Velero tagged, creates only tagged ones, describes only in its region", () => {
            for (const statement of grants("ec2:DeleteSnapshot"))
                assert.deepEqual(statement.Condition, { StringLike: { "ec2:ResourceTag/velero.io/backup": "*" } });
            assert.ok(grants("ec2:CreateSnapshot").some((s) => s.Condition?.StringLike?.["aws:RequestTag/velero.io/backup"] === "*"));
            for (const statement of velero.Statement.filter((s) => list(s.Resource).includes("*"))) {
                assert.ok(list(statement.Action).every((a) => a.startsWith("ec2:Describe")));
                assert.equal(statement.Condition?.StringEquals?.["aws:RequestedRegion"], "eu-west-1");
            }
            assert.ok(velero.Statement.flatMap((s) => list(s.Action)).every((a) => !a.includes("*")));
        });

        it("grants no EC2 snapshot rights when volumes are copied by the node agent", () => {
            const files = veleroPolicy(scope, { bucket: "b-1", keyArn: "k", snapshots: false });
            assert.ok(files.Statement.flatMap((s) => list(s.Action)).every((a) => !a.startsWith("ec2:")));
        });

        it("denies every request to a backup bucket without TLS", () => {
            const [deny] = tlsOnlyBucketPolicy("b-1").Statement;
            assert.equal(deny.Effect, "Deny");
            assert.deepEqual(deny.Resource, ["arn:aws:s3:::b-1", "arn:aws:s3:::b-1/*"]);
            assert.deepEqual(deny.Condition, { Bool: { "aws:SecureTransport": "false" } });
        });

        it("replicates from one bucket to the other only, re-encrypting with the destination's key", () => {
            const doc = replicationPolicy({
                partition: "aws",
                source: { bucket: "src", keyArn: "arn:aws:kms:us-east-1:1:key/s", region: "us-east-1" },
                destination: { bucket: "dst", keyArn: "arn:aws:kms:eu-west-1:1:key/d", region: "eu-west-1" },
            });
            const by = (action: string) => doc.Statement.find((s) => list(s.Action).includes(action));
            assert.equal(by("s3:ReplicateObject")?.Resource, "arn:aws:s3:::dst/*");
            assert.equal(by("s3:GetObjectVersionForReplication")?.Resource, "arn:aws:s3:::src/*");
            assert.deepEqual(by("kms:Decrypt")?.Condition, { StringEquals: { "kms:ViaService": "s3.us-east-1.amazonaws.com" } });
            assert.equal(by("kms:Encrypt")?.Resource, "arn:aws:kms:eu-west-1:1:key/d");
        });
    });

    it("lets only EKS Pod Identity of one cluster assume a workload role", () => {
        const [statement] = podIdentityTrustPolicy(scope, "platform-prod-eu-west-1").Statement;
        assert.deepEqual(statement.Principal, { Service: "pods.eks.amazonaws.com" });
        assert.deepEqual(list(statement.Action).sort(), ["sts:AssumeRole", "sts:TagSession"]);
        assert.equal(
            statement.Condition?.ArnEquals?.["aws:SourceArn"],
            "arn:aws:eks:eu-west-1:444455556666:cluster/platform-prod-eu-west-1",
        );
        assert.equal(statement.Condition?.StringEquals?.["aws:SourceAccount"], "444455556666");
    });

    it("limits service trust to the service and, when given, the source", () => {
        const plain = serviceTrustPolicy("ec2.amazonaws.com", scope);
        assert.deepEqual(plain.Statement[0].Principal, { Service: "ec2.amazonaws.com" });
        assert.equal(plain.Statement[0].Condition, undefined);
        const sourced = serviceTrustPolicy("vpc-flow-logs.amazonaws.com", scope, {
            sourceArn: "arn:aws:ec2:eu-west-1:444455556666:vpc-flow-log/*",
        });
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
        assert.deepEqual(
            doc.Statement.map((s) => s.Principal),
            [{ AWS: "arn:aws:iam::444455556666:root" }],
        );
    });

    it("lets the flow logs role write to its own log group only", () => {
        const [statement] = flowLogsPolicy(scope, "/platform/c/vpc-flow-logs").Statement;
        assert.deepEqual(list(statement.Resource), [
            "arn:aws:logs:eu-west-1:444455556666:log-group:/platform/c/vpc-flow-logs",
            "arn:aws:logs:eu-west-1:444455556666:log-group:/platform/c/vpc-flow-logs:log-stream:*",
        ]);
    });
});
