// External Secrets, Kyverno and Argo CD on one cluster, under the offline mocks.
import * as assert from "node:assert/strict";
import { PLATFORM_NAMESPACES } from "../../stacks/config/catalog";
import { ArgoCD } from "../../components/addons/argocd/argocd";
import { ExternalSecrets } from "../../components/addons/external-secrets/external-secrets";
import { Kyverno } from "../../components/addons/kyverno/kyverno";
import { OFFLINE_ACCOUNT } from "../../stacks/plan/mocks";
import type { RecordedResource } from "../../stacks/plan/resources";
import { ofType, one, inputs } from "../fixtures";
import { evaluateComponent, names, settings, testCluster } from "./harness";
import { gatewayParentRef } from "../../components/ingress/values";

describe("components", () => {
    describe("ExternalSecrets, Kyverno and ArgoCD on one cluster", () => {
        let resources: RecordedResource[];
        before(async () => {
            resources = await evaluateComponent((p) => {
                const cluster = testCluster(p.aws);
                const eso = new ExternalSecrets(
                    "eso",
                    {
                        cluster: cluster.handle,
                        chartVersion: "2.9.0",
                        roleName: names.roles.externalSecrets,
                        prefix: "prod/platform/",
                        teamRoles: `${names.cluster}-team-*`,
                        highAvailability: true,
                        dependsOn: [],
                    },
                    { providers: { aws: p.aws } },
                );
                new Kyverno(
                    "kyverno",
                    {
                        cluster: cluster.handle,
                        chartVersion: "3.9.0",
                        settings: settings.policies,
                        excludedNamespaces: ["kube-system"],
                        highAvailability: true,
                        dependsOn: [],
                    },
                    { providers: { aws: p.aws } },
                );
                new ArgoCD(
                    "argocd",
                    {
                        cluster: cluster.handle,
                        chartVersion: "10.1.1",
                        settings: settings.gitops,
                        url: "https://argocd.eu-west-1.prod.platform.example.com",
                        gateway: gatewayParentRef(),
                        path: "clusters/prod/eu-west-1",
                        environment: "prod",
                        teams: settings.teams,
                        highAvailability: true,
                        addons: {
                            "external-secrets": { namespace: "external-secrets", serviceAccount: "external-secrets", roleArn: eso.roleArn },
                        },
                        secretStore: eso.ready,
                        dependsOn: [],
                    },
                    { providers: { aws: p.aws } },
                );
            });
        });
        const release = (name: string) =>
            ofType(resources, "kubernetes:helm.sh/v3:Release").find((r) => inputs(r).name === name) as RecordedResource;

        it("binds External Secrets' read-only role and creates the store after the chart", () => {
            const role = ofType(resources, "aws:iam/role:Role")
                .map(inputs)
                .find((r) => r.name === names.roles.externalSecrets);
            assert.ok(role);
            const policy = JSON.parse(
                inputs(one(resources, "aws:iam/rolePolicy:RolePolicy", "eso-controller-read-environment-secrets")).policy,
            );
            assert.equal(policy.Statement[0].Resource, `arn:aws:secretsmanager:eu-west-1:${OFFLINE_ACCOUNT}:secret:prod/platform/*`);
            const association = inputs(one(resources, "aws:eks/podIdentityAssociation:PodIdentityAssociation", "eso-controller"));
            assert.deepEqual([association.namespace, association.serviceAccount], ["external-secrets", "external-secrets"]);
            const store = one(resources, "kubernetes:external-secrets.io/v1:ClusterSecretStore");
            assert.ok(store.dependencies.includes(release("external-secrets").urn));
            // The platform's namespaces only, no pattern: no team namespace reaches the platform's secrets.
            assert.deepEqual(inputs(store).spec.conditions, [{ namespaces: [...PLATFORM_NAMESPACES] }]);
        });

        it("syncs Argo CD's repository and OIDC secrets from the store, and starts applications once they exist", () => {
            const store = one(resources, "kubernetes:external-secrets.io/v1:ClusterSecretStore");
            const synced = ofType(resources, "kubernetes:external-secrets.io/v1:ExternalSecret");
            assert.deepEqual(synced.map((s) => inputs(s).metadata.name).sort(), ["argocd-oidc", "gitops-repository"]);
            for (const secret of synced) {
                assert.ok(secret.dependencies.includes(store.urn));
                assert.ok(!release("argo-cd").dependencies.includes(secret.urn), "the chart reads them at run time, it need not wait");
                assert.ok(
                    one(resources, "kubernetes:argoproj.io/v1alpha1:ApplicationSet", "argocd-applications").dependencies.includes(
                        secret.urn,
                    ),
                );
            }
            const oidc = synced.find((s) => inputs(s).metadata.name === "argocd-oidc") as RecordedResource;
            assert.equal(inputs(oidc).spec.data[0].remoteRef.key, settings.gitops.sso?.clientSecretName);
        });

        it("bootstraps the projects and the ApplicationSet after Argo CD, deleted with the cluster", () => {
            const argo = release("argo-cd");
            for (const resource of [
                ...ofType(resources, "kubernetes:argoproj.io/v1alpha1:AppProject"),
                one(resources, "kubernetes:argoproj.io/v1alpha1:ApplicationSet", "argocd-applications"),
            ]) {
                assert.ok(resource.dependencies.includes(argo.urn), resource.name);
            }
            const clusterSecret = ofType(resources, "kubernetes:core/v1:Secret")
                .map(inputs)
                .find((s) => s.metadata.name === "in-cluster");
            assert.equal(
                clusterSecret?.metadata.annotations["platform/external-secrets.role-arn"],
                `arn:aws:iam::${OFFLINE_ACCOUNT}:role/${names.roles.externalSecrets}`,
            );
        });

        it("installs Kyverno, then the upstream pod security policies and the platform's own", () => {
            const kyverno = release("kyverno");
            assert.ok(release("kyverno-policies").dependencies.includes(kyverno.urn));
            for (const policy of [
                ...ofType(resources, "kubernetes:policies.kyverno.io/v1:ValidatingPolicy"),
                one(resources, "kubernetes:kyverno.io/v1:ClusterPolicy"),
            ]) {
                assert.ok(policy.dependencies.includes(kyverno.urn), policy.name);
            }
        });
    });
});
