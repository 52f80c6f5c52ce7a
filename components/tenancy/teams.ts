import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { TeamSettings } from "../../stacks/config/fields/teams";
import type { ClusterHandle } from "../shared/cluster-handle";
import { externalSecretsPolicy } from "../addons/external-secrets/policies";
import { type PolicyDocument, policyDocument } from "../shared/iam";
import { createRole } from "../shared/roles";
import { GATEWAY_ACCESS_LABEL } from "../shared/kubernetes";
import { PARTITION } from "../../stacks/config/catalog";

/** Label every team namespace carries, with the team's name: for policies and cost attribution. */
export const TEAM_LABEL = "platform/team";

export interface TeamsArgs {
    readonly cluster: ClusterHandle;
    readonly teams: Readonly<Record<string, TeamSettings>>;
    /** The namespace Prometheus scrapes from: always admitted into every team namespace. */
    readonly monitoringNamespace: string;
    /** Each team's secrets: its prefix, the role its stores assume, and who may assume that role. */
    readonly secrets: {
        readonly prefix: (team: string) => string;
        readonly kmsKeyArn?: string;
        readonly roleName: (team: string) => string;
        /** External Secrets' controller role: the only principal trusted by the team roles. */
        readonly readerRoleArn: pulumi.Input<string>;
    };
    /** Network policies are enforced by the CNI, secret stores by External Secrets: they wait for both. */
    readonly dependsOn: pulumi.Input<pulumi.Resource>[];
}

/** The ResourceQuota of a team namespace. */
export function quotaSpec(quota: TeamSettings["quota"]) {
    return {
        hard: {
            "requests.cpu": String(quota.cpu),
            "requests.memory": `${quota.memoryGiB}Gi`,
            pods: String(quota.pods),
            "requests.storage": `${quota.storageGiB}Gi`,
            "services.loadbalancers": String(quota.loadBalancers),
        },
    };
}

/**
 * The LimitRange of a team namespace: what a container that sets no requests or memory limit gets,
 * so that it counts against the quota (a quota on requests refuses pods without them otherwise).
 */
export function limitRangeSpec(limits: TeamSettings["limits"]) {
    return {
        limits: [
            {
                type: "Container",
                defaultRequest: { cpu: limits.defaultRequestCpu, memory: limits.defaultRequestMemory },
                default: { memory: limits.defaultLimitMemory },
            },
        ],
    };
}

