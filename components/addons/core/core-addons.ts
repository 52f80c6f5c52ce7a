import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { PARTITION } from "../../../stacks/config/catalog";
import type { VersionLock } from "../../../stacks/config/schema";
import type { ClusterHandle } from "../../shared/cluster-handle";
import { podIdentityTrustPolicy } from "../../shared/iam";
import { createRole } from "../../shared/roles";
import { SYSTEM_PLACEMENT, zoneSpread } from "../../shared/scheduling";

export interface CoreAddonsArgs {
    readonly cluster: ClusterHandle;
    readonly versions: VersionLock["addons"];
    readonly ebsCsiRoleName: string;
    /** Add-ons with Deployments need Ready nodes: the node groups. */
    readonly dependsOn: pulumi.Input<pulumi.Resource>[];
}

export const DEFAULTS = {
    ebsCsiServiceAccount: "ebs-csi-controller-sa",
    storageClass: "gp3",
} as const;

/**
 * CoreDNS add-on settings: on the system nodes, spread across zones, scaled with the cluster by
 * the EKS CoreDNS autoscaler, never below two replicas.
 * Schema: `aws eks describe-addon-configuration --addon-name coredns`.
 */
export function corednsConfiguration() {
    return {
        autoScaling: { enabled: true, minReplicas: 2, maxReplicas: 10 },
        nodeSelector: { ...SYSTEM_PLACEMENT.nodeSelector },
        tolerations: [...SYSTEM_PLACEMENT.tolerations],
        topologySpreadConstraints: zoneSpread({ "k8s-app": "kube-dns" }),
        podDisruptionBudget: { enabled: true, maxUnavailable: 1 },
    };
}

/**
 * EBS CSI driver add-on settings: the controller on the system nodes; the node DaemonSet keeps
 * its default of tolerating every taint so volumes attach on every node.
 * Schema: the aws-ebs-csi-driver chart's values.schema.json.
 */
export function ebsCsiConfiguration() {
    return {
        controller: {
            nodeSelector: { ...SYSTEM_PLACEMENT.nodeSelector },
            tolerations: [...SYSTEM_PLACEMENT.tolerations],
            topologySpreadConstraints: zoneSpread({ app: "ebs-csi-controller" }),
        },
        node: { tolerateAllTaints: true },
    };
}

/** The default StorageClass: encrypted gp3, bound where the pod lands, expandable. */
export function storageClassSpec() {
    return {
        metadata: { name: DEFAULTS.storageClass, annotations: { "storageclass.kubernetes.io/is-default-class": "true" } },
        provisioner: "ebs.csi.aws.com",
        parameters: { type: "gp3", encrypted: "true", fsType: "ext4" },
        reclaimPolicy: "Delete",
        volumeBindingMode: "WaitForFirstConsumer",
        allowVolumeExpansion: true,
    };
}

/**
 * EKS managed add-ons that run Deployments (CoreDNS, the EBS CSI driver with its own Pod Identity
 * role, the CSI snapshot controller) and the default StorageClass. They are created after the node groups: an add-on whose
 * pods cannot schedule stays DEGRADED and its creation times out.
 */
export class CoreAddons extends pulumi.ComponentResource {
    readonly coredns: aws.eks.Addon;
    readonly ebsCsi: aws.eks.Addon;
    /** The VolumeSnapshot CRDs and their controller, for CSI snapshots of EBS volumes. */
    readonly snapshotController: aws.eks.Addon;
    readonly ebsCsiRoleArn: pulumi.Output<string>;

    constructor(name: string, args: CoreAddonsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("platform:addons:CoreAddons", name, {}, opts);
        const cluster = args.cluster;
        const addon = {
            clusterName: cluster.createdName,
            resolveConflictsOnCreate: "OVERWRITE",
            resolveConflictsOnUpdate: "OVERWRITE",
            tags: cluster.tags,
        };

        this.coredns = new aws.eks.Addon(
            `${name}-coredns`,
            {
                addonName: "coredns",
                addonVersion: args.versions.coredns,
                configurationValues: JSON.stringify(corednsConfiguration()),
                ...addon,
            },
            { parent: this, dependsOn: args.dependsOn },
        );

        const ebs = createRole(
            `${name}-ebs-csi`,
            {
                roleName: args.ebsCsiRoleName,
                description: `EBS CSI driver controller of ${cluster.name}`,
                trust: cluster.scope.apply((s) => podIdentityTrustPolicy(s, cluster.name)),
                managedPolicies: ["service-role/AmazonEBSCSIDriverPolicy"],
                partition: PARTITION,
                tags: cluster.tags,
            },
            this,
        );
        this.ebsCsi = new aws.eks.Addon(
            `${name}-ebs-csi`,
            {
                addonName: "aws-ebs-csi-driver",
                addonVersion: args.versions["aws-ebs-csi-driver"],
                configurationValues: JSON.stringify(ebsCsiConfiguration()),
                podIdentityAssociations: [{ roleArn: ebs.role.arn, serviceAccount: DEFAULTS.ebsCsiServiceAccount }],
                ...addon,
            },
            // Left to go with the cluster on teardown, not removed before it: the volumes of the
            // releases Pulumi uninstalls (Prometheus's, the restore canary's) are deleted by this
            // driver after their claims go, while the system nodes still run it.
            { parent: this, dependsOn: [...args.dependsOn, ...ebs.grants], retainOnDelete: true },
        );

        // Runs with the add-on's defaults: it needs no AWS permissions, and its configuration
        // schema is not one the platform pins, so nothing is set that EKS might refuse.
        // https://docs.aws.amazon.com/eks/latest/userguide/csi-snapshot-controller.html
        this.snapshotController = new aws.eks.Addon(
            `${name}-snapshot-controller`,
            { addonName: "snapshot-controller", addonVersion: args.versions["snapshot-controller"], ...addon },
            { parent: this, dependsOn: args.dependsOn },
        );

        new k8s.storage.v1.StorageClass(`${name}-gp3`, storageClassSpec(), { parent: this, provider: cluster.provider });

        this.ebsCsiRoleArn = ebs.role.arn;
        this.registerOutputs({ ebsCsiRoleArn: this.ebsCsiRoleArn });
    }
}
