import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { BackupSettings } from "../../stacks/config/schema";
import { hours } from "../../stacks/config/units";
import type { ClusterHandle } from "../shared/cluster-handle";
import { platformNamespace, platformRelease } from "../shared/kubernetes";
import { secretsKeyPolicy } from "../security/policies";
import { veleroPolicy } from "./policies";
import { hardenedBucket } from "../shared/bucket";
import { createWorkloadRole } from "../shared/roles";
import { SYSTEM_PLACEMENT } from "../shared/scheduling";

export interface BackupsArgs {
    readonly cluster: ClusterHandle;
    readonly chartVersion: string;
    readonly pluginImage: string;
    readonly settings: BackupSettings;
    /** Physical name of the bucket (unique: it carries the account ID). */
    readonly bucket: pulumi.Input<string>;
    readonly keyAlias: string;
    readonly roleName: string;
    /** Protect and keep the bucket and its key: backups outlive the stack. */
    readonly protect: boolean;
    /** Velero runs on the system node group: it waits for the node groups and the CRDs (the snapshot CRDs included). */
    readonly dependsOn: pulumi.Input<pulumi.Resource>[];
}

export const DEFAULTS = {
    namespace: "velero",
    serviceAccount: "velero",
    location: "default",
    snapshotClass: "velero-ebs",
    /** Days an interrupted multipart upload may linger. */
    abortUploadsAfterDays: 7,
} as const;

/**
 * Lifecycle of the backup bucket: abort interrupted uploads, and expire old versions of objects
 * (those Velero deleted when a backup expired, or overwrote) only after the longest backup TTL,
 * so a backup deleted by mistake stays recoverable for as long as it would have been kept.
 */
export function lifecycleRules(schedules: BackupSettings["schedules"]) {
    const longest = Math.max(...Object.values(schedules).map((schedule) => hours(schedule.ttl)));
    return [
        {
            id: "abort-incomplete-uploads",
            status: "Enabled",
            filter: {},
            abortIncompleteMultipartUpload: { daysAfterInitiation: DEFAULTS.abortUploadsAfterDays },
        },
        {
            id: "expire-noncurrent-versions",
            status: "Enabled",
            filter: {},
            noncurrentVersionExpiration: { noncurrentDays: Math.ceil(longest / 24) },
        },
    ];
}

/**
 * Helm values of the velero chart: the AWS plugin (pinned), no static credentials (Pod
 * Identity), storage and snapshot locations as separate resources, metrics with a
 * ServiceMonitor. Volumes decide the rest:
 * - snapshotData: the CSI feature and the node agent as data mover, which needs no host path
 *   (https://velero.io/docs/main/csi-snapshot-data-movement/);
 * - fileSystem: the node agent with the host's pod volumes mounted, copying them file by file;
 * - snapshots: neither; the AWS plugin takes EBS snapshots.
 */
export function veleroValues(args: { pluginImage: string; volumes: BackupSettings["volumes"] }) {
    const fileSystem = args.volumes === "fileSystem";
    const dataMover = args.volumes === "snapshotData";
    return {
        initContainers: [
            {
                name: "velero-plugin-for-aws",
                image: args.pluginImage,
                imagePullPolicy: "IfNotPresent",
                volumeMounts: [{ mountPath: "/target", name: "plugins" }],
            },
        ],
        credentials: { useSecret: false },
        serviceAccount: { server: { name: DEFAULTS.serviceAccount } },
        backupsEnabled: false,
        snapshotsEnabled: false,
        configuration: {
            defaultVolumesToFsBackup: fileSystem,
            uploaderType: "kopia",
            // Also what a backup made by hand (velero backup create) does with its volumes.
            ...(dataMover ? { features: "EnableCSI", defaultSnapshotMoveData: true } : {}),
        },
        deployNodeAgent: fileSystem || dataMover,
        nodeAgent: {
            tolerations: [{ operator: "Exists" }],
            disableHostPath: !fileSystem,
            resources: { requests: { cpu: "100m", memory: "256Mi" }, limits: { memory: "1Gi" } },
        },
        metrics: { enabled: true, serviceMonitor: { enabled: true } },
        nodeSelector: { ...SYSTEM_PLACEMENT.nodeSelector },
        tolerations: [...SYSTEM_PLACEMENT.tolerations],
        resources: { requests: { cpu: "100m", memory: "256Mi" }, limits: { memory: "1Gi" } },
        // The pre-install/upgrade hook that applies Velero's CRDs.
        upgradeJobResources: { requests: { cpu: "50m", memory: "128Mi" }, limits: { memory: "256Mi" } },
    };
}