const namespaceIs = (name: string) => ({ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": name } } });

/**
 * The network policies of a team namespace: nothing in or out by default; out to the cluster's DNS;
 * in from its own namespace, from the monitoring namespace (scraping) and from the namespaces the
 * stack file allows. Egress beyond DNS is the team's to open in its own policies.
 */
export function networkPolicySpecs(args: { ingressFrom: readonly string[]; monitoringNamespace: string }) {
    return {
        "default-deny": { podSelector: {}, policyTypes: ["Ingress", "Egress"] },
        "allow-dns": {
            podSelector: {},
            policyTypes: ["Egress"],
            egress: [
                {
                    to: [{ ...namespaceIs("kube-system"), podSelector: { matchLabels: { "k8s-app": "kube-dns" } } }],
                    ports: [
                        { protocol: "UDP", port: 53 },
                        { protocol: "TCP", port: 53 },
                    ],
                },
            ],
        },
        "allow-ingress": {
            podSelector: {},
            policyTypes: ["Ingress"],
            ingress: [
                {
                    from: [
                        { podSelector: {} },
                        namespaceIs(args.monitoringNamespace),
                        ...[...new Set(args.ingressFrom)].sort().map((namespace) => namespaceIs(namespace)),
                    ],
                },
            ],
        },
    };
}

/**
 * In from the platform Gateway: Cilium's Envoy forwards routed requests with the reserved
 * `ingress` identity, which a Kubernetes NetworkPolicy cannot name
 * (https://docs.cilium.io/en/stable/network/servicemesh/ingress-and-network-policy/).
 */
export function gatewayPolicySpec() {
    return { endpointSelector: {}, ingress: [{ fromEntities: ["ingress"] }] };
}

/** Trust of a team's secrets role: External Secrets' controller, and no one else. */
export function teamRoleTrust(readerRoleArn: string): PolicyDocument {
    return policyDocument({
        Sid: "ExternalSecretsReadsForTheTeam",
        Effect: "Allow",
        Principal: { AWS: readerRoleArn },
        Action: ["sts:AssumeRole", "sts:TagSession"],
    });
}

/** A team's SecretStore: Secrets Manager in the cluster's region, as the team's own role. */
export function teamSecretStoreSpec<Role>(args: { region: string; roleArn: Role }) {
    return { provider: { aws: { service: "SecretsManager", region: args.region, role: args.roleArn } } };
}

/**
 * The teams' namespaces in one cluster: labelled with the team, enforcing Pod Security
 * `restricted`, each with the team's ResourceQuota and LimitRange and network policies that deny
 * by default, and a SecretStore that reads the team's secrets (`<environment>/teams/<team>/`) as a
 * role of the team's that can read nothing else.
 */
export class Teams extends pulumi.ComponentResource {
    constructor(name: string, args: TeamsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("platform:tenancy:Teams", name, {}, opts);
        const k8sOpts = { parent: this, provider: args.cluster.provider };
        for (const [team, settings] of Object.entries(args.teams)) {
            const { role, grants } = createRole(
                `${name}-${team}-secrets`,
                {
                    roleName: args.secrets.roleName(team),
                    description: `Reads the secrets of team ${team} (${args.secrets.prefix(team)}*) for its SecretStores`,
                    trust: pulumi.output(args.secrets.readerRoleArn).apply(teamRoleTrust),
                    policies: {
                        "read-team-secrets": args.cluster.scope.apply((s) =>
                            externalSecretsPolicy(s, { prefix: args.secrets.prefix(team), kmsKeyArn: args.secrets.kmsKeyArn }),
                        ),
                    },
                    partition: PARTITION,
                    tags: { ...args.cluster.tags, [TEAM_LABEL]: team },
                },
                this,
            );
            for (const namespace of settings.namespaces) {
                const key = `${name}-${team}-${namespace}`;
                const labels = { [TEAM_LABEL]: team, "app.kubernetes.io/managed-by": "platform" };
                const created = new k8s.core.v1.Namespace(
                    key,
                    {
                        metadata: {
                            name: namespace,
                            labels: {
                                ...labels,
                                "pod-security.kubernetes.io/enforce": "restricted",
                                "pod-security.kubernetes.io/warn": "restricted",
                                // The platform Gateway's HTTPS listener admits this namespace's HTTPRoutes.
                                [GATEWAY_ACCESS_LABEL]: "true",
                            },
                        },
                    },
                    // Deleting a team's namespace deletes everything the team runs in it.
                    { ...k8sOpts, protect: false, deletedWith: args.cluster.eks },
                );
                const inNamespace = { ...k8sOpts, dependsOn: [created, ...args.dependsOn], deletedWith: args.cluster.eks };
                const metadata = (objectName: string) => ({ name: objectName, namespace, labels });
                new k8s.core.v1.ResourceQuota(key, { metadata: metadata("team-quota"), spec: quotaSpec(settings.quota) }, inNamespace);
                new k8s.core.v1.LimitRange(
                    key,
                    { metadata: metadata("team-defaults"), spec: limitRangeSpec(settings.limits) },
                    inNamespace,
                );
                for (const [policy, spec] of Object.entries(
                    networkPolicySpecs({ ingressFrom: settings.ingressFrom, monitoringNamespace: args.monitoringNamespace }),
                )) {
                    new k8s.networking.v1.NetworkPolicy(`${key}-${policy}`, { metadata: metadata(policy), spec }, inNamespace);
                }
                new k8s.apiextensions.CustomResource(
                    `${key}-allow-gateway`,
                    {
                        apiVersion: "cilium.io/v2",
                        kind: "CiliumNetworkPolicy",
                        metadata: metadata("allow-gateway"),
                        spec: gatewayPolicySpec(),
                    },
                    inNamespace,
                );
                new k8s.apiextensions.CustomResource(
                    `${key}-secrets`,
                    {
                        apiVersion: "external-secrets.io/v1",
                        kind: "SecretStore",
                        metadata: metadata("team-secrets"),
                        spec: teamSecretStoreSpec({ region: args.cluster.region, roleArn: role.arn }),
                    },
                    { ...inNamespace, dependsOn: [created, ...args.dependsOn, ...grants] },
                );
            }
        }
        this.registerOutputs({});
    }
}
