import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { PLATFORM_NAMESPACES } from "../../../stacks/config/catalog";
import type { ClusterHandle } from "../../shared/cluster-handle";
import { platformNamespace, platformRelease } from "../../shared/kubernetes";
import { externalSecretsPolicy } from "./policies";
import { createWorkloadRole } from "../../shared/roles";
import { SYSTEM_PLACEMENT, zoneSpread } from "../../shared/scheduling";

export interface ExternalSecretsArgs {
    readonly cluster: ClusterHandle;
    readonly chartVersion: string;
    readonly roleName: string;
    /** Secrets Manager name prefix the controller may read, e.g. "prod/". */
    readonly prefix: string;
    /** Key the secrets are encrypted with, when it is a customer-managed one. */
    readonly kmsKeyArn?: string;
    /** Namespaces (besides the platform's) and namespace patterns that may use the store. */
    /** Names of the teams' secret roles, as an IAM wildcard (e.g. <cluster>-team-*): the controller may assume them. */
    readonly teamRoles: string;
    readonly highAvailability: boolean;
    /** The controller runs on the system node group: it waits for the node groups. */
    readonly dependsOn: pulumi.Input<pulumi.Resource>[];
}

export const DEFAULTS = {
    namespace: "external-secrets",
    serviceAccount: "external-secrets",
    store: "aws-secrets-manager",
} as const;

/** One ESO workload's placement and sizing: system nodes, spread and protected when HA. */
function workload(ha: boolean, app: string, resources: { cpu: string; memory: string; limit: string }) {
    return {
        replicaCount: ha ? 2 : 1,
        metrics: { service: { enabled: true } },
        nodeSelector: { ...SYSTEM_PLACEMENT.nodeSelector },
        tolerations: [...SYSTEM_PLACEMENT.tolerations],
        topologySpreadConstraints: ha ? zoneSpread({ "app.kubernetes.io/name": app }) : [],
        podDisruptionBudget: { enabled: ha, minAvailable: 1 },
        resources: { requests: { cpu: resources.cpu, memory: resources.memory }, limits: { memory: resources.limit } },
    };
}

/**
 * Helm values of the external-secrets chart: CRDs installed (and upgraded) by the chart, the
 * controller, webhook and certificate controller on the system nodes, two of each with leader
 * election when highly available.
 */
export function externalSecretsValues(args: { highAvailability: boolean }) {
    const ha = args.highAvailability;
    return {
        installCRDs: true,
        serviceAccount: { name: DEFAULTS.serviceAccount },
        leaderElect: ha,
        serviceMonitor: { enabled: true },
        ...workload(ha, "external-secrets", { cpu: "50m", memory: "128Mi", limit: "512Mi" }),
        // The chart's health server (--live-addr) answers both probes; off by default.
        livenessProbe: { enabled: true },
        readinessProbe: { enabled: true },
        webhook: {
            ...workload(ha, "external-secrets-webhook", { cpu: "20m", memory: "64Mi", limit: "256Mi" }),
            livenessProbe: { enabled: true },
        },
        certController: {
            ...workload(ha, "external-secrets-cert-controller", { cpu: "20m", memory: "64Mi", limit: "256Mi" }),
            livenessProbe: { enabled: true },
        },
    };
}

/**
 * The ClusterSecretStore for AWS Secrets Manager in the cluster's region. It names no
 * credentials: the controller's Pod Identity role is the only way in. Only the platform's
 * namespaces and those the stack file lists may use it.
 */
export function clusterSecretStoreSpec(args: { region: string; namespaces: readonly string[]; namespacePatterns: readonly string[] }) {
    return {
        provider: { aws: { service: "SecretsManager", region: args.region } },
        conditions: [
            {
                namespaces: [...args.namespaces],
                ...(args.namespacePatterns.length > 0 ? { namespaceRegexes: [...args.namespacePatterns] } : {}),
            },
        ],
    };
}

/** A secret in a namespace, copied from Secrets Manager and owned by its ExternalSecret. */
export interface ExternalSecretSpec {
    readonly name: string;
    readonly namespace: string;
    /** Either every JSON property of one Secrets Manager secret, as secret keys... */
    readonly extract?: string;
    /** ...or chosen properties of one or more secrets. */
    readonly entries?: ReadonlyArray<{ readonly secretKey: string; readonly key: string; readonly property: string }>;
    readonly labels?: Readonly<Record<string, string>>;
    /** Fixed entries added to the secret (not secret themselves, e.g. a repository URL). */
    readonly literals?: Readonly<Record<string, string>>;
}

