// Encryption alone, under the offline mocks.
import * as assert from "node:assert/strict";
import { Encryption } from "../../components/security/encryption";
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
});
