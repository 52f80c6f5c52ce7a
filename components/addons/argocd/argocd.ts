import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { stringify } from "yaml";
import { ANTI_AFFINE_SYSTEM_REPLICAS } from "../../../stacks/config/catalog";
import type { GitOpsSettings } from "../../../stacks/config/schema";
import type { TeamSettings } from "../../../stacks/config/fields/teams";
import type { ClusterHandle } from "../../shared/cluster-handle";
import { type ExternalSecretSpec, externalSecret } from "../external-secrets/external-secrets";
import { GATEWAY_ACCESS, platformNamespace, platformRelease } from "../../shared/kubernetes";
import { NODE_GROUP_LABEL, SYSTEM_PLACEMENT } from "../../shared/scheduling";
import { appProjectSpecs, clusterApplicationSetSpecs, teamApplicationSetSpec, teamProject } from "./projects";

/** What GitOps needs to know about one add-on to configure workloads around it. */
export interface AddonIdentity {
    readonly namespace: string;
    /** Service account with AWS access, when the add-on has one. */
    readonly serviceAccount?: string;
    readonly roleArn?: pulumi.Input<string>;
}

export interface ArgoCDArgs {
    readonly cluster: ClusterHandle;
    readonly chartVersion: string;
    readonly settings: GitOpsSettings;
    /** Argo CD's URL in this region: where its HTTPRoute serves it, and the SSO redirect target. */
    readonly url: string;
    /** The Gateway listener the route attaches to. */
    readonly gateway: { readonly name: string; readonly namespace: string; readonly sectionName: string };
    /** Folder of the GitOps repository with this cluster's applications. */
    readonly path: string;
    readonly environment: string;
    readonly highAvailability: boolean;
    /** The teams: a project and an ApplicationSet each. */
    readonly teams: Readonly<Record<string, TeamSettings>>;
    /** Add-ons by name, published to Argo CD with the cluster's identity. */
    readonly addons: Readonly<Record<string, AddonIdentity>>;
    /** The ClusterSecretStore the OIDC and repository secrets come from. */
    readonly secretStore: pulumi.Input<pulumi.Resource>[];
    /** Argo CD runs on the system node group: it waits for the node groups. */
    readonly dependsOn: pulumi.Input<pulumi.Resource>[];
}

export const DEFAULTS = {
    namespace: "argocd",
    oidcSecret: "argocd-oidc",
    repositorySecret: "gitops-repository",
    inCluster: "https://kubernetes.default.svc",
} as const;

const requests = (cpu: string, memory: string, limit: string) => ({ requests: { cpu, memory }, limits: { memory: limit } });
const replicated = (ha: boolean, resources: ReturnType<typeof requests>) => ({
    replicas: ha ? 2 : 1,
    resources,
    pdb: { enabled: ha, minAvailable: 1 },
    metrics: { enabled: true, serviceMonitor: { enabled: true } },
});

/**
 * Helm values of the argo-cd chart: every component on the system nodes with resource requests;
 * two replicas of each and HA Redis when highly available. With SSO the local admin account is
 * off and the OIDC client secret is read from a Secret synced by External Secrets (never a value
 * here). Everyone logged in may read; only the admin groups may change anything. Exec stays off,
 * and so does anonymous access (Argo CD's default, which nothing here changes).
 */
