// Builders of External Secrets, Argo CD and Kyverno: what they configure, and what they never
// contain.
import * as assert from "node:assert/strict";
import { argocdValues, clusterMetadata } from "../../components/addons/argocd/argocd";
import {
    PLATFORM_CLUSTER_KINDS,
    appProjectSpecs,
    clusterApplicationSetSpecs,
    teamApplicationSetSpec,
    teamProject,
} from "../../components/addons/argocd/projects";
import {
    clusterSecretStoreSpec,
    externalSecretSpec,
    externalSecretsValues,
} from "../../components/addons/external-secrets/external-secrets";
import { defaultDenyPolicy, kyvernoValues, platformPolicies, podSecurityValues } from "../../components/addons/kyverno/kyverno";
import { PLATFORM_NAMESPACES } from "../../stacks/config/catalog";
import { resolveStackConfig } from "../../stacks/config/config";
import { plaintextSecrets } from "../../stacks/config/secrets";
import { STACKS, type Inputs, rawConfig, settingsOf } from "../fixtures";
import { gatewayParentRef } from "../../components/ingress/values";
import { regionUrl } from "../../stacks/config/rules/ingress";

const prod = resolveStackConfig(rawConfig(settingsOf("prod")));
const sso = prod.gitops.sso;

/** Plain-text secrets found in a values tree, by the same rules the stack files are held to. */
const secretsIn = (values: unknown) => plaintextSecrets({ "values:tree": JSON.stringify(values) }, () => false, "values", false);

