// The add-ons' rules, one broken property at a time: GitOps, secrets, policies, monitoring and
// backups.
import * as assert from "node:assert/strict";
import { expectProblem, problems, render } from "../../fixtures";

describe("stack file validation", () => {
    describe("GitOps, secrets and policies", () => {
        it("requires SSO where the stack file asks for it", () => {
            expectProblem(
                problems("prod", (s) => delete s.gitops.sso),
                "gitops.sso",
                "single sign-on",
            );
            assert.deepEqual(
                problems("staging", (s) => {
                    delete s.gitops.sso;
                    delete s.monitoring.sso;
                }),
                [],
                "staging does not require SSO",
            );
        });

        it("rejects platform secret names outside the platform's prefix, a team's included", () => {
            const found = problems("prod", (s) => (s.gitops.repository.credentialsSecretName = "staging/argocd/gitops-repository"));
            expectProblem(
                found,
                "gitops.repository.credentialsSecretName",
                '"staging/argocd/gitops-repository" is outside "prod/platform/"',
            );
            expectProblem(
                problems("prod", (s) => (s.monitoring.grafanaAdminSecretName = "prod/teams/payments/grafana")),
                "monitoring.grafanaAdminSecretName",
                'outside "prod/platform/"',
            );
            expectProblem(
                problems("prod", (s) => (s.gitops.sso.clientSecretName = "shared/oidc")),
                "gitops.sso.clientSecretName",
                "outside",
            );
        });

        it("rejects a plain-text client secret in place of its Secrets Manager name", () => {
            const found = problems("prod", (s) => (s.gitops.sso.clientSecret = "0oa1b2c3d4e5f6g7h8i9"));
            expectProblem(found, "gitops.sso.clientSecret", "plain text");
            expectProblem(found, "gitops.sso.clientSecret", "unknown setting");
        });

        it("rejects team access to any repository, bad namespace patterns, registries with scheme or wildcard, unknown actions", () => {
            expectProblem(
                problems("prod", (s) => (s.teams.payments.gitops.repository = "git@github.com:example-org/*")),
                "teams.payments.gitops.repository",
                "without wildcards",
            );
            // Teams have stores of their own: the platform's serves no namespace list from the stack file.
            expectProblem(
                problems("prod", (s) => (s.secrets.allowedNamespacePatterns = ["^team-"])),
                "secrets.allowedNamespacePatterns",
                "unknown setting",
            );
            expectProblem(
                problems("prod", (s) => (s.policies.allowedRegistries.registries = ["https://docker.io"])),
                "policies.allowedRegistries.registries[0]",
                "without scheme",
            );
            expectProblem(
                problems("prod", (s) => (s.policies.allowedRegistries.registries = ["*"])),
                "policies.allowedRegistries.registries[0]",
                "wildcard",
            );
            expectProblem(
                problems("prod", (s) => (s.policies.requireProbes = "Warn")),
                "policies.requireProbes",
                "Warn",
            );
        });
    });

    describe("monitoring and backups", () => {
        it("rejects monitoring secrets outside the environment's prefix and a retention size the volume cannot hold", () => {
            expectProblem(
                problems("prod", (s) => (s.monitoring.pagingWebhookSecretName = "shared/pager")),
                "monitoring.pagingWebhookSecretName",
                "outside",
            );
            expectProblem(
                problems("prod", (s) => (s.monitoring.retentionSize = "200GB")),
                "monitoring.retentionSize",
                '"200GB" does not fit a 100 GiB volume',
            );
        });

        it("requires a daily backup, TTLs of at least a day, and a second region for cross-region copies", () => {
            expectProblem(
                problems("staging", (s) => (s.backups.schedules = { weekly: { cron: "0 4 * * 0", ttl: "720h" } })),
                "backups.schedules",
                "every day",
            );
            expectProblem(
                problems("staging", (s) => (s.backups.schedules.daily.ttl = "12h")),
                "backups.schedules.daily.ttl",
                "less than a day",
            );
            expectProblem(
                problems("staging", (s) => (s.backups.schedules.daily.ttl = "30d")),
                "backups.schedules.daily.ttl",
                "no days",
            );
            expectProblem(
                problems("staging", (s) => (s.backups.crossRegion = true)),
                "backups.crossRegion",
                "second region",
            );
        });

        it("rejects images on the latest tag or without a tag", () => {
            expectProblem(
                problems("prod", (s) => (s.versions.images.restoreDrill = "alpine/k8s:latest")),
                "versions.images.restoreDrill",
                "latest",
            );
            expectProblem(
                problems("prod", (s) => (s.versions.images.veleroAwsPlugin = "velero/velero-plugin-for-aws")),
                "versions.images.veleroAwsPlugin",
                "tag or digest",
            );
        });
    });

    describe("secrets", () => {
        it("rejects a secret given in plain text, without echoing it", () => {
            const found = problems("staging", () => undefined, { other: { "aws:secretKey": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY" } });
            expectProblem(found, "aws:secretKey", "wJal****", "plain text");
            assert.ok(!render(found).includes("wJalrXUtnFEMI/K7MDENG"), "the secret itself must not be printed");
        });

        it("finds credentials by their shape in any setting", () => {
            const found = problems("staging", (s) => (s.tags = { note: "AKIAIOSFODNN7EXAMPLE" }));
            expectProblem(found, "tags.note", "AWS access key ID");
        });

        it("accepts the same value when Pulumi holds it encrypted", () => {
            const found = problems("staging", () => undefined, {
                other: { "aws:secretKey": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY" },
                secretKeys: ["aws:secretKey"],
            });
            assert.deepEqual(found, []);
        });
    });
});