export function argocdValues(args: {
    url: string;
    sso?: GitOpsSettings["sso"];
    highAvailability: boolean;
    /** The Gateway listener Argo CD's HTTPRoute attaches to. */
    gateway: { name: string; namespace: string; sectionName: string };
}) {
    const ha = args.highAvailability;
    const placement = {
        nodeSelector: { "kubernetes.io/os": "linux", [NODE_GROUP_LABEL]: "system" },
        tolerations: [...SYSTEM_PLACEMENT.tolerations],
    };
    const sso = args.sso;
    return {
        global: { domain: new URL(args.url).host, ...placement },
        crds: { install: true, keep: true },
        dex: { enabled: false },
        controller: replicated(ha, requests("250m", "1Gi", "2Gi")),
        server: {
            ...replicated(ha, requests("100m", "256Mi", "512Mi")),
            // The UI, the API (gRPC-web for the CLI) and the SSO callback, at the url, through the
            // platform Gateway's HTTPS listener.
            httproute: { enabled: true, parentRefs: [args.gateway], hostnames: [new URL(args.url).hostname] },
        },
        repoServer: replicated(ha, requests("100m", "256Mi", "1Gi")),
        applicationSet: replicated(ha, requests("50m", "128Mi", "512Mi")),
        notifications: { resources: requests("50m", "64Mi", "256Mi") },
        redis: { resources: requests("50m", "64Mi", "256Mi") },
        // The hook Job that writes Redis's password Secret.
        redisSecretInit: { resources: requests("10m", "32Mi", "128Mi") },
        // Three Redis servers and three HAProxies, each on its own system node (required
        // anti-affinity): updates replace one pod at a time without a surge pod, which would need
        // a fourth node, and drains take one at a time. Validation asks for the nodes.
        "redis-ha": {
            enabled: ha,
            ...placement,
            replicas: ANTI_AFFINE_SYSTEM_REPLICAS,
            podDisruptionBudget: { maxUnavailable: 1 },
            redis: { resources: requests("50m", "128Mi", "512Mi") },
            sentinel: { resources: requests("20m", "32Mi", "128Mi") },
            splitBrainDetection: { resources: requests("10m", "16Mi", "64Mi") },
            haproxy: {
                ...placement,
                replicas: ANTI_AFFINE_SYSTEM_REPLICAS,
                deploymentStrategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: 0, maxUnavailable: 1 } },
                podDisruptionBudget: { maxUnavailable: 1 },
                resources: requests("20m", "32Mi", "128Mi"),
            },
        },
        configs: {
            // TLS ends at the Gateway, which forwards plain HTTP inside the cluster.
            params: { "server.insecure": true },
            cm: {
                url: args.url,
                "admin.enabled": sso === undefined,
                "exec.enabled": false,
                ...(sso
                    ? {
                          "oidc.config": stringify({
                              name: "SSO",
                              issuer: sso.issuer,
                              clientID: sso.clientId,
                              clientSecret: `$${DEFAULTS.oidcSecret}:clientSecret`,
                              requestedScopes: [...sso.scopes],
                          }),
                      }
                    : {}),
            },
            rbac: {
                "policy.default": "role:readonly",
                "policy.csv": (sso?.adminGroups ?? []).map((group) => `g, ${group}, role:admin`).join("\n"),
                scopes: "[groups]",
            },
        },
    };
}

/**
 * Labels and annotations of the in-cluster cluster Secret, where ApplicationSets and
 * applications read who and where this cluster is, and each add-on's namespace, service account
 * and role ARN (ARNs are not valid label values, so they are annotations).
 */
export function clusterMetadata(args: {
    cluster: string;
    environment: string;
    region: string;
    addons: Readonly<Record<string, { namespace: string; serviceAccount?: string; roleArn?: string }>>;
}) {
    const annotations: Record<string, string> = {};
    for (const [name, addon] of Object.entries(args.addons)) {
        annotations[`platform/${name}.namespace`] = addon.namespace;
        if (addon.serviceAccount) annotations[`platform/${name}.service-account`] = addon.serviceAccount;
        if (addon.roleArn) annotations[`platform/${name}.role-arn`] = addon.roleArn;
    }
    return {
        labels: {
            "argocd.argoproj.io/secret-type": "cluster",
            "platform/environment": args.environment,
            "platform/region": args.region,
            "platform/cluster": args.cluster,
        },
        annotations,
    };
}

/**
 * Argo CD with SSO, its secrets from Secrets Manager, the platform and teams projects, and the
 * ApplicationSet that hands the cluster to the GitOps repository.
 *
 * Teardown: the namespace, release and bootstrap objects are deleted with the cluster rather
 * than one by one, so destroying a region never waits on Argo CD finalizers; removed alone, the
 * ApplicationSet goes first and leaves its applications' resources in place.
 */
