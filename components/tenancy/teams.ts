import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { TeamSettings } from "../../stacks/config/fields/teams";
import type { ClusterHandle } from "../shared/cluster-handle";

/** Label every team namespace carries, with the team's name: for policies and cost attribution. */
export const TEAM_LABEL = "platform/team";

export interface TeamsArgs {
    readonly cluster: ClusterHandle;
    readonly teams: Readonly<Record<string, TeamSettings>>;
    /** The namespace Prometheus scrapes from: always admitted into every team namespace. */
    readonly monitoringNamespace: string;
    /** Network policies are enforced by the CNI: they wait for it. */
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
 * The teams' namespaces in one cluster: labelled with the team, enforcing Pod Security
 * `restricted`, each with the team's ResourceQuota and LimitRange and network policies that deny
 * by default.
 */
export class Teams extends pulumi.ComponentResource {
    constructor(name: string, args: TeamsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("platform:tenancy:Teams", name, {}, opts);
        const k8sOpts = { parent: this, provider: args.cluster.provider };
        for (const [team, settings] of Object.entries(args.teams)) {
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
            }
        }
        this.registerOutputs({});
    }
}
