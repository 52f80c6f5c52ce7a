// The ingress rules, one broken property at a time: the domain and zone, the load balancer's
// networks, Argo CD's URL and Grafana's sign-in.
import * as assert from "node:assert/strict";
import { expectProblem, problems } from "../../fixtures";

describe("stack file validation", () => {
    describe("ingress", () => {
        it("accepts the committed stack files", () => {
            assert.deepEqual(
                problems("prod", () => undefined),
                [],
            );
            assert.deepEqual(
                problems("staging", () => undefined),
                [],
            );
        });

        it("rejects a hostname outside the domain, for a region the stack does not have, or shared by two regions", () => {
            expectProblem(
                problems("prod", (s) => (s.ingress.hostnames = { "us-east-1": "use1.example.net" })),
                "ingress.hostnames.us-east-1",
                '"use1.example.net" is outside the domain "prod.platform.example.com"',
            );
            expectProblem(
                problems("prod", (s) => (s.ingress.hostnames = { "ap-south-1": "aps1.prod.platform.example.com" })),
                "ingress.hostnames.ap-south-1",
                "not a region of this stack",
            );
            expectProblem(
                problems(
                    "prod",
                    (s) =>
                        (s.ingress.hostnames = {
                            "us-east-1": "apps.prod.platform.example.com",
                            "eu-west-1": "apps.prod.platform.example.com",
                        }),
                ),
                "ingress.hostnames.eu-west-1",
                "also us-east-1's hostname",
            );
        });

        it("rejects a hosted zone ID of the wrong shape and a domain that is not a DNS name", () => {
            expectProblem(
                problems("prod", (s) => (s.ingress.hostedZoneId = "/hostedzone/Z0PROD1PLATFORM2ZONE34")),
                "ingress.hostedZoneId",
                "Route 53 hosted zone ID",
                '"/hostedzone/Z0PROD1PLATFORM2ZONE34"',
            );
            expectProblem(
                problems("prod", (s) => (s.ingress.domain = "Platform.Example.com.")),
                "ingress.domain",
                "lowercase DNS name",
            );
        });

        it("admits only public ranges to an internet-facing balancer and only private ones to an internal one", () => {
            const facing = problems("prod", (s) => {
                s.ingress.scheme = "internet-facing";
                s.ingress.allowedCidrs = ["203.0.114.0/24", "10.0.0.0/8"];
            });
            expectProblem(facing, "ingress.allowedCidrs[1]", '"10.0.0.0/8" is a private range');
            assert.equal(facing.filter((p) => p.path.startsWith("ingress.allowedCidrs")).length, 1, "the public range is fine");
            assert.deepEqual(
                problems("prod", (s) => {
                    s.ingress.scheme = "internet-facing";
                    s.ingress.allowedCidrs = ["0.0.0.0/0"];
                }),
                [],
                "the whole internet is a choice the stack file may make",
            );
            expectProblem(
                problems("prod", (s) => (s.ingress.allowedCidrs = ["10.0.0.0/8", "198.51.99.0/24"])),
                "ingress.allowedCidrs[1]",
                '"198.51.99.0/24" is not a private range',
            );
            expectProblem(
                problems("prod", (s) => (s.ingress.allowedCidrs = [])),
                "ingress.allowedCidrs",
                "name the networks",
            );
        });

        it("rejects an Argo CD URL no region's Gateway serves", () => {
            expectProblem(
                problems("prod", (s) => (s.gitops.url = "https://argocd.prod.platform.example.com")),
                "gitops.url",
                'in us-east-1 it is "argocd.prod.platform.example.com"',
                "*.us-east-1.prod.platform.example.com",
                "write {region}",
            );
            expectProblem(
                problems("prod", (s) => (s.gitops.url = "https://argocd.{region}.prod.platform.example.com/argocd")),
                "gitops.url",
                'path "/argocd"',
            );
            expectProblem(
                problems("prod", (s) => (s.gitops.url = "https://argocd.{region}.prod.platform.example.com:8443")),
                "gitops.url",
                "port 8443",
            );
            expectProblem(
                problems("prod", (s) => (s.gitops.url = "https://cd.argocd.{region}.prod.platform.example.com")),
                "gitops.url",
                "is served by no Gateway",
            );
            assert.deepEqual(
                problems("staging", (s) => {
                    s.ingress.hostnames = { "us-east-1": "staging.platform.example.com" };
                    s.gitops.url = "https://argocd.staging.platform.example.com";
                }),
                [],
                "a one-region stack may serve a fixed URL from an overridden hostname",
            );
        });

        it("signs Grafana in through Argo CD's issuer wherever the stack requires SSO", () => {
            expectProblem(
                problems("prod", (s) => delete s.monitoring.sso),
                "monitoring.sso",
                "requires single sign-on",
            );
            assert.deepEqual(
                problems("staging", (s) => delete s.monitoring.sso),
                [],
                "staging does not require SSO",
            );
            expectProblem(
                problems("prod", (s) => (s.monitoring.sso.tokenUrl = "https://login.example.net/oauth2/v1/token")),
                "monitoring.sso.tokenUrl",
                'not an endpoint of the issuer "https://example-org.okta.com"',
            );
            expectProblem(
                problems("staging", (s) => delete s.gitops.sso),
                "monitoring.sso",
                "needs gitops.sso",
            );
            expectProblem(
                problems("prod", (s) => (s.monitoring.sso.clientSecretName = "prod/teams/payments/grafana")),
                "monitoring.sso.clientSecretName",
                'outside "prod/platform/"',
            );
        });

        it("reports every ingress problem at once", () => {
            const found = problems("prod", (s) => {
                s.ingress.hostedZoneId = "zone";
                s.ingress.scheme = "internet-facing";
                s.gitops.url = "https://argocd.example.com";
            });
            for (const path of ["ingress.hostedZoneId", "ingress.allowedCidrs[0]", "gitops.url"]) expectProblem(found, path);
        });
    });
});