export class ArgoCD extends pulumi.ComponentResource {
    constructor(name: string, args: ArgoCDArgs, opts?: pulumi.ComponentResourceOptions) {
        super("platform:addons:ArgoCD", name, {}, opts);
        const { cluster, settings } = args;
        const k8sOpts = { parent: this, provider: cluster.provider, deletedWith: cluster.eks };

        const namespace = platformNamespace(`${name}-namespace`, DEFAULTS.namespace, "baseline", k8sOpts, GATEWAY_ACCESS);

        const secrets: ExternalSecretSpec[] = [
            {
                name: DEFAULTS.repositorySecret,
                namespace: DEFAULTS.namespace,
                extract: settings.repository.credentialsSecretName,
                labels: { "argocd.argoproj.io/secret-type": "repo-creds" },
                literals: { type: "git", url: settings.repository.url },
            },
        ];
        if (settings.sso) {
            secrets.push({
                name: DEFAULTS.oidcSecret,
                namespace: DEFAULTS.namespace,
                entries: [{ secretKey: "clientSecret", key: settings.sso.clientSecretName, property: "clientSecret" }],
                labels: { "app.kubernetes.io/part-of": "argocd" },
            });
        }
        const synced = secrets.map((secret) =>
            externalSecret(`${name}-secret-${secret.name}`, secret, { ...k8sOpts, dependsOn: [namespace, ...args.secretStore] }),
        );

        const metadata = pulumi
            .output(args.addons)
            .apply((addons) => clusterMetadata({ cluster: cluster.name, environment: args.environment, region: cluster.region, addons }));
        new k8s.core.v1.Secret(
            `${name}-in-cluster`,
            {
                metadata: { name: "in-cluster", namespace: DEFAULTS.namespace, labels: metadata.labels, annotations: metadata.annotations },
                stringData: {
                    name: "in-cluster",
                    server: DEFAULTS.inCluster,
                    config: JSON.stringify({ tlsClientConfig: { insecure: false } }),
                },
            },
            { ...k8sOpts, dependsOn: [namespace] },
        );

        // Not waiting for the synced secrets: Argo CD reads repository credentials and the OIDC
        // client secret when it needs them, not at start-up.
        const release = platformRelease(
            `${name}-release`,
            {
                cluster,
                source: "argo-cd",
                chart: "argo-cd",
                release: "argo-cd",
                namespace: DEFAULTS.namespace,
                version: args.chartVersion,
                values: argocdValues({
                    url: args.url,
                    sso: settings.sso,
                    highAvailability: args.highAvailability,
                    gateway: { ...args.gateway },
                }),
                timeout: 900,
            },
            { ...k8sOpts, dependsOn: [...args.dependsOn, namespace] },
        );

        const projects = appProjectSpecs({ repository: settings.repository.url, teams: args.teams });
        const bootstrap = { ...k8sOpts, dependsOn: [release] };
        const projectResources = Object.entries(projects).map(
            ([project, spec]) =>
                new k8s.apiextensions.CustomResource(
                    `${name}-project-${project}`,
                    {
                        apiVersion: "argoproj.io/v1alpha1",
                        kind: "AppProject",
                        metadata: { name: project, namespace: DEFAULTS.namespace },
                        spec,
                    },
                    bootstrap,
                ),
        );
        // Their generators list the repositories: they wait for the credentials the store syncs.
        // Logical names by what each generates from, as before the cluster folder was split by project.
        const clusterSets = clusterApplicationSetSpecs({
            repository: settings.repository.url,
            revision: settings.repository.revision,
            path: args.path,
            teams: args.teams,
        });
        const applicationSets = [
            ...Object.entries(clusterSets).map(([setName, spec]) => ({
                logical: setName === "cluster-applications" ? `${name}-applications` : `${name}-${setName}`,
                setName,
                spec,
            })),
            ...Object.entries(args.teams).map(([team, teamSettings]) => ({
                logical: `${name}-team-${team}`,
                setName: `${teamProject(team)}-applications`,
                spec: teamApplicationSetSpec({ team, settings: teamSettings, environment: args.environment, region: cluster.region }),
            })),
        ];
        for (const { logical, setName, spec } of applicationSets) {
            new k8s.apiextensions.CustomResource(
                logical,
                {
                    apiVersion: "argoproj.io/v1alpha1",
                    kind: "ApplicationSet",
                    metadata: { name: setName, namespace: DEFAULTS.namespace },
                    spec,
                },
                { ...bootstrap, dependsOn: [release, ...projectResources, ...synced] },
            );
        }

        this.registerOutputs({});
    }
}
