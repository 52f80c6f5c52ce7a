// Teams: the stack file's block, its validation, the builders of each namespace's objects, and
// what every cluster of both committed stacks gets per team.
import * as assert from "node:assert/strict";
import { TEAM_LABEL, limitRangeSpec, networkPolicySpecs, quotaSpec } from "../../components/tenancy/teams";
import { STACKS, expectProblem, inputs, ofType, one, problems, rawConfig, settingsOf, type Inputs } from "../fixtures";
import { resolveStackConfig } from "../../stacks/config/config";
import { notable, schedulableCpu } from "../../stacks/plan/summary";
import { describeStack } from "../stacks/harness";

describe("teams", () => {
    describe("validation", () => {
        it("refuses a namespace of the platform, one two teams claim, and an allowance from nowhere, all at once", () => {
            const found = problems("prod", (s) => {
                s.teams.payments.namespaces.push("kube-system");
                s.teams.storefront.namespaces.push("team-payments");
                s.teams.storefront.ingressFrom = ["team-nowhere"];
            });
            expectProblem(found, "teams.payments.namespaces[2]", '"kube-system" is a namespace of the platform');
            expectProblem(found, "teams.storefront.namespaces[1]", '"team-payments" is already team payments\'s');
            expectProblem(found, "teams.storefront.ingressFrom[0]", '"team-nowhere" is neither');
        });

        it("refuses a team role listed anywhere else: EKS gives a principal one access entry", () => {
            const found = problems("prod", (s) => (s.teams.storefront.viewers = [s.teams.payments.members[0]]));
            expectProblem(found, "teams.storefront.viewers[0]", "is already teams.payments.members[0]");
            expectProblem(
                problems("prod", (s) => s.cluster.access.viewers.push(s.teams.payments.viewers[0])),
                "teams.payments.viewers[0]",
                "is already cluster.access.viewers",
            );
        });

        it("refuses a team secrets path inside the platform's or another team's, in both directions", () => {
            expectProblem(
                problems("prod", (s) => (s.teams.payments.secretsPath = "platform/payments/")),
                "teams.payments.secretsPath",
                "overlaps the platform's secrets",
            );
            // The broader path reads the narrower one: refused whichever team declares it.
            expectProblem(
                problems("prod", (s) => (s.teams.storefront.secretsPath = "teams/")),
                "teams.storefront.secretsPath",
                '"teams/" overlaps team payments',
            );
            assert.deepEqual(
                problems("prod", (s) => (s.teams.payments.secretsPath = "payments/")),
                [],
            );
        });

        it("warns in the plan when the teams' CPU quotas exceed what a region can ever schedule", () => {
            const settings = settingsOf("prod");
            const config = resolveStackConfig(rawConfig(settings));
            const capacity = schedulableCpu(config) as number;
            assert.ok(capacity > 0);
            assert.ok(!notable(config, []).some((line) => line.startsWith("WARNING: the teams' CPU quotas")));
            settings.teams.payments.quota.cpu = capacity;
            const over = notable(resolveStackConfig(rawConfig(settings)), []);
            assert.ok(over.some((line) => line.startsWith("WARNING: the teams' CPU quotas") && line.includes(`the ${capacity} a region`)));
        });

        it("refuses malformed names, quotas and quantities, and unknown keys", () => {
            const found = problems("prod", (s) => {
                s.teams.payments.namespaces[0] = "Team_Payments";
                s.teams.payments.quota.cpu = 0;
                s.teams.payments.limits = { defaultLimitMemory: "lots" };
                s.teams.payments.owner = "me";
            });
            expectProblem(found, "teams.payments.namespaces[0]", "not a namespace name", "Team_Payments");
            expectProblem(found, "teams.payments.quota.cpu");
            expectProblem(found, "teams.payments.limits.defaultLimitMemory", "not a Kubernetes quantity");
            expectProblem(found, "teams.payments.owner", "unknown setting");
            expectProblem(
                problems(
                    "prod",
                    (s) =>
                        (s.teams["Web_Team"] = {
                            namespaces: ["team-web"],
                            quota: { cpu: 1, memoryGiB: 1, pods: 10 },
                            gitops: { repository: "git@github.com:example-org/team-web.git" },
                        }),
                ),
                "teams.Web_Team",
                "3-32 lowercase letters",
            );
        });
    });

    describe("builders", () => {
        it("quotes requests, pods, storage and load balancers as the stack file says", () => {
            assert.deepEqual(quotaSpec({ cpu: 8, memoryGiB: 32, pods: 100, storageGiB: 50, loadBalancers: 1 }).hard, {
                "requests.cpu": "8",
                "requests.memory": "32Gi",
                pods: "100",
                "requests.storage": "50Gi",
                "services.loadbalancers": "1",
            });
            const [limit] = limitRangeSpec({ defaultRequestCpu: "50m", defaultRequestMemory: "64Mi", defaultLimitMemory: "256Mi" }).limits;
            assert.deepEqual([limit.defaultRequest, limit.default], [{ cpu: "50m", memory: "64Mi" }, { memory: "256Mi" }]);
        });

        it("denies in and out by default, lets DNS out, and lets in only the namespace, monitoring and the allowed", () => {
            const specs = networkPolicySpecs({ ingressFrom: ["gateway", "gateway"], monitoringNamespace: "monitoring" });
            assert.deepEqual(specs["default-deny"], { podSelector: {}, policyTypes: ["Ingress", "Egress"] });
            assert.deepEqual(
                specs["allow-dns"].egress[0].ports.map((p) => p.port),
                [53, 53],
            );
            const from = specs["allow-ingress"].ingress[0].from.map(
                (peer: Inputs) => peer.namespaceSelector?.matchLabels["kubernetes.io/metadata.name"] ?? "self",
            );
            assert.deepEqual(from, ["self", "monitoring", "gateway"]);
        });
    });
});