/**
 * A storage location in the cluster's bucket, under a prefix of the cluster's name: replication
 * puts another region's backups into the same bucket under that region's cluster name, where a
 * read-only location of their own finds them (see replicaLocationSpec), and where neither
 * Velero takes the other's backups, or Kopia repositories, for its own.
 */
export function storageLocationSpec<Bucket, Key>(args: { bucket: Bucket; prefix: string; region: string; keyArn: Key }) {
    return {
        provider: "aws",
        default: true,
        accessMode: "ReadWrite",
        objectStorage: { bucket: args.bucket, prefix: args.prefix },
        config: { region: args.region, kmsKeyId: args.keyArn },
    };
}

/**
 * A read-only location on another cluster's backups, replicated into this cluster's bucket under
 * that cluster's name. Velero lists them, restores from them, and neither writes, expires nor
 * maintains anything there (its garbage collection and repository maintenance skip read-only
 * locations).
 */
export function replicaLocationSpec<Bucket>(args: { bucket: Bucket; sourceCluster: string; region: string }) {
    return {
        provider: "aws",
        default: false,
        accessMode: "ReadOnly",
        objectStorage: { bucket: args.bucket, prefix: args.sourceCluster },
        config: { region: args.region },
    };
}

/** A scheduled backup of every namespace, with its volumes as the stack file says. */
export function scheduleSpec(args: { cron: string; ttl: string; volumes: BackupSettings["volumes"] }) {
    const volumes = {
        snapshots: { snapshotVolumes: true, volumeSnapshotLocations: [DEFAULTS.location] },
        snapshotData: { snapshotVolumes: true, snapshotMoveData: true },
        fileSystem: { snapshotVolumes: false, defaultVolumesToFsBackup: true },
    }[args.volumes];
    return {
        schedule: args.cron,
        useOwnerReferencesInBackup: false,
        template: {
            ttl: args.ttl,
            includedNamespaces: ["*"],
            storageLocation: DEFAULTS.location,
            ...volumes,
        },
    };
}

/**
 * The VolumeSnapshotClass Velero picks for EBS volumes (by its label, one per driver). The data
 * mover deletes each snapshot once its data is in the bucket.
 * https://velero.io/docs/main/csi/
 */
export function volumeSnapshotClass() {
    return {
        apiVersion: "snapshot.storage.k8s.io/v1",
        kind: "VolumeSnapshotClass",
        metadata: { name: DEFAULTS.snapshotClass, labels: { "velero.io/csi-volumesnapshot-class": "true" } },
        driver: "ebs.csi.aws.com",
        deletionPolicy: "Delete",
    };
}

/**
 * The cluster's backups: a versioned bucket encrypted with its own rotating key, private, owned
 * by the bucket owner, TLS only, with a lifecycle; Velero with its AWS plugin and a Pod
 * Identity role limited to that bucket and key; and the stack file's schedules.
 */
export class Backups extends pulumi.ComponentResource {
    readonly bucketName: pulumi.Output<string>;
    readonly bucketArn: pulumi.Output<string>;
    readonly keyArn: pulumi.Output<string>;
    /** The bucket's versioning: replication needs it on both sides. */
    readonly versioning: pulumi.Resource;
    readonly roleArn: pulumi.Output<string>;
    /** Velero and its locations, for what uses Velero's CRDs. */
    readonly ready: pulumi.Resource[];

