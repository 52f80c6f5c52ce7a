import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { PARTITION } from "../../stacks/config/catalog";
import type { IngressSettings } from "../../stacks/config/schema";
import type { ClusterHandle } from "../shared/cluster-handle";
import { platformNamespace, platformRelease } from "../shared/kubernetes";
import { createWorkloadRole } from "../shared/roles";
import { certManagerPolicy, externalDnsPolicy, loadBalancerControllerPolicy } from "./policies";
import {
    DEFAULTS,
    certManagerValues,
    certificateSpec,
    clusterIssuerSpec,
    externalDnsValues,
    gatewaySpec,
    loadBalancerControllerValues,
    redirectRouteSpec,
    reservedHostnamesPolicy,
} from "./values";

export interface IngressArgs {
    readonly cluster: ClusterHandle;
    /** The version lock's charts: the load balancer controller's, cert-manager's and ExternalDNS's. */
    readonly charts: Readonly<Record<"aws-load-balancer-controller" | "cert-manager" | "external-dns", string>>;
    readonly settings: IngressSettings;
    /** The cluster's hostname: the Gateway serves <name>.<hostname>. */
    readonly hostname: string;
    readonly vpcId: pulumi.Input<string>;
    readonly roleNames: { readonly loadBalancerController: string; readonly certManager: string; readonly externalDns: string };
    readonly highAvailability: boolean;
    /** Hostnames of the platform's own UIs, which no team route may claim. */
    readonly reservedHostnames: readonly string[];
    /** Namespaces of the platform, whose routes are not checked. */
    readonly platformNamespaces: readonly string[];
    /** The system nodes the controllers run on, the Gateway API CRDs, Cilium, the ServiceMonitor CRD. */
    readonly dependsOn: pulumi.Input<pulumi.Resource>[];
}

/**
 * North-south traffic into one cluster, role by role: the platform owns one Gateway of Cilium's
 * GatewayClass (which Cilium's chart creates) in the `gateway` namespace (HTTPS for *.<hostname>, HTTP only to redirect), fronted by a
 * Network Load Balancer that the AWS Load Balancer Controller provisions from the Gateway's
 * Service; teams attach HTTPRoutes from the namespaces the platform labelled, and cannot change
 * the Gateway. cert-manager keeps the Gateway's wildcard certificate (ACME DNS-01 in the stack's
 * zone); ExternalDNS writes an alias record for every hostname routed through the Gateway.
 *
 * Why certificates from cert-manager and not ACM: an NLB can only terminate TLS itself with an
 * ACM certificate, and then the Gateway would receive plain HTTP on its HTTPS port, its listeners
 * would lie about their protocol, and HTTP-to-HTTPS redirects could not tell the two apart. With
 * the certificate in the cluster, Envoy terminates TLS on the listener teams see.
 *
 * Order: the controller and its webhook are ready before the Gateway exists, so the Gateway's
 * LoadBalancer Service is admitted by the controller's webhook and never provisioned as a Classic
 * Load Balancer by the in-tree cloud provider.
 */
export class Ingress extends pulumi.ComponentResource {
    /** The Gateway: apps that attach routes to it wait for it. */
    readonly gateway: pulumi.Resource;
    readonly roleArns: Readonly<Record<"loadBalancerController" | "certManager" | "externalDns", pulumi.Output<string>>>;