export function externalSecretSpec(secret: ExternalSecretSpec) {
    return {
        refreshInterval: "1h",
        secretStoreRef: { kind: "ClusterSecretStore", name: DEFAULTS.store },
        target: {
            name: secret.name,
            creationPolicy: "Owner",
            ...(secret.labels || secret.literals
                ? {
                      template: {
                          engineVersion: "v2",
                          mergePolicy: "Merge",
                          metadata: { labels: { ...secret.labels } },
                          data: { ...secret.literals },
                      },
                  }
                : {}),
        },
        ...(secret.entries
            ? {
                  data: secret.entries.map((entry) => ({
                      secretKey: entry.secretKey,
                      remoteRef: { key: entry.key, property: entry.property },
                  })),
              }
            : {}),
        ...(secret.extract ? { dataFrom: [{ extract: { key: secret.extract } }] } : {}),
    };
}

/** The ExternalSecret resource for a spec. */
export function externalSecret(
    name: string,
    secret: ExternalSecretSpec,
    opts: pulumi.CustomResourceOptions,
): k8s.apiextensions.CustomResource {
    return new k8s.apiextensions.CustomResource(
        name,
        {
            apiVersion: "external-secrets.io/v1",
            kind: "ExternalSecret",
            metadata: { name: secret.name, namespace: secret.namespace },
            spec: externalSecretSpec(secret),
        },
        opts,
    );
}

/**
 * External Secrets Operator with a Pod Identity role that reads only this environment's secrets
 * in this region, and the cluster's ClusterSecretStore for AWS Secrets Manager.
 */
export class ExternalSecrets extends pulumi.ComponentResource {
    readonly storeName = DEFAULTS.store;
    readonly roleArn: pulumi.Output<string>;
    /** The store: ExternalSecrets that use it are created after it. */
    readonly ready: pulumi.Resource[];

    constructor(name: string, args: ExternalSecretsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("platform:addons:ExternalSecrets", name, {}, opts);
        const cluster = args.cluster;
        const k8sOpts = { parent: this, provider: cluster.provider, deletedWith: cluster.eks };

        const role = createWorkloadRole(
            `${name}-controller`,
            {
                cluster,
                roleName: args.roleName,
                description: `External Secrets of ${cluster.name}: reads ${args.prefix}* in Secrets Manager`,
                namespace: DEFAULTS.namespace,
                serviceAccount: DEFAULTS.serviceAccount,
                policies: {
                    "read-environment-secrets": cluster.scope.apply((s) =>
                        externalSecretsPolicy(s, { prefix: args.prefix, kmsKeyArn: args.kmsKeyArn, teamRoles: args.teamRoles }),
                    ),
                },
            },
            this,
        );

        const namespace = platformNamespace(`${name}-namespace`, DEFAULTS.namespace, "restricted", k8sOpts);
        const release = platformRelease(
            `${name}-release`,
            {
                cluster,
                source: "external-secrets",
                chart: "external-secrets",
                release: "external-secrets",
                namespace: DEFAULTS.namespace,
                version: args.chartVersion,
                values: externalSecretsValues({ highAvailability: args.highAvailability }),
            },
            { ...k8sOpts, dependsOn: [...args.dependsOn, namespace, role.association, ...role.grants] },
        );

        const store = new k8s.apiextensions.CustomResource(
            `${name}-store`,
            {
                apiVersion: "external-secrets.io/v1",
                kind: "ClusterSecretStore",
                metadata: { name: DEFAULTS.store },
                spec: clusterSecretStoreSpec({
                    region: cluster.region,
                    // The platform's namespaces only: teams have stores of their own.
                    namespaces: [...PLATFORM_NAMESPACES],
                    namespacePatterns: [],
                }),
            },
            { ...k8sOpts, dependsOn: [release] },
        );

        this.roleArn = role.role.arn;
        this.ready = [store];
        this.registerOutputs({ roleArn: this.roleArn, storeName: this.storeName });
    }
}
