// What north-south traffic is made of, as pure builders: the Helm values of the load balancer
// controller, cert-manager and ExternalDNS, and the Gateway API and cert-manager objects of a
// cluster's Gateway. Tests call them with plain strings.
import { GATEWAY_ACCESS_LABEL } from "../shared/kubernetes";
import { SYSTEM_PLACEMENT, NODE_GROUP_LABEL, zoneSpread } from "../shared/scheduling";

export const DEFAULTS = {
    gateway: { namespace: "gateway", name: "platform", className: "cilium", tlsSecret: "gateway-tls" },
    issuer: "acme-dns01",
    loadBalancerController: {
        namespace: "kube-system",
        release: "aws-load-balancer-controller",
        serviceAccount: "aws-load-balancer-controller",
    },
    certManager: { namespace: "cert-manager", release: "cert-manager", serviceAccount: "cert-manager" },
    externalDns: { namespace: "external-dns", release: "external-dns", serviceAccount: "external-dns" },
} as const;

/** Placement and sizing of one controller Deployment of the platform on the system nodes. */
function controller(ha: boolean, app: string, cpu: string, memory: string, limit: string) {
    return {
        nodeSelector: { ...SYSTEM_PLACEMENT.nodeSelector },
        tolerations: [...SYSTEM_PLACEMENT.tolerations],
        topologySpreadConstraints: ha ? zoneSpread({ "app.kubernetes.io/name": app }) : [],
        resources: { requests: { cpu, memory }, limits: { memory: limit } },
    };
}

/**
 * The AWS Load Balancer Controller: two replicas with a disruption budget, Services only (no
 * IngressClass, its own Gateway API controllers off: Cilium implements the Gateway), region and
 * VPC given so it never asks the instance metadata, every AWS resource it creates tagged like
 * the cluster's own, and the WAF and Shield integrations (ALB only) off.
 */
export function loadBalancerControllerValues(args: {
    cluster: string;
    region: string;
    vpcId: string;
    tags: Readonly<Record<string, string>>;
    /** Namespaces whose Services the controller's webhook leaves alone: the platform's, but the Gateway's. */
    unmutatedNamespaces: readonly string[];
}) {
    return {
        clusterName: args.cluster,
        region: args.region,
        vpcId: args.vpcId,
        replicaCount: 2,
        podDisruptionBudget: { maxUnavailable: 1 },
        serviceAccount: { name: DEFAULTS.loadBalancerController.serviceAccount },
        ...controller(true, "aws-load-balancer-controller", "50m", "128Mi", "512Mi"),
        // No IngressClass, and the legacy class annotation ignored: no Ingress becomes an ALB.
        createIngressClassResource: false,
        disableIngressClassAnnotation: true,
        enableShield: false,
        enableWaf: false,
        enableWafv2: false,
        controllerConfig: { featureGates: { NLBGatewayAPI: false, ALBGatewayAPI: false, GatewayListenerSet: false } },
        defaultTags: { ...args.tags },
        // The webhook that gives new Services the controller's load balancer class intercepts
        // every Service it matches and fails closed: the platform's charts, installed while the
        // controller starts (or while it is down), would fail to create theirs. It matches the
        // Gateway's namespace and the teams' only.
        // Upgrades keep the webhook's certificate (the chart would mint a new one on each render).
        keepTLSSecret: true,
        serviceMutatorWebhookConfig: {
            namespaceSelectors: [{ key: "kubernetes.io/metadata.name", operator: "NotIn", values: [...args.unmutatedNamespaces] }],
        },
        serviceMonitor: { enabled: true },
    };
}

/**
 * cert-manager: CRDs installed and kept by the chart, controller, webhook and CA injector on the
 * system nodes (two of each with budgets when highly available). Challenge records are checked
 * against public resolvers only: a private zone of the same name in the VPC would hide them.
 */
