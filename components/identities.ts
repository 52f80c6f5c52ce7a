// Who each add-on of a cluster runs as: its namespace, the service account bound to an AWS role
// and that role. Argo CD publishes it on the in-cluster cluster Secret, the stack exports it, and
// the preview role reads the Secrets of these namespaces.
import type * as pulumi from "@pulumi/pulumi";
import type { AddonIdentity } from "./addons/argocd/argocd";
import { DEFAULTS as VELERO } from "./backups/backups";
import { DEFAULTS as CILIUM } from "./addons/cilium/cilium";
import { DEFAULTS as CORE_ADDONS } from "./addons/core/core-addons";
import { DEFAULTS as EXTERNAL_SECRETS } from "./addons/external-secrets/external-secrets";
import { DEFAULTS as KARPENTER } from "./addons/karpenter/karpenter";
import { DEFAULTS as INGRESS } from "./ingress/values";
import { DEFAULTS as LOGGING } from "./observability/logging-values";

type Arn = pulumi.Input<string>;

/** The roles of a cluster's add-ons, by the add-on that assumes each. */
export interface AddonRoles {
    readonly cilium: Arn;
    readonly ebsCsi: Arn;
    readonly karpenter: Arn;
    readonly externalSecrets: Arn;
    readonly velero: Arn;
    readonly ingress: Readonly<Record<"loadBalancerController" | "certManager" | "externalDns", Arn>>;
    readonly logging: Readonly<Record<"store" | "collector", Arn>>;
}

export function addonIdentities(roles: AddonRoles): Record<string, AddonIdentity> {
    const bound = (identity: { namespace: string; serviceAccount: string }, roleArn: Arn): AddonIdentity => ({
        namespace: identity.namespace,
        serviceAccount: identity.serviceAccount,
        roleArn,
    });
    return {
        cilium: bound({ namespace: CILIUM.namespace, serviceAccount: CILIUM.operatorServiceAccount }, roles.cilium),
        "ebs-csi": bound({ namespace: "kube-system", serviceAccount: CORE_ADDONS.ebsCsiServiceAccount }, roles.ebsCsi),
        karpenter: bound(KARPENTER, roles.karpenter),
        "external-secrets": bound(EXTERNAL_SECRETS, roles.externalSecrets),
        velero: bound(VELERO, roles.velero),
        kyverno: { namespace: "kyverno" },
        argocd: { namespace: "argocd" },
        monitoring: { namespace: "monitoring" },
        "load-balancer-controller": bound(INGRESS.loadBalancerController, roles.ingress.loadBalancerController),
        "cert-manager": bound(INGRESS.certManager, roles.ingress.certManager),
        "external-dns": bound(INGRESS.externalDns, roles.ingress.externalDns),
        loki: bound(LOGGING.store, roles.logging.store),
        "log-collector": bound(LOGGING.collector, roles.logging.collector),
    };
}
