import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { ClusterHandle } from "../../shared/cluster-handle";
import { platformRelease } from "../../shared/kubernetes";
import { ciliumOperatorPolicy } from "./policies";
import { createWorkloadRole } from "../../shared/roles";
import { SYSTEM_PLACEMENT, SYSTEM_TAINT, tolerate } from "../../shared/scheduling";

export interface CiliumArgs {
    readonly cluster: ClusterHandle;
    /** Cilium cluster ID, unique in the fleet so a ClusterMesh can join clusters later. */
    readonly clusterId: number;
    readonly vpcId: pulumi.Input<string>;
    readonly chartVersion: string;
    readonly operatorRoleName: string;
    readonly highAvailability: boolean;
    /** What the operator needs before it starts: the Gateway API CRDs, the ServiceMonitor CRD. */
    readonly dependsOn: pulumi.Input<pulumi.Resource>[];
}

export const DEFAULTS = {
    namespace: "kube-system",
    release: "cilium",
    operatorServiceAccount: "cilium-operator",
    operatorReplicas: 2,
    hubbleMetrics: ["dns", "drop", "tcp", "flow", "icmp", "port-distribution"],
} as const;

export interface CiliumValuesArgs<Host> {
    readonly cluster: string;
    readonly clusterId: number;
    readonly apiServerHost: Host;
    /** Two Hubble Relays, spread and with a disruption budget. */
    readonly highAvailability: boolean;
}

/** The chart's default operator tolerations, which a values list replaces rather than extends. */
const OPERATOR_DEFAULT_TOLERATIONS = [
    "node-role.kubernetes.io/control-plane",
    "node.kubernetes.io/not-ready",
    "node.cloudprovider.kubernetes.io/uninitialized",
].map((key) => ({ key, operator: "Exists" as const }));

/**
 * Helm values for Cilium 1.20 on EKS: ENI IPAM (pods get VPC addresses), native routing,
 * kube-proxy replacement, the Gateway API controller, no masquerading (pod addresses stay routable in the VPC, as a later
 * ClusterMesh needs), Hubble with metrics, and the operator on the system nodes. Generic over the
 * API server host so that tests pass a string and the component passes an Output.
 */
export function ciliumValues<Host>(args: CiliumValuesArgs<Host>) {
    return {
        cluster: { name: args.cluster, id: args.clusterId },
        k8sServiceHost: args.apiServerHost,
        k8sServicePort: 443,
        kubeProxyReplacement: "true",
        routingMode: "native",
        ipam: { mode: "eni" },
        eni: { enabled: true, awsReleaseExcessIPs: true },
        enableIPv4Masquerade: false,
        rollOutCiliumPods: true,
        resources: { requests: { cpu: "100m", memory: "512Mi" } },
        // ServiceMonitors need the Prometheus Operator CRDs, installed before Cilium.
        prometheus: { enabled: true, serviceMonitor: { enabled: true, trustCRDsExist: true } },
        operator: {
            replicas: DEFAULTS.operatorReplicas,
            rollOutPods: true,
            // Node labels, not chart settings: the chart's only default entry is kubernetes.io/os.
            nodeSelector: { "kubernetes.io/os": "linux", ...SYSTEM_PLACEMENT.nodeSelector },
            tolerations: [...OPERATOR_DEFAULT_TOLERATIONS, tolerate(SYSTEM_TAINT)],
            topologySpreadConstraints: [{ maxSkew: 1, topologyKey: "topology.kubernetes.io/zone", whenUnsatisfiable: "ScheduleAnyway" }],
            podDisruptionBudget: { enabled: true, maxUnavailable: 1 },
            prometheus: { enabled: true, serviceMonitor: { enabled: true } },
            resources: { requests: { cpu: "50m", memory: "128Mi" }, limits: { memory: "1Gi" } },
        },
        // The Gateway API implementation: every Gateway gets Cilium's Envoy, behind a LoadBalancer
        // Service. The chart creates the GatewayClass "cilium" (and an admission policy that wants
        // one certificate per TLS listener) whether or not it sees the CRDs, which come first
        // anyway. The load balancer in front speaks PROXY protocol v2 to every listener, so Envoy
        // sees client addresses (see the Ingress component).
        gatewayAPI: { enabled: true, enableProxyProtocol: true, gatewayClass: { create: "true" } },
        // The per-node proxy of L7 policies and ingress. No memory limit on the agent itself: an
        // OOM-killed agent stops the node's networking; Envoy restarts without that cost.
        envoy: { resources: { requests: { cpu: "50m", memory: "128Mi" }, limits: { memory: "1Gi" } } },
        hubble: {
            enabled: true,
            metrics: { enabled: [...DEFAULTS.hubbleMetrics], enableOpenMetrics: true, serviceMonitor: { enabled: true } },
            // Relay aggregates flows for the CLI and UI: a platform pod, on the system nodes.
            relay: {
                enabled: true,
                replicas: args.highAvailability ? 2 : 1,
                nodeSelector: { "kubernetes.io/os": "linux", ...SYSTEM_PLACEMENT.nodeSelector },
                tolerations: [tolerate(SYSTEM_TAINT)],
                topologySpreadConstraints: [
                    {
                        maxSkew: 1,
                        topologyKey: "topology.kubernetes.io/zone",
                        whenUnsatisfiable: "ScheduleAnyway",
                        labelSelector: { matchLabels: { "k8s-app": "hubble-relay" } },
                    },
                ],
                podDisruptionBudget: { enabled: args.highAvailability, maxUnavailable: 1 },
                resources: { requests: { cpu: "50m", memory: "64Mi" }, limits: { memory: "512Mi" } },
            },
        },
    };
}

