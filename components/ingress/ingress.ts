import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { PARTITION } from "../../stacks/config/catalog";
import type { IngressSettings } from "../../stacks/config/schema";
import type { ClusterHandle } from "../shared/cluster-handle";
import { platformNamespace, platformRelease } from "../shared/kubernetes";
import type { PolicyDocument } from "../shared/iam";
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
    REDIRECT_ANNOTATIONS,
    redirectRouteSpec,
    reservedHostnamesPolicy,
} from "./values";

export interface IngressArgs {
    readonly cluster: ClusterHandle;
    /** The version lock's charts: the load balancer controller's, cert-manager's and ExternalDNS's. */
    readonly charts: Readonly<Record<ControllerChart, string>>;
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

        const lbc = this.controller(name, args, {
            chart: "aws-load-balancer-controller",
            identity: DEFAULTS.loadBalancerController,
            roleName: args.roleNames.loadBalancerController,
            description: `AWS Load Balancer Controller of ${cluster.name}`,
            policy: pulumi
                .all([cluster.scope, args.vpcId])
                .apply(([scope, vpcId]) => loadBalancerControllerPolicy(scope, { cluster: cluster.name, vpcId })),
            values: pulumi.output(args.vpcId).apply((vpcId) =>
                loadBalancerControllerValues({
                    cluster: cluster.name,
                    region: cluster.region,
                    vpcId,
                    tags: cluster.tags,
                    unmutatedNamespaces: args.platformNamespaces.filter((ns) => ns !== DEFAULTS.gateway.namespace),
                }),
            ),
            dependsOn: [],
        });
        const certManager = this.controller(name, args, {
            chart: "cert-manager",
            identity: DEFAULTS.certManager,
            roleName: args.roleNames.certManager,
            description: `cert-manager DNS-01 challenges for ${hostname} (${cluster.name})`,
            policy: certManagerPolicy(PARTITION, zone),
            values: certManagerValues({ highAvailability: args.highAvailability }),
            dependsOn: [],
        });
        const issuer = new k8s.apiextensions.CustomResource(
            `${name}-issuer`,
            {
                apiVersion: "cert-manager.io/v1",
                kind: "ClusterIssuer",
                metadata: { name: DEFAULTS.issuer },
                spec: clusterIssuerSpec({ ...settings.certificates, region: cluster.region, ...zone }),
            },
            { ...k8sOpts, dependsOn: [certManager.release] },
        );

        const externalDns = this.controller(name, args, {
            chart: "external-dns",
            identity: DEFAULTS.externalDns,
            roleName: args.roleNames.externalDns,
            description: `ExternalDNS records under ${hostname} (${cluster.name})`,
            policy: externalDnsPolicy(PARTITION, zone),
            values: externalDnsValues({ cluster: cluster.name, region: cluster.region, ...zone }),
            dependsOn: [],
        });

        // Teardown: Cilium's Service of the Gateway carries the load balancer controller's
        // finalizer until the controller has deleted the load balancer, and its owner reference to
        // the Gateway does not block the Gateway's deletion. Deleting the namespace waits for every
        // object in it (and the Kubernetes provider waits for a deleted namespace to be gone), so
        // the namespace waits for the controller (and ExternalDNS, which removes
        // the Gateway's records): destroying a region deletes the Gateway, then its namespace,
        // once the NLB is gone, and only then the controllers. None of it is deleted with the
        // cluster, which would leave the NLB and its security groups in the VPC.
        const gatewayNamespace = platformNamespace(`${name}-gateway`, DEFAULTS.gateway.namespace, "restricted", {
            ...k8sOpts,
            dependsOn: [lbc.release, externalDns.release],
        });
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
            { ...k8sOpts, dependsOn: [...args.dependsOn, lbc.release, gatewayNamespace] },
        );
        new k8s.apiextensions.CustomResource(
            `${name}-https-redirect`,
            {
                apiVersion: "gateway.networking.k8s.io/v1",
                kind: "HTTPRoute",
                metadata: { name: "https-redirect", namespace: DEFAULTS.gateway.namespace, annotations: { ...REDIRECT_ANNOTATIONS } },
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

        this.roleArns = { loadBalancerController: lbc.roleArn, certManager: certManager.roleArn, externalDns: externalDns.roleArn };
        this.registerOutputs({ hostname });
    }

    /**
     * One controller: its namespace (kube-system is there already), its Pod Identity role with
     * one inline policy, and its chart, installed once the role is bound so its pods start with
     * credentials.
     */
    private controller(
        name: string,
        args: IngressArgs,
        spec: ControllerSpec,
    ): { release: pulumi.Resource; roleArn: pulumi.Output<string> } {
        const { cluster } = args;
        const k8sOpts = { parent: this, provider: cluster.provider };
        const { namespace, release, serviceAccount } = spec.identity;
        const key = `${name}-${release}`;
        const created = namespace === "kube-system" ? [] : [platformNamespace(`${key}-namespace`, namespace, "restricted", k8sOpts)];
        const role = createWorkloadRole(
            key,
            {
                cluster,
                roleName: spec.roleName,
                description: spec.description,
                namespace,
                serviceAccount,
                policies: { [release]: spec.policy },
            },
            this,
        );
        const chart = platformRelease(
            key,
            { cluster, source: spec.chart, chart: spec.chart, release, namespace, version: args.charts[spec.chart], values: spec.values },
            { ...k8sOpts, dependsOn: [...args.dependsOn, ...spec.dependsOn, ...created, role.association, ...role.grants] },
        );
        return { release: chart, roleArn: role.role.arn };
    }
}

type ControllerChart = "aws-load-balancer-controller" | "cert-manager" | "external-dns";

interface ControllerSpec {
    readonly chart: ControllerChart;
    readonly identity: { readonly namespace: string; readonly release: string; readonly serviceAccount: string };
    readonly roleName: string;
    readonly description: string;
    readonly policy: pulumi.Input<PolicyDocument>;
    readonly values: pulumi.Input<Record<string, unknown>>;
    /** What the chart waits for besides the cluster's nodes and CRDs. */
    readonly dependsOn: pulumi.Input<pulumi.Resource>[];
}
