// What the pipeline's preview role may read in a cluster. Its access entry carries
// AmazonEKSViewPolicy (Kubernetes' `view`), which leaves out RBAC objects, Secrets and the custom
// resources whose CRDs do not aggregate to `view`; `pulumi preview --refresh` reads every object
// the program manages, and the Helm provider reads each release from its Secrets in the release's
// namespace. This grants exactly that, read-only, to the preview role's Kubernetes group; the
// deploy role administers the cluster through its access policy and needs nothing here.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { ClusterHandle } from "../shared/cluster-handle";

/** The Kubernetes group of the preview role's access entry. */
export const PIPELINE_PREVIEW_GROUP = "platform:pipeline-preview";

/** The kinds the program creates, by API group (plural resource names), apart from Secrets. */
export const MANAGED_KINDS: Readonly<Record<string, readonly string[]>> = {
    "": ["namespaces", "serviceaccounts", "configmaps", "persistentvolumeclaims", "resourcequotas", "limitranges"],
    "networking.k8s.io": ["networkpolicies"],
    apps: ["deployments"],
    "rbac.authorization.k8s.io": ["roles", "rolebindings", "clusterroles", "clusterrolebindings"],
    "storage.k8s.io": ["storageclasses"],
    batch: ["cronjobs", "jobs"],
    "karpenter.sh": ["nodepools"],
    "karpenter.k8s.aws": ["ec2nodeclasses"],
    "external-secrets.io": ["clustersecretstores", "secretstores", "externalsecrets"],
    "kyverno.io": ["clusterpolicies"],
    "policies.kyverno.io": ["validatingpolicies"],
    "argoproj.io": ["appprojects", "applicationsets"],
    "velero.io": ["backupstoragelocations", "volumesnapshotlocations", "schedules"],
    "snapshot.storage.k8s.io": ["volumesnapshotclasses"],
    "apiextensions.k8s.io": ["customresourcedefinitions"],
    "admissionregistration.k8s.io": ["validatingadmissionpolicies", "validatingadmissionpolicybindings"],
    "gateway.networking.k8s.io": ["gateways", "httproutes"],
    "cert-manager.io": ["clusterissuers", "certificates"],
    "cilium.io": ["ciliumnetworkpolicies"],
};

const READ = ["get", "list", "watch"];

/** Read access to every kind the program manages, Secrets excepted. */
export function previewRules() {
    return Object.entries(MANAGED_KINDS).map(([apiGroup, resources]) => ({
        apiGroups: [apiGroup],
        resources: [...resources],
        verbs: READ,
    }));
}

/** Read access to Secrets, bound only in the namespaces that hold the platform's releases. */
export const SECRET_READ_RULES = [{ apiGroups: [""], resources: ["secrets"], verbs: READ }];

export interface PipelineAccessArgs {
    readonly cluster: ClusterHandle;
    /** Namespaces whose Secrets the preview reads: those of the Helm releases and of the Secrets the program creates. */
    readonly secretNamespaces: readonly string[];
}

export class PipelineAccess extends pulumi.ComponentResource {
    constructor(name: string, args: PipelineAccessArgs, opts?: pulumi.ComponentResourceOptions) {
        super("platform:eks:PipelineAccess", name, {}, opts);
        const k8sOpts = { parent: this, provider: args.cluster.provider, deletedWith: args.cluster.eks };
        const labels = { "app.kubernetes.io/part-of": "platform" };
        const subjects = [{ kind: "Group", apiGroup: "rbac.authorization.k8s.io", name: PIPELINE_PREVIEW_GROUP }];

        const reader = new k8s.rbac.v1.ClusterRole(
            `${name}-preview`,
            { metadata: { name: PIPELINE_PREVIEW_GROUP, labels }, rules: previewRules() },
            k8sOpts,
        );
        new k8s.rbac.v1.ClusterRoleBinding(
            `${name}-preview`,
            {
                metadata: { name: PIPELINE_PREVIEW_GROUP, labels },
                roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: PIPELINE_PREVIEW_GROUP },
                subjects,
            },
            { ...k8sOpts, dependsOn: [reader] },
        );

        const secretsRole = `${PIPELINE_PREVIEW_GROUP}-secrets`;
        const secretsReader = new k8s.rbac.v1.ClusterRole(
            `${name}-preview-secrets`,
            { metadata: { name: secretsRole, labels }, rules: SECRET_READ_RULES },
            k8sOpts,
        );
        for (const namespace of args.secretNamespaces) {
            new k8s.rbac.v1.RoleBinding(
                `${name}-preview-secrets-${namespace}`,
                {
                    metadata: { name: secretsRole, namespace, labels },
                    roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: secretsRole },
                    subjects,
                },
                { ...k8sOpts, dependsOn: [secretsReader] },
            );
        }

        this.registerOutputs({});
    }
}