    constructor(name: string, args: BackupsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("platform:backups:Backups", name, {}, opts);
        const { cluster, settings } = args;

        const { bucket, key, versioning } = hardenedBucket(
            name,
            {
                bucket: args.bucket,
                keyAlias: args.keyAlias,
                keyDescription: `Backups of ${cluster.name}`,
                keyPolicy: cluster.scope.apply((s) => secretsKeyPolicy(s)),
                lifecycle: lifecycleRules(settings.schedules),
                tags: cluster.tags,
                protect: args.protect,
            },
            this,
        );
        this.versioning = versioning;

        const role = createWorkloadRole(
            `${name}-velero`,
            {
                cluster,
                roleName: args.roleName,
                description: `Velero of ${cluster.name}: its bucket, its key, EBS snapshots`,
                namespace: DEFAULTS.namespace,
                serviceAccount: DEFAULTS.serviceAccount,
                policies: {
                    backups: pulumi
                        .all([cluster.scope, bucket.bucket, key.arn])
                        // CSI snapshots are the EBS CSI driver's to take: Velero needs EC2 only for its own.
                        .apply(([s, b, keyArn]) => veleroPolicy(s, { bucket: b, keyArn, snapshots: settings.volumes === "snapshots" })),
                },
            },
            this,
        );

        const k8sOpts = { parent: this, provider: cluster.provider };
        // The node agent reads pod volumes from the host.
        const namespace = platformNamespace(
            `${name}-namespace`,
            DEFAULTS.namespace,
            settings.volumes === "fileSystem" ? "privileged" : "baseline",
            { ...k8sOpts, deletedWith: cluster.eks },
        );
        const release = platformRelease(
            `${name}-release`,
            {
                cluster,
                source: "velero",
                chart: "velero",
                release: "velero",
                namespace: DEFAULTS.namespace,
                version: args.chartVersion,
                values: veleroValues({ pluginImage: args.pluginImage, volumes: settings.volumes }),
            },
            { ...k8sOpts, dependsOn: [...args.dependsOn, namespace, role.association, ...role.grants] },
        );

        const veleroOpts = { ...k8sOpts, dependsOn: [release] };
        const location = new k8s.apiextensions.CustomResource(
            `${name}-location`,
            {
                apiVersion: "velero.io/v1",
                kind: "BackupStorageLocation",
                metadata: { name: DEFAULTS.location, namespace: DEFAULTS.namespace },
                spec: storageLocationSpec({ bucket: bucket.bucket, prefix: cluster.name, region: cluster.region, keyArn: key.arn }),
            },
            veleroOpts,
        );
        const locations: pulumi.Resource[] = [location];
        if (settings.volumes === "snapshotData") {
            // The CRD comes with the snapshot controller add-on, which the stack orders first.
            locations.push(
                new k8s.apiextensions.CustomResource(`${name}-snapshot-class`, volumeSnapshotClass(), {
                    ...k8sOpts,
                    dependsOn: args.dependsOn,
                }),
            );
        }
        if (settings.volumes === "snapshots") {
            locations.push(
                new k8s.apiextensions.CustomResource(
                    `${name}-snapshots`,
                    {
                        apiVersion: "velero.io/v1",
                        kind: "VolumeSnapshotLocation",
                        metadata: { name: DEFAULTS.location, namespace: DEFAULTS.namespace },
                        spec: { provider: "aws", config: { region: cluster.region } },
                    },
                    veleroOpts,
                ),
            );
        }
        for (const [scheduleName, schedule] of Object.entries(settings.schedules)) {
            new k8s.apiextensions.CustomResource(
                `${name}-schedule-${scheduleName}`,
                {
                    apiVersion: "velero.io/v1",
                    kind: "Schedule",
                    metadata: { name: scheduleName, namespace: DEFAULTS.namespace },
                    spec: scheduleSpec({ cron: schedule.cron, ttl: schedule.ttl, volumes: settings.volumes }),
                },
                { ...k8sOpts, dependsOn: [release, ...locations] },
            );
        }

        this.bucketName = bucket.bucket;
        this.bucketArn = bucket.arn;
        this.keyArn = key.arn;
        this.roleArn = role.role.arn;
        this.ready = [release, ...locations];
        this.registerOutputs({ bucketName: this.bucketName, keyArn: this.keyArn, roleArn: this.roleArn });
    }
}