    constructor(name: string, args: IngressArgs, opts?: pulumi.ComponentResourceOptions) {
        super("platform:ingress:Ingress", name, {}, opts);
        const { cluster, settings, hostname } = args;
        const k8sOpts = { parent: this, provider: cluster.provider };
        const zone = { zoneId: settings.hostedZoneId, hostname };

        const lbc = createWorkloadRole(
            `${name}-lb-controller`,
            {
                cluster,
                roleName: args.roleNames.loadBalancerController,
                description: `AWS Load Balancer Controller of ${cluster.name}`,
                namespace: DEFAULTS.loadBalancerController.namespace,
                serviceAccount: DEFAULTS.loadBalancerController.serviceAccount,
                policies: {
                    "load-balancers": pulumi
                        .all([cluster.scope, args.vpcId])
                        .apply(([scope, vpcId]) => loadBalancerControllerPolicy(scope, { cluster: cluster.name, vpcId })),
                },
            },
            this,
        );
        const controller = platformRelease(
            `${name}-lb-controller`,
            {
                source: "aws-load-balancer-controller",
                chart: "aws-load-balancer-controller",
                release: DEFAULTS.loadBalancerController.release,
                namespace: DEFAULTS.loadBalancerController.namespace,
                version: args.charts["aws-load-balancer-controller"],
                values: pulumi
                    .output(args.vpcId)
                    .apply((vpcId) =>
                        loadBalancerControllerValues({ cluster: cluster.name, region: cluster.region, vpcId, tags: cluster.tags }),
                    ),
            },
            { ...k8sOpts, dependsOn: [...args.dependsOn, lbc.association, ...lbc.grants] },
        );

        const certManagerNamespace = platformNamespace(`${name}-cert-manager`, DEFAULTS.certManager.namespace, "restricted", k8sOpts);
        const certManagerRole = createWorkloadRole(
            `${name}-cert-manager`,
            {
                cluster,
                roleName: args.roleNames.certManager,
                description: `cert-manager DNS-01 challenges for ${hostname} (${cluster.name})`,
                namespace: DEFAULTS.certManager.namespace,
                serviceAccount: DEFAULTS.certManager.serviceAccount,
                policies: { "dns01-challenges": certManagerPolicy(PARTITION, zone) },
            },
            this,
        );
        const certManager = platformRelease(
            `${name}-cert-manager`,
            {
                source: "cert-manager",
                chart: "cert-manager",
                release: DEFAULTS.certManager.release,
                namespace: DEFAULTS.certManager.namespace,
                version: args.charts["cert-manager"],
                values: certManagerValues({ highAvailability: args.highAvailability }),
            },
            { ...k8sOpts, dependsOn: [...args.dependsOn, certManagerNamespace, certManagerRole.association, ...certManagerRole.grants] },
        );
        const issuer = new k8s.apiextensions.CustomResource(
            `${name}-issuer`,
            {
                apiVersion: "cert-manager.io/v1",
                kind: "ClusterIssuer",
                metadata: { name: DEFAULTS.issuer },
                spec: clusterIssuerSpec({ ...settings.certificates, region: cluster.region, ...zone }),
            },
            { ...k8sOpts, dependsOn: [certManager] },
        );

        const gatewayNamespace = platformNamespace(`${name}-gateway`, DEFAULTS.gateway.namespace, "restricted", k8sOpts);
        // The Gateway does not wait for its certificate: Cilium serves the HTTPS listener as soon as
        // cert-manager has written the Secret, a minute or two after the first DNS-01 challenge.
        new k8s.apiextensions.CustomResource(
            `${name}-certificate`,
            {
                apiVersion: "cert-manager.io/v1",
                kind: "Certificate",
                metadata: { name: DEFAULTS.gateway.tlsSecret, namespace: DEFAULTS.gateway.namespace },
                spec: certificateSpec(hostname),
            },
            { ...k8sOpts, dependsOn: [issuer, gatewayNamespace] },
        );
        this.gateway = new k8s.apiextensions.CustomResource(
            `${name}-gateway`,
            {
                apiVersion: "gateway.networking.k8s.io/v1",
                kind: "Gateway",
                metadata: { name: DEFAULTS.gateway.name, namespace: DEFAULTS.gateway.namespace },
                spec: gatewaySpec({ hostname, scheme: settings.scheme, allowedCidrs: settings.allowedCidrs }),
            },
            { ...k8sOpts, dependsOn: [...args.dependsOn, controller, gatewayNamespace] },
        );
        new k8s.apiextensions.CustomResource(
            `${name}-https-redirect`,
            {
                apiVersion: "gateway.networking.k8s.io/v1",
                kind: "HTTPRoute",
                metadata: { name: "https-redirect", namespace: DEFAULTS.gateway.namespace },
                spec: redirectRouteSpec(),
            },
            { ...k8sOpts, dependsOn: [this.gateway] },
        );

        const reserved = new k8s.admissionregistration.v1.ValidatingAdmissionPolicy(
            `${name}-reserved-hostnames`,
            {
                metadata: { name: "platform-reserved-hostnames" },
                spec: reservedHostnamesPolicy({ hostnames: args.reservedHostnames, platformNamespaces: args.platformNamespaces }),
            },
            { ...k8sOpts, dependsOn: args.dependsOn },
        );
        new k8s.admissionregistration.v1.ValidatingAdmissionPolicyBinding(
            `${name}-reserved-hostnames`,
            {
                metadata: { name: "platform-reserved-hostnames" },
                spec: { policyName: "platform-reserved-hostnames", validationActions: ["Deny"] },
            },
            { ...k8sOpts, dependsOn: [reserved] },
        );

        const externalDnsNamespace = platformNamespace(`${name}-external-dns`, DEFAULTS.externalDns.namespace, "restricted", k8sOpts);
        const externalDnsRole = createWorkloadRole(
            `${name}-external-dns`,
            {
                cluster,
                roleName: args.roleNames.externalDns,
                description: `ExternalDNS records under ${hostname} (${cluster.name})`,
                namespace: DEFAULTS.externalDns.namespace,
                serviceAccount: DEFAULTS.externalDns.serviceAccount,
                policies: { records: externalDnsPolicy(PARTITION, zone) },
            },
            this,
        );
        platformRelease(
            `${name}-external-dns`,
            {
                source: "external-dns",
                chart: "external-dns",
                release: DEFAULTS.externalDns.release,
                namespace: DEFAULTS.externalDns.namespace,
                version: args.charts["external-dns"],
                values: externalDnsValues({ cluster: cluster.name, region: cluster.region, ...zone }),
            },
            {
                ...k8sOpts,
                dependsOn: [...args.dependsOn, externalDnsNamespace, externalDnsRole.association, ...externalDnsRole.grants, this.gateway],
            },
        );

        this.roleArns = {
            loadBalancerController: lbc.role.arn,
            certManager: certManagerRole.role.arn,
            externalDns: externalDnsRole.role.arn,
        };
        this.registerOutputs({ hostname });
    }
}