describe("GitOps and guardrail builders", () => {
    describe("Argo CD values", () => {
        const values = argocdValues({
            url: regionUrl(prod.gitops.url, "eu-west-1"),
            gateway: gatewayParentRef(),
            sso,
            highAvailability: true,
        });

        it("turns the local admin off with SSO and reads the client secret from a Secret, not a value", () => {
            assert.equal(values.configs.cm["admin.enabled"], false);
            const oidc = String(values.configs.cm["oidc.config"]);
            assert.match(oidc, /clientSecret: \$argocd-oidc:clientSecret/);
            assert.match(oidc, new RegExp(`issuer: ${sso?.issuer}`));
            assert.deepEqual(secretsIn(values), []);
            assert.notDeepEqual(
                secretsIn({ ...values, token: `ghp_${"a".repeat(36)}` }),
                [],
                "the scan finds a credential when there is one",
            );
        });

        it("keeps the local admin only where there is no SSO", () => {
            const without = argocdValues({
                url: regionUrl(prod.gitops.url, "eu-west-1"),
                gateway: gatewayParentRef(),
                highAvailability: false,
            });
            assert.equal(without.configs.cm["admin.enabled"], true);
            assert.equal("oidc.config" in without.configs.cm, false);
        });

        it("is read-only by default, with exec and anonymous access off, and admins from the SSO groups", () => {
            assert.equal(values.configs.rbac["policy.default"], "role:readonly");
            assert.equal(values.configs.cm["exec.enabled"], false);
            assert.ok(!JSON.stringify(values).includes("users.anonymous.enabled"), "anonymous access stays at Argo CD's default: off");
            assert.deepEqual(
                values.configs.rbac["policy.csv"].split("\n"),
                (sso?.adminGroups ?? []).map((g) => `g, ${g}, role:admin`),
            );
        });

        it("runs two of each component, HA Redis and requests when highly available, on the system nodes", () => {
            for (const component of [values.controller, values.server, values.repoServer, values.applicationSet]) {
                assert.equal(component.replicas, 2);
                assert.ok(component.resources.requests.cpu && component.resources.requests.memory);
                assert.equal(component.pdb.enabled, true);
            }
            assert.equal(values["redis-ha"].enabled, true);
            assert.equal(values.global.nodeSelector["platform/node-group"], "system");
            const single = argocdValues({
                url: regionUrl(prod.gitops.url, "eu-west-1"),
                gateway: gatewayParentRef(),
                sso,
                highAvailability: false,
            });
            assert.equal(single.server.replicas, 1);
            assert.equal(single["redis-ha"].enabled, false);
        });
    });

    it("gives each team a project confined to its repository and its namespaces, without cluster-scoped resources", () => {
        const projects: Record<string, Inputs> = appProjectSpecs({ repository: prod.gitops.repository.url, teams: prod.teams });
        assert.deepEqual(projects.platform.sourceRepos, [prod.gitops.repository.url]);
        const teams = Object.entries(prod.teams);
        assert.ok(teams.length >= 2);
        for (const [team, settings] of teams) {
            const project = projects[teamProject(team)];
            // Its own repository, and the GitOps repository's folders of its namespaces.
            assert.deepEqual(project.sourceRepos, [settings.gitops.repository, prod.gitops.repository.url]);
            assert.deepEqual(
                project.destinations.map((d: Inputs) => d.namespace),
                settings.namespaces,
            );
            assert.deepEqual(project.clusterResourceWhitelist, []);
            assert.ok(project.namespaceResourceBlacklist.some((r: Inputs) => r.kind === "NetworkPolicy"));
            assert.deepEqual(project.roles[0].groups, settings.gitops.groups);
            // No other team's namespace is a destination of this project.
            for (const [other, otherSettings] of teams.filter(([name]) => name !== team))
                for (const namespace of otherSettings.namespaces)
                    assert.ok(
                        !project.destinations.some((d: Inputs) => d.namespace === namespace || d.namespace === "*"),
                        `${team} -> ${other}`,
                    );
        }
    });

    it("generates each team's applications from its own repository, in its own project", () => {
        const [team, settings] = Object.entries(prod.teams)[0];
        const spec = teamApplicationSetSpec({ team, settings, environment: "prod", region: "eu-west-1" });
        assert.equal(spec.template.spec.project, teamProject(team));
        assert.equal(spec.generators[0].git.repoURL, settings.gitops.repository);
        assert.deepEqual(spec.generators[0].git.directories, [{ path: "deploy/prod/eu-west-1/*" }]);
        assert.equal(spec.template.spec.destination.namespace, "{{.path.basename}}");
    });

    describe("the cluster's folder of the GitOps repository", () => {
        const repository = prod.gitops.repository.url;
        const path = prod.regions[1].gitopsPath;
        const sets = clusterApplicationSetSpecs({ repository, revision: "main", path, teams: prod.teams });
        const projects: Record<string, Inputs> = appProjectSpecs({ repository, teams: prod.teams });
        /** Argo CD's git directory generator on a repository holding `folders`: the Applications it yields. */
        const generated = (folders: string[]) =>
            Object.values(sets).flatMap((spec) =>
                spec.generators.flatMap(({ git }) =>
                    folders
                        .filter((folder) =>
                            git.directories.some(({ path: pattern }) => new RegExp(`^${pattern.replace(/\*/g, "[^/]+")}$`).test(folder)),
                        )
                        .map((folder) => ({ folder, project: spec.template.spec.project, namespace: folder.split("/").pop() as string })),
                ),
            );
        const teamNamespaces = Object.entries(prod.teams).flatMap(([team, settings]) => settings.namespaces.map((ns) => ({ team, ns })));

        it("generates each team's folder into the team's project, never into the platform project", () => {
            assert.equal(path, `clusters/prod/${prod.regions[1].region}`);
            assert.ok(teamNamespaces.length >= 2);
            for (const { team, ns } of teamNamespaces) {
                assert.deepEqual(
                    generated([`${path}/${ns}`]).map((app) => app.project),
                    [teamProject(team)],
                    `${path}/${ns} belongs to ${team}`,
                );
            }
            // Even an Application made by hand in the platform project could not reach a team's namespace.
            const reachable = new Set(projects.platform.destinations.map((d: Inputs) => d.namespace));
            for (const { ns } of teamNamespaces) assert.ok(!reachable.has(ns) && !reachable.has("*"), ns);
        });

        it("generates the platform's folders into the platform project, limited to its namespaces and a few cluster-scoped kinds", () => {
            for (const ns of PLATFORM_NAMESPACES)
                assert.deepEqual(generated([`${path}/${ns}`]), [{ folder: `${path}/${ns}`, project: "platform", namespace: ns }]);
            assert.deepEqual(
                projects.platform.destinations.map((d: Inputs) => d.namespace),
                [...PLATFORM_NAMESPACES],
            );
            assert.deepEqual(
                projects.platform.clusterResourceWhitelist,
                PLATFORM_CLUSTER_KINDS.map((kind) => ({ ...kind })),
            );
            for (const kind of ["ClusterRoleBinding", "CustomResourceDefinition", "Namespace", "ValidatingWebhookConfiguration"])
                assert.ok(!projects.platform.clusterResourceWhitelist.some((k: Inputs) => k.kind === kind || k.kind === "*"), kind);
        });

        it("generates nothing from a folder no namespace is named after, nor from outside the cluster's folder", () => {
            assert.deepEqual(generated([`${path}/anything`, `${path}/team-payments/nested`, "clusters/staging/us-east-1/monitoring"]), []);
        });

        it("leaves the applications' resources in place when an ApplicationSet is deleted, and creates no namespace", () => {
            for (const spec of Object.values(sets)) {
                assert.equal(spec.syncPolicy.preserveResourcesOnDeletion, true);
                assert.equal("finalizers" in spec.template.metadata, false);
                assert.equal("syncOptions" in spec.template.spec.syncPolicy, false);
            }
        });
    });

    it("publishes the cluster's identity and each add-on's namespace, service account and role", () => {
        const meta = clusterMetadata({
            cluster: "c1",
            environment: "prod",
            region: "eu-west-1",
            addons: {
                karpenter: { namespace: "karpenter", serviceAccount: "karpenter", roleArn: "arn:aws:iam::1:role/k" },
                kyverno: { namespace: "kyverno" },
            },
        });
        assert.deepEqual(meta.labels, {
            "argocd.argoproj.io/secret-type": "cluster",
            "platform/environment": "prod",
            "platform/region": "eu-west-1",
            "platform/cluster": "c1",
        });
        assert.deepEqual(meta.annotations, {
            "platform/karpenter.namespace": "karpenter",
            "platform/karpenter.service-account": "karpenter",
            "platform/karpenter.role-arn": "arn:aws:iam::1:role/k",
            "platform/kyverno.namespace": "kyverno",
        });
    });

    describe("External Secrets", () => {
        it("runs highly available with leader election only when asked", () => {
            const ha = externalSecretsValues({ highAvailability: true });
            assert.deepEqual([ha.replicaCount, ha.webhook.replicaCount, ha.certController.replicaCount, ha.leaderElect], [2, 2, 2, true]);
            assert.equal(ha.podDisruptionBudget.enabled, true);
            const single = externalSecretsValues({ highAvailability: false });
            assert.deepEqual([single.replicaCount, single.leaderElect], [1, false]);
        });

        it("builds a keyless store for the region's Secrets Manager, limited to the allowed namespaces", () => {
            const spec = clusterSecretStoreSpec({ region: "eu-west-1", namespaces: ["argocd"], namespacePatterns: ["^team-"] });
            assert.deepEqual(spec.provider, { aws: { service: "SecretsManager", region: "eu-west-1" } });
            assert.deepEqual(spec.conditions, [{ namespaces: ["argocd"], namespaceRegexes: ["^team-"] }]);
        });

        it("copies named properties or the whole secret, labelled for its consumer", () => {
            const one = externalSecretSpec({
                name: "s",
                namespace: "n",
                entries: [{ secretKey: "clientSecret", key: "prod/x", property: "clientSecret" }],
                labels: { a: "b" },
            });
            assert.deepEqual("data" in one && one.data, [
                { secretKey: "clientSecret", remoteRef: { key: "prod/x", property: "clientSecret" } },
            ]);
            assert.deepEqual(one.secretStoreRef, { kind: "ClusterSecretStore", name: "aws-secrets-manager" });
            const all = externalSecretSpec({ name: "s", namespace: "n", extract: "prod/y", literals: { url: "u" } });
            assert.deepEqual("dataFrom" in all && all.dataFrom, [{ extract: { key: "prod/y" } }]);
            assert.equal(all.target.template?.mergePolicy, "Merge");
        });
    });

    describe("Kyverno", () => {
        for (const stack of STACKS) {
            it(`sets every policy's action as the ${stack} stack file says`, () => {
                const config = resolveStackConfig(rawConfig(settingsOf(stack)));
                const expected = {
                    "disallow-latest-tag": config.policies.disallowLatestTag,
                    "require-requests-limits": config.policies.requireResources,
                    "require-probes": config.policies.requireProbes,
                    "restrict-image-registries": config.policies.allowedRegistries.action,
                };
                for (const [name, body] of Object.entries(platformPolicies(config.policies, PLATFORM_NAMESPACES))) {
                    const action = expected[name as keyof typeof expected];
                    assert.deepEqual(body.spec.validationActions, [action === "Enforce" ? "Deny" : "Audit"], name);
                    assert.equal(body.spec.failurePolicy, action === "Enforce" ? "Fail" : "Ignore", name);
                }
                assert.equal(
                    podSecurityValues({ action: config.policies.podSecurity, excludedNamespaces: [] }).validationFailureAction,
                    config.policies.podSecurity,
                );
            });
        }

        it("never applies to the platform's namespaces, in the webhooks or in any policy", () => {
            const values = kyvernoValues({ highAvailability: true, excludedNamespaces: PLATFORM_NAMESPACES });
            assert.deepEqual(values.config.webhooks.namespaceSelector.matchExpressions[0].values, [...PLATFORM_NAMESPACES]);
            for (const body of Object.values(platformPolicies(prod.policies, PLATFORM_NAMESPACES))) {
                assert.deepEqual(body.spec.matchConstraints.namespaceSelector.matchExpressions[0].values, [...PLATFORM_NAMESPACES]);
            }
            assert.deepEqual(
                podSecurityValues({ action: "Enforce", excludedNamespaces: PLATFORM_NAMESPACES }).vpolExclude.excludeNamespaces,
                [...PLATFORM_NAMESPACES],
            );
            assert.deepEqual(defaultDenyPolicy(PLATFORM_NAMESPACES).spec.rules[0].exclude.any[0].resources.names, [...PLATFORM_NAMESPACES]);
        });

        it("runs three admission controllers and two of the others when highly available", () => {
            const values = kyvernoValues({ highAvailability: true, excludedNamespaces: [] });
            assert.deepEqual(
                [
                    values.admissionController.replicas,
                    values.backgroundController.replicas,
                    values.cleanupController.replicas,
                    values.reportsController.replicas,
                ],
                [3, 2, 2, 2],
            );
            assert.equal(kyvernoValues({ highAvailability: false, excludedNamespaces: [] }).admissionController.replicas, 1);
        });

        it("checks pod controllers too, and allows only the listed registries", () => {
            const registries = platformPolicies(prod.policies, [])["restrict-image-registries"];
            assert.ok(registries.spec.autogen.podControllers.controllers.includes("deployments"));
            assert.deepEqual(
                JSON.parse(registries.spec.variables?.find((v) => v.name === "registries")?.expression ?? "[]"),
                prod.policies.allowedRegistries.registries,
            );
        });

        it("generates a synchronized default-deny policy and a DNS allowance in new namespaces", () => {
            const rules = defaultDenyPolicy([]).spec.rules;
            assert.deepEqual(
                rules.map((r) => r.generate.name),
                ["default-deny", "allow-dns"],
            );
            assert.ok(rules.every((r) => r.generate.synchronize && r.match.any[0].resources.kinds[0] === "Namespace"));
            assert.deepEqual(rules[0].generate.data, { spec: { podSelector: {}, policyTypes: ["Ingress", "Egress"] } });
        });
    });
});
