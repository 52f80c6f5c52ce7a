import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { ClusterHandle } from "../shared/cluster-handle";

export interface GatewayApiCrdsArgs {
    readonly cluster: ClusterHandle;
    /** Gateway API release from the version lock, e.g. v1.5.1. */
    readonly version: string;
}

/** The standard-channel manifest of a Gateway API release, as the project publishes it. */
export const standardInstallUrl = (version: string): string =>
    `https://github.com/kubernetes-sigs/gateway-api/releases/download/${version}/standard-install.yaml`;

/**
 * The Gateway API standard-channel CRDs (GatewayClass, Gateway, HTTPRoute, GRPCRoute,
 * ReferenceGrant, BackendTLSPolicy, ListenerSet, TLSRoute) and the admission policy that keeps an
 * experimental-channel install from replacing them. Installed right after the control plane:
 * Cilium's operator enables its Gateway API controller only if the CRDs exist when it starts
 * (Cilium docs, "Gateway API Support", prerequisites), and Cilium is installed before any node.
 * Applied server-side (the provider's default), as the project asks for CRDs this large; a new
 * lock version upgrades them in place.
 */
export class GatewayApiCrds extends pulumi.ComponentResource {
    readonly crds: pulumi.Resource;

    constructor(name: string, args: GatewayApiCrdsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("platform:ingress:GatewayApiCrds", name, {}, opts);
        this.crds = new k8s.yaml.v2.ConfigFile(
            `${name}-standard`,
            { file: standardInstallUrl(args.version) },
            { parent: this, provider: args.cluster.provider, deletedWith: args.cluster.eks },
        );
        this.registerOutputs({});
    }
}
