// Encryption alone, under the offline mocks.
import * as assert from "node:assert/strict";
import { Encryption } from "../../components/security/encryption";
import { volumesKeyPolicy } from "../../components/security/policies";
import { OFFLINE_ACCOUNT } from "../../stacks/plan/mocks";
import { ofType, inputs } from "../fixtures";
import { evaluateComponent, names, scope, tags } from "./harness";

describe("components", () => {
    describe("Encryption", () => {
        it("creates rotating, protected keys whose policies name this account and log groups", async () => {
            const resources = await evaluateComponent((p) => {
                new Encryption(
                    "keys",
                    {
                        scope,
                        secretsKeyAlias: names.secretsKeyAlias,
                        logsKeyAlias: names.logsKeyAlias,
                        volumesKeyAlias: names.volumesKeyAlias,
                        karpenterControllerRole: names.roles.karpenter,
                        logGroups: [names.controlPlaneLogGroup],
                        tags,
                        protect: true,
                    },
                    { providers: { aws: p.aws } },
                );
            });
            const keys = ofType(resources, "aws:kms/key:Key");
            assert.equal(keys.length, 3);
            for (const key of keys) {
                assert.equal(inputs(key).enableKeyRotation, true);
                assert.equal(inputs(key).deletionWindowInDays, 30);
                assert.deepEqual([key.protect, key.retainOnDelete], [true, true]);
                assert.match(inputs(key).policy, new RegExp(`arn:aws:iam::${OFFLINE_ACCOUNT}:root`));
            }
            assert.deepEqual(
                ofType(resources, "aws:kms/alias:Alias")
                    .map((a) => inputs(a).name)
                    .sort(),
                [names.logsKeyAlias, names.secretsKeyAlias, names.volumesKeyAlias].sort(),
            );
        });

        it("lets both node launchers use the volumes key through EC2, and nobody else beyond the account's IAM", () => {
            const policy = volumesKeyPolicy(scope, names.roles.karpenter);
            const byPrincipal = (arn: string) =>
                policy.Statement.filter((s) => JSON.stringify(s.Condition ?? {}).includes(arn)).flatMap((s) => [s.Action].flat());
            const autoScaling = `arn:aws:iam::${scope.accountId}:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling`;
            const karpenter = `arn:aws:iam::${scope.accountId}:role/${names.roles.karpenter}`;
            for (const arn of [autoScaling, karpenter]) {
                for (const action of ["kms:GenerateDataKey*", "kms:Decrypt", "kms:CreateGrant", "kms:DescribeKey"])
                    assert.ok(byPrincipal(arn).includes(action), `${arn}: ${action}`);
            }
            // Auto Scaling's grants only for AWS resources; Karpenter's use only through EC2.
            const grant = policy.Statement.find((s) => s.Sid === "AutoScalingAttachesVolumes");
            assert.deepEqual(grant?.Condition?.Bool, { "kms:GrantIsForAWSResource": "true" });
            const karpenterStatement = policy.Statement.find((s) => JSON.stringify(s.Condition ?? {}).includes(karpenter));
            assert.equal(karpenterStatement?.Condition?.StringEquals["kms:ViaService"], `ec2.${scope.region}.amazonaws.com`);
            for (const statement of policy.Statement.filter((s) => s.Principal?.AWS === "*"))
                assert.equal(statement.Condition?.StringEquals["kms:CallerAccount"], scope.accountId, statement.Sid);
        });
    });
});