/**
 * Cilium as the cluster's CNI, with the operator's own least-privilege Pod Identity role.
 *
 * Order: nodes cannot become Ready without Cilium, and a managed node group fails to create
 * while its nodes stay NotReady. So Cilium is installed as soon as the control plane and the
 * Pod Identity agent exist, and the node groups wait for this release, not the other way round.
 * The release does not wait for its pods (skipAwait): the operator Deployment cannot be ready
 * before nodes exist, and the nodes wait for the release. Once nodes join, the agent (which
 * tolerates every taint) starts on each, the operator allocates ENI addresses with its Pod
 * Identity credentials and removes the node.cilium.io/agent-not-ready taint, and the node
 * groups become ACTIVE. Health is then proven by the node groups and by CoreDNS, which only
 * becomes ACTIVE when pod networking works.
 */
export class Cilium extends pulumi.ComponentResource {
    readonly release: k8s.helm.v3.Release;
    readonly operatorRoleArn: pulumi.Output<string>;

    constructor(name: string, args: CiliumArgs, opts?: pulumi.ComponentResourceOptions) {
        super("platform:addons:Cilium", name, {}, opts);
        const cluster = args.cluster;
        // The Pod Identity webhook injects credentials only into pods created after the
        // association exists, so the release waits for it.
        const { role, grants, association } = createWorkloadRole(
            `${name}-operator`,
            {
                cluster,
                roleName: args.operatorRoleName,
                description: `Cilium operator (ENI IPAM) of ${cluster.name}`,
                namespace: DEFAULTS.namespace,
                serviceAccount: DEFAULTS.operatorServiceAccount,
                policies: {
                    "eni-ipam": pulumi
                        .all([cluster.scope, args.vpcId])
                        .apply(([s, vpcId]) => ciliumOperatorPolicy(s, { vpcId, cluster: cluster.name })),
                },
            },
            this,
        );

        const apiServerHost = cluster.endpoint.apply((url) => url.replace(/^https:\/\//, ""));
        this.release = platformRelease(
            `${name}-release`,
            {
                cluster,
                source: "cilium",
                chart: "cilium",
                release: DEFAULTS.release,
                namespace: DEFAULTS.namespace,
                version: args.chartVersion,
                values: ciliumValues({
                    cluster: cluster.name,
                    clusterId: args.clusterId,
                    apiServerHost,
                    highAvailability: args.highAvailability,
                }),
                wait: false,
            },
            { parent: this, provider: cluster.provider, dependsOn: [...args.dependsOn, association, ...grants] },
        );

        this.operatorRoleArn = role.arn;
        this.registerOutputs({ operatorRoleArn: this.operatorRoleArn });
    }
}