/** Whether a policy document allows `action` on `resource`: IAM's wildcards, Allow statements only (none here denies). */
function allows(document: { Statement: Inputs[] }, action: string, resource: string): boolean {
    const matches = (pattern: string, value: string) =>
        new RegExp(
            `^${pattern
                .replace(/[.+^${}()|[\]\\]/g, "\\$&")
                .replace(/\*/g, ".*")
                .replace(/\?/g, ".")}$`,
        ).test(value);
    return document.Statement.some(
        (statement) =>
            statement.Effect === "Allow" &&
            [statement.Action].flat().some((a: string) => matches(a, action)) &&
            [statement.Resource].flat().some((r: string) => matches(r, resource)),
    );
}

for (const stack of STACKS) {
    describeStack(stack, (program) => {
        it("gives every team, in every cluster, restricted namespaces with its quota, defaults and deny-by-default network", () => {
            for (const region of program.config.regions) {
                const own = program.inRegion(region.region);
                for (const [team, settings] of Object.entries(program.config.teams)) {
                    for (const namespace of settings.namespaces) {
                        const created = ofType(own, "kubernetes:core/v1:Namespace")
                            .map(inputs)
                            .find((n) => n.metadata.name === namespace);
                        assert.ok(created, `${region.region}: ${namespace}`);
                        assert.equal(created.metadata.labels[TEAM_LABEL], team);
                        assert.equal(created.metadata.labels["pod-security.kubernetes.io/enforce"], "restricted");
                        const inside = (type: string) =>
                            ofType(own, type)
                                .map(inputs)
                                .filter((o) => o.metadata.namespace === namespace);
                        assert.deepEqual(inside("kubernetes:core/v1:ResourceQuota")[0]?.spec, quotaSpec(settings.quota));
                        assert.deepEqual(inside("kubernetes:core/v1:LimitRange")[0]?.spec, limitRangeSpec(settings.limits));
                        const entries = Object.values(inputs(one(own, "eks:index:Cluster")).accessEntries as Record<string, Inputs>);
                        for (const [kind, policy] of [
                            ["members", "AmazonEKSEditPolicy"],
                            ["viewers", "AmazonEKSViewPolicy"],
                        ] as const) {
                            for (const arn of settings[kind]) {
                                const access = entries.find((e) => e.principalArn === arn);
                                assert.ok(access, `${team} ${kind}: ${arn}`);
                                const [granted] = Object.values(access.accessPolicies as Record<string, Inputs>);
                                assert.ok(String(granted.policyArn).endsWith(`/${policy}`));
                                assert.deepEqual(granted.accessScope, { type: "namespace", namespaces: settings.namespaces });
                                assert.equal(access.kubernetesGroups, undefined, "no RBAC group beyond the namespaced policy");
                            }
                        }
                        const store = inside("kubernetes:external-secrets.io/v1:SecretStore")[0];
                        assert.equal(store?.spec.provider.aws.service, "SecretsManager");
                        assert.match(String(store?.spec.provider.aws.role), new RegExp(`role/${region.names.teamRole(team)}$`));
                        const project = ofType(own, "kubernetes:argoproj.io/v1alpha1:AppProject")
                            .map(inputs)
                            .find((p) => p.metadata.name === `team-${team}`);
                        assert.ok(project?.spec.destinations.some((d: Inputs) => d.namespace === namespace));
                        // Its repository, and the GitOps repository's folders of its namespaces in the cluster's folder.
                        assert.deepEqual(project?.spec.sourceRepos, [settings.gitops.repository, program.config.gitops.repository.url]);
                        assert.deepEqual(
                            inside("kubernetes:networking.k8s.io/v1:NetworkPolicy")
                                .map((p) => p.metadata.name)
                                .sort(),
                            ["allow-dns", "allow-ingress", "default-deny"],
                        );
                    }
                }
            }
        });

        it("lets each team's store read that team's secrets only: not another team's, not the platform's", () => {
            const secret = (region: string, name: string) => `arn:aws:secretsmanager:${region}:123456789012:secret:${name}-AbCdEf`;
            const prefix = program.config.secrets.prefix;
            const teams = Object.keys(program.config.teams);
            for (const region of program.config.regions) {
                const own = program.inRegion(region.region);
                const policies = ofType(own, "aws:iam/rolePolicy:RolePolicy");
                const policyOf = (name: string) => JSON.parse(inputs(policies.find((p) => p.name === name) as never).policy);
                for (const team of teams) {
                    const document = policyOf(`${region.region}-teams-${team}-secrets-read-team-secrets`);
                    assert.ok(allows(document, "secretsmanager:GetSecretValue", secret(region.region, `${prefix}teams/${team}/db`)));
                    assert.ok(!allows(document, "secretsmanager:GetSecretValue", secret(region.region, `${prefix}platform/grafana/admin`)));
                    for (const other of teams.filter((t) => t !== team))
                        assert.ok(
                            !allows(document, "secretsmanager:GetSecretValue", secret(region.region, `${prefix}teams/${other}/db`)),
                            `${team} -> ${other}`,
                        );
                    const trust = JSON.parse(
                        inputs(one(own, "aws:iam/role:Role", `${region.region}-teams-${team}-secrets`)).assumeRolePolicy,
                    );
                    assert.deepEqual(
                        trust.Statement.map((s: Inputs) => s.Principal.AWS),
                        [`arn:aws:iam::123456789012:role/${region.names.roles.externalSecrets}`],
                    );
                }
                // The platform's store reads the platform's prefix only, and serves no team namespace.
                const platform = policyOf(`${region.region}-external-secrets-controller-read-environment-secrets`);
                assert.ok(allows(platform, "secretsmanager:GetSecretValue", secret(region.region, `${prefix}platform/grafana/admin`)));
                for (const team of teams)
                    assert.ok(!allows(platform, "secretsmanager:GetSecretValue", secret(region.region, `${prefix}teams/${team}/db`)));
                const store = inputs(one(own, "kubernetes:external-secrets.io/v1:ClusterSecretStore"));
                const teamNamespaces = Object.values(program.config.teams).flatMap((t) => t.namespaces);
                assert.ok(
                    store.spec.conditions.every(
                        (c: Inputs) => !c.namespaceRegexes && !c.namespaces.some((n: string) => teamNamespaces.includes(n)),
                    ),
                );
            }
        });
    });
}