export function certManagerValues(args: { highAvailability: boolean }) {
    const ha = args.highAvailability;
    const replicated = (app: string, cpu: string, memory: string, limit: string) => ({
        replicaCount: ha ? 2 : 1,
        podDisruptionBudget: { enabled: ha, maxUnavailable: 1 },
        ...controller(ha, app, cpu, memory, limit),
    });
    return {
        crds: { enabled: true, keep: true },
        serviceAccount: { name: DEFAULTS.certManager.serviceAccount },
        ...replicated("cert-manager", "50m", "128Mi", "512Mi"),
        dns01RecursiveNameservers: "1.1.1.1:53,8.8.8.8:53",
        dns01RecursiveNameserversOnly: true,
        prometheus: { servicemonitor: { enabled: true } },
        webhook: replicated("webhook", "20m", "64Mi", "256Mi"),
        cainjector: replicated("cainjector", "20m", "128Mi", "512Mi"),
        // The post-install Job that waits for the webhook (its schema has no spread constraints).
        startupapicheck: {
            nodeSelector: { ...SYSTEM_PLACEMENT.nodeSelector },
            tolerations: [...SYSTEM_PLACEMENT.tolerations],
            resources: { requests: { cpu: "10m", memory: "32Mi" }, limits: { memory: "64Mi" } },
        },
    };
}

/**
 * ExternalDNS: A records (aliases of the load balancer) for the hostnames of routes attached to
 * the platform Gateway, in the stack's zone and under this cluster's hostname only. `sync`
 * deletes a record when its route goes, but only records whose TXT record names this cluster as
 * owner: never another cluster's, never one made by hand.
 */
export function externalDnsValues(args: { cluster: string; region: string; hostname: string; zoneId: string }) {
    return {
        provider: { name: "aws" },
        sources: ["gateway-httproute"],
        gatewayNamespace: DEFAULTS.gateway.namespace,
        policy: "sync",
        registry: "txt",
        txtOwnerId: args.cluster,
        domainFilters: [args.hostname],
        extraArgs: [`--zone-id-filter=${args.zoneId}`],
        triggerLoopOnEvent: true,
        env: [{ name: "AWS_DEFAULT_REGION", value: args.region }],
        serviceAccount: { name: DEFAULTS.externalDns.serviceAccount },
        serviceMonitor: { enabled: true },
        ...controller(false, "external-dns", "20m", "64Mi", "256Mi"),
    };
}

export interface GatewayArgs {
    readonly hostname: string;
    readonly scheme: "internal" | "internet-facing";
    readonly allowedCidrs: readonly string[];
}

/**
 * What the load balancer controller reads on the Gateway's Service (Cilium copies
 * spec.infrastructure.annotations onto it): a Network Load Balancer of the stack file's scheme
 * admitting only its CIDRs (on the balancer's security group), sending to the system nodes'
 * node ports (instance targets: Cilium's Gateway Service has no pod endpoints, so IP targets would
 * have nothing to register, aws-load-balancer-controller#3754) in every zone. Client addresses
 * travel in PROXY protocol v2 headers instead of being preserved, so a node calling the balancer
 * is never handed its own connection (NLB hairpinning), and Envoy still sees the real client.
 * The controller's webhook sets the Service's loadBalancerClass, which Cilium leaves alone
 * (cilium/cilium#29547); "external" also keeps the in-tree cloud provider away from it.
 * https://kubernetes-sigs.github.io/aws-load-balancer-controller/latest/guide/service/annotations/
 */
export function loadBalancerAnnotations(args: GatewayArgs): Record<string, string> {
    const prefix = "service.beta.kubernetes.io";
    return {
        [`${prefix}/aws-load-balancer-type`]: "external",
        [`${prefix}/aws-load-balancer-scheme`]: args.scheme,
        [`${prefix}/aws-load-balancer-nlb-target-type`]: "instance",
        [`${prefix}/aws-load-balancer-target-node-labels`]: `${NODE_GROUP_LABEL}=system`,
        [`${prefix}/load-balancer-source-ranges`]: args.allowedCidrs.join(","),
        [`${prefix}/aws-load-balancer-proxy-protocol`]: "*",
        [`${prefix}/aws-load-balancer-target-group-attributes`]: "preserve_client_ip.enabled=false",
        [`${prefix}/aws-load-balancer-attributes`]: "load_balancing.cross_zone.enabled=true",
    };
}

/**
 * The cluster's Gateway: HTTPS for every name under the cluster's hostname with its wildcard
 * certificate, open to routes from namespaces the platform labelled; HTTP only for the platform's
 * redirect to HTTPS.
 */
export function gatewaySpec(args: GatewayArgs) {
    const hostname = `*.${args.hostname}`;
    return {
        gatewayClassName: DEFAULTS.gateway.className,
        infrastructure: { annotations: loadBalancerAnnotations(args) },
        listeners: [
            { name: "http", protocol: "HTTP", port: 80, hostname, allowedRoutes: { namespaces: { from: "Same" } } },
            {
                name: "https",
                protocol: "HTTPS",
                port: 443,
                hostname,
                tls: { mode: "Terminate", certificateRefs: [{ kind: "Secret", name: DEFAULTS.gateway.tlsSecret }] },
                allowedRoutes: {
                    namespaces: { from: "Selector", selector: { matchLabels: { [GATEWAY_ACCESS_LABEL]: "true" } } },
                    kinds: [{ kind: "HTTPRoute" }],
                },
            },
        ],
    };
}

/**
 * The redirect route names no hostname (it serves the HTTP listener's wildcard), so ExternalDNS,
 * which would publish *.<hostname> for it, is told to leave it alone (a controller annotation
 * other than its own; external-dns source/annotations/processors.go).
 */
export const REDIRECT_ANNOTATIONS = { "external-dns.alpha.kubernetes.io/controller": "none" } as const;

/** Every plain-HTTP request answered with a permanent redirect to the same URL over HTTPS. */
export function redirectRouteSpec() {
    return {
        parentRefs: [{ name: DEFAULTS.gateway.name, sectionName: "http" }],
        rules: [{ filters: [{ type: "RequestRedirect", requestRedirect: { scheme: "https", statusCode: 301 } }] }],
    };
}

/** Where an app's HTTPRoute attaches: the platform Gateway's HTTPS listener. */
export const gatewayParentRef = () => ({
    name: DEFAULTS.gateway.name,
    namespace: DEFAULTS.gateway.namespace,
    sectionName: "https",
});

/**
 * The ACME issuer: DNS-01 challenges answered in the stack's zone with the cert-manager
 * controller's Pod Identity credentials (ambient credentials, which ClusterIssuers may use).
 */
export function clusterIssuerSpec(args: { email: string; server: string; region: string; zoneId: string; hostname: string }) {
    return {
        acme: {
            email: args.email,
            server: args.server,
            privateKeySecretRef: { name: `${DEFAULTS.issuer}-account` },
            solvers: [{ selector: { dnsZones: [args.hostname] }, dns01: { route53: { region: args.region, hostedZoneID: args.zoneId } } }],
        },
    };
}

/** The Gateway's certificate: the cluster's hostname and every name one label under it. */
export function certificateSpec(hostname: string) {
    return {
        secretName: DEFAULTS.gateway.tlsSecret,
        dnsNames: [hostname, `*.${hostname}`],
        issuerRef: { kind: "ClusterIssuer", name: DEFAULTS.issuer, group: "cert-manager.io" },
        privateKey: { algorithm: "ECDSA", size: 256, rotationPolicy: "Always" },
    };
}

/**
 * An admission policy of the API server itself (no webhook to be down): outside the platform's
 * namespaces, every HTTPRoute and GRPCRoute names its hostnames, none a wildcard and none of the
 * platform's own UIs, so no tenant can serve a longer path of Argo CD's host (its SSO callback
 * included) or catch the names nobody claimed.
 */
export function reservedHostnamesPolicy(args: { hostnames: readonly string[]; platformNamespaces: readonly string[] }) {
    return {
        failurePolicy: "Fail",
        matchConstraints: {
            resourceRules: [
                {
                    apiGroups: ["gateway.networking.k8s.io"],
                    apiVersions: ["*"],
                    operations: ["CREATE", "UPDATE"],
                    resources: ["httproutes", "grpcroutes"],
                },
            ],
            namespaceSelector: {
                matchExpressions: [{ key: "kubernetes.io/metadata.name", operator: "NotIn", values: [...args.platformNamespaces] }],
            },
        },
        variables: [{ name: "reserved", expression: JSON.stringify(args.hostnames) }],
        validations: [
            {
                // A route without hostnames, or with a wildcard, would catch every name no other
                // route claims, and ExternalDNS would publish the wildcard for it.
                expression:
                    "has(object.spec.hostnames) && size(object.spec.hostnames) > 0 && object.spec.hostnames.all(h, !h.startsWith('*'))",
                message: "Name the route's hostnames, without wildcards.",
                reason: "Invalid",
            },
            {
                expression: "!has(object.spec.hostnames) || object.spec.hostnames.all(h, !(h in variables.reserved))",
                message: `The platform serves ${args.hostnames.join(" and ")}; a team route may not claim them.`,
                reason: "Forbidden",
            },
        ],
    };
}
