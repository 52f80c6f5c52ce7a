import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { ClusterHandle } from "../shared/cluster-handle";
import { LOCKED_CONTAINER, NOBODY_POD } from "../shared/kubernetes";
import { SYSTEM_PLACEMENT } from "../shared/scheduling";
import { replicaLocationSpec } from "./backups";
import { CANARY, canaryMarker, createCanary } from "./restore-canary";
import { ImageCache, fillImageCache } from "../security/image-cache";

export interface RestoreDrillArgs {
    readonly cluster: ClusterHandle;
    /** The Velero namespace, where backups and restores live. */
    readonly namespace: string;
    /** The schedule whose latest backup is restored. */
    readonly schedule: string;
    readonly cron: string;
    /** The drill's image as nodes pull it (from the region's image cache). */
    readonly image: pulumi.Input<string>;
    /** The default StorageClass: the canary's volume. */
    readonly storageClass: string;
    /**
     * Another region's backups, replicated into this cluster's bucket under that cluster's name:
     * the drill restores those, through a read-only location it creates, and plants no canary
     * (the source's is in its backups). Without it, the drill restores this cluster's own.
     */
    readonly replicaOf?: { readonly cluster: string; readonly bucket: pulumi.Input<string> };
    /** Velero with its CRDs and locations. */
    readonly dependsOn: pulumi.Input<pulumi.Resource>[];
}

/** One drill: its CronJob (and service account and roles), scratch namespace and storage location. */
export interface DrillNames {
    readonly name: string;
    readonly scratch: string;
    readonly location: string;
}

const OWN: DrillNames = { name: "restore-drill", scratch: "restore-drill-scratch", location: "default" };
const REPLICA: DrillNames = { name: "restore-drill-replica", scratch: "restore-drill-replica-scratch", location: "replica" };

export const DRILL = {
    ...OWN,
    /** The drill of this region's copy of another region's backups. */
    replica: REPLICA,
    source: CANARY.namespace,
    canary: CANARY.name,
    /** Longest a drill may run. */
    deadlineSeconds: 3600,
    /** After its deadline, how long a run may take to be recorded as failed before the alert counts it so. */
    graceSeconds: 900,
} as const;

/** The names of the drill of this cluster's own backups, or of another region's. */
export const drillNames = (replica: boolean): DrillNames => (replica ? REPLICA : OWN);

/**
 * The drill, as a POSIX shell script for an image with kubectl and jq. It restores the canary
 * namespace, its volume included, from the latest completed backup of the schedule in its
 * storage location into its scratch namespace, and fails (exit 1, a failed Job that the
 * RestoreDrillFailed alert sees) when there is no backup, the backup holds nothing, the restore
 * does not complete, restores nothing or fewer items than the backup holds for that namespace,
 * the canary's ConfigMap comes back different or without the volume's checksum, or the restored
 * volume does not match that checksum (the restored canary's pod never becomes Ready). It always
 * removes the scratch namespace and its Restore.
 */
export function drillScript(): string {
    return `#!/bin/sh
set -eu
fail() { echo "RESTORE DRILL FAILED: $*" >&2; exit 1; }
cleanup() {
  kubectl delete namespace "$SCRATCH" --ignore-not-found --wait=true >/dev/null
  [ -z "\${RESTORE:-}" ] || kubectl -n "$VELERO_NAMESPACE" delete restores.velero.io "$RESTORE" --ignore-not-found >/dev/null
}
trap cleanup EXIT
kubectl delete namespace "$SCRATCH" --ignore-not-found --wait=true

BACKUP=$(kubectl -n "$VELERO_NAMESPACE" get backups.velero.io -l "velero.io/schedule-name=$SCHEDULE,velero.io/storage-location=$LOCATION" -o json \\
  | jq -r '[.items[] | select(.status.phase == "Completed")] | sort_by(.status.completionTimestamp) | last | .metadata.name // empty')
[ -n "$BACKUP" ] || fail "no completed backup of schedule $SCHEDULE in location $LOCATION"
ITEMS=$(kubectl -n "$VELERO_NAMESPACE" get backups.velero.io "$BACKUP" -o jsonpath='{.status.progress.itemsBackedUp}')
[ "\${ITEMS:-0}" -gt 0 ] || fail "backup $BACKUP is empty"

RESTORE="$DRILL-$(date +%Y%m%d%H%M%S)"
kubectl create -f - <<EOF
apiVersion: velero.io/v1
kind: Restore
metadata:
  name: $RESTORE
  namespace: $VELERO_NAMESPACE
spec:
  backupName: $BACKUP
  includedNamespaces: ["$SOURCE"]
  namespaceMapping: {"$SOURCE": "$SCRATCH"}
  restorePVs: true
EOF

PHASE=""
for _ in $(seq 1 90); do
  PHASE=$(kubectl -n "$VELERO_NAMESPACE" get restores.velero.io "$RESTORE" -o jsonpath='{.status.phase}')
  case "$PHASE" in Completed|PartiallyFailed|Failed|FailedValidation) break ;; esac
  sleep 10
done
[ "$PHASE" = "Completed" ] || fail "restore $RESTORE of $BACKUP ended in phase '$PHASE'"
TOTAL=$(kubectl -n "$VELERO_NAMESPACE" get restores.velero.io "$RESTORE" -o jsonpath='{.status.progress.totalItems}')
RESTORED=$(kubectl -n "$VELERO_NAMESPACE" get restores.velero.io "$RESTORE" -o jsonpath='{.status.progress.itemsRestored}')
[ "\${RESTORED:-0}" -gt 0 ] || fail "restore $RESTORE of $BACKUP restored nothing"
[ "$RESTORED" = "$TOTAL" ] || fail "restore $RESTORE restored $RESTORED of the $TOTAL items $BACKUP holds for $SOURCE"

ACTUAL=$(kubectl -n "$SCRATCH" get configmap "$CANARY" -o jsonpath='{.data.marker}')
[ "$ACTUAL" = "$EXPECTED_MARKER" ] || fail "the restored $CANARY differs from the original: '$ACTUAL', not '$EXPECTED_MARKER'"
RECORDED=$(kubectl -n "$SCRATCH" get configmap "$CANARY" -o jsonpath='{.data.sha256}')
[ -n "$RECORDED" ] || fail "backup $BACKUP holds no checksum of the canary volume: was the canary written before it ran?"
READY=""
for _ in $(seq 1 30); do
  READY=$(kubectl -n "$SCRATCH" get deployment "$CANARY" -o jsonpath='{.status.readyReplicas}')
  [ "\${READY:-0}" -lt 1 ] || break
  sleep 10
done
[ "\${READY:-0}" -ge 1 ] || fail "the restored canary volume does not hold the file of sha256 $RECORDED: its pod never passed the checksum check"
echo "restore drill passed: $BACKUP restored $RESTORED of $TOTAL items, canary volume intact (sha256 $RECORDED)"
`;
}

/**
 * RBAC of a drill: read backups, manage its restores, and outside the Velero namespace only its
 * scratch namespace and the canary's ConfigMap and Deployment, by name.
 * `kubectl delete` waits for the object to go (its default `--wait=true`) by listing and watching
 * it with a `metadata.name` field selector (kubectl pkg/cmd/wait, IsDeleted), so every delete
 * needs list and watch too. RBAC admits a list or watch restricted by resourceNames when the
 * request carries that selector (https://kubernetes.io/docs/reference/access-authn-authz/rbac/),
 * so the scratch namespace stays the only namespace the drill can see.
 */
export function drillRules(names: DrillNames = OWN) {
    return {
        namespaced: [
            { apiGroups: ["velero.io"], resources: ["backups"], verbs: ["get", "list"] },
            { apiGroups: ["velero.io"], resources: ["restores"], verbs: ["create", "get", "list", "watch", "delete"] },
        ],
        cluster: [
            { apiGroups: [""], resources: ["namespaces"], resourceNames: [names.scratch], verbs: ["get", "list", "watch", "delete"] },
            { apiGroups: [""], resources: ["configmaps"], resourceNames: [CANARY.name], verbs: ["get"] },
            { apiGroups: ["apps"], resources: ["deployments"], resourceNames: [CANARY.name], verbs: ["get"] },
        ],
    };
}

/**
 * A weekly (by default) proof that backups restore, volumes included: a CronJob that restores the
 * canary (see restore-canary.ts) from the latest backup and checks it. The drill of a cluster's
 * own backups plants the canary; the drill of another region's replicated backups (prod, with
 * `crossRegion`) restores that region's canary through a read-only location, proving that a
 * region's loss loses no backup. Each CronJob's last success and last schedule, exported by
 * kube-state-metrics, drive the RestoreDrillFailed and RestoreDrillMissing alerts.
 */
export class RestoreDrill extends pulumi.ComponentResource {
    readonly cronJobName: string;

    constructor(name: string, args: RestoreDrillArgs, opts?: pulumi.ComponentResourceOptions) {
        super("platform:backups:RestoreDrill", name, {}, opts);
        const { cluster, replicaOf } = args;
        const names = drillNames(replicaOf !== undefined);
        const k8sOpts = { parent: this, provider: cluster.provider, deletedWith: cluster.eks };
        const labels = { "app.kubernetes.io/name": names.name, "app.kubernetes.io/part-of": "platform" };

        const prerequisites: pulumi.Input<pulumi.Resource>[] = [...args.dependsOn];
        if (replicaOf) {
            prerequisites.push(
                new k8s.apiextensions.CustomResource(
                    `${name}-location`,
                    {
                        apiVersion: "velero.io/v1",
                        kind: "BackupStorageLocation",
                        metadata: { name: names.location, namespace: args.namespace, labels },
                        spec: replicaLocationSpec({ bucket: replicaOf.bucket, sourceCluster: replicaOf.cluster, region: cluster.region }),
                    },
                    { ...k8sOpts, dependsOn: args.dependsOn },
                ),
            );
        } else {
            createCanary(
                name,
                { cluster: cluster.name, image: args.image, storageClass: args.storageClass, labels },
                { ...k8sOpts, dependsOn: args.dependsOn },
            );
        }

        const account = new k8s.core.v1.ServiceAccount(
            `${name}-account`,
            { metadata: { name: names.name, namespace: args.namespace, labels } },
            k8sOpts,
        );
        const subject = [{ kind: "ServiceAccount", name: names.name, namespace: args.namespace }];
        const rules = drillRules(names);
        const role = new k8s.rbac.v1.Role(
            `${name}-role`,
            { metadata: { name: names.name, namespace: args.namespace, labels }, rules: rules.namespaced },
            k8sOpts,
        );
        const roleBinding = new k8s.rbac.v1.RoleBinding(
            `${name}-role`,
            {
                metadata: { name: names.name, namespace: args.namespace, labels },
                roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: names.name },
                subjects: subject,
            },
            { ...k8sOpts, dependsOn: [role] },
        );
        const clusterRole = new k8s.rbac.v1.ClusterRole(
            `${name}-cluster-role`,
            { metadata: { name: names.name, labels }, rules: rules.cluster },
            k8sOpts,
        );
        const clusterRoleBinding = new k8s.rbac.v1.ClusterRoleBinding(
            `${name}-cluster-role`,
            {
                metadata: { name: names.name, labels },
                roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: names.name },
                subjects: subject,
            },
            { ...k8sOpts, dependsOn: [clusterRole] },
        );
        const script = new k8s.core.v1.ConfigMap(
            `${name}-script`,
            {
                metadata: { name: names.name, namespace: args.namespace, labels },
                data: { "drill.sh": drillScript() },
            },
            k8sOpts,
        );

        new k8s.batch.v1.CronJob(
            `${name}-job`,
            {
                metadata: { name: names.name, namespace: args.namespace, labels },
                spec: {
                    schedule: args.cron,
                    concurrencyPolicy: "Forbid",
                    successfulJobsHistoryLimit: 3,
                    failedJobsHistoryLimit: 3,
                    jobTemplate: {
                        spec: {
                            backoffLimit: 0,
                            activeDeadlineSeconds: DRILL.deadlineSeconds,
                            template: {
                                metadata: { labels },
                                spec: {
                                    serviceAccountName: names.name,
                                    restartPolicy: "Never",
                                    nodeSelector: { ...SYSTEM_PLACEMENT.nodeSelector },
                                    tolerations: [...SYSTEM_PLACEMENT.tolerations],
                                    securityContext: NOBODY_POD,
                                    containers: [
                                        {
                                            name: "drill",
                                            image: args.image,
                                            command: ["/bin/sh", "/drill/drill.sh"],
                                            env: [
                                                { name: "VELERO_NAMESPACE", value: args.namespace },
                                                { name: "SCHEDULE", value: args.schedule },
                                                { name: "LOCATION", value: names.location },
                                                { name: "SOURCE", value: CANARY.namespace },
                                                { name: "SCRATCH", value: names.scratch },
                                                { name: "CANARY", value: CANARY.name },
                                                { name: "EXPECTED_MARKER", value: canaryMarker(replicaOf?.cluster ?? cluster.name) },
                                                { name: "DRILL", value: names.name },
                                            ],
                                            resources: { requests: { cpu: "50m", memory: "64Mi" }, limits: { memory: "256Mi" } },
                                            securityContext: LOCKED_CONTAINER,
                                            volumeMounts: [{ name: "script", mountPath: "/drill", readOnly: true }],
                                        },
                                    ],
                                    volumes: [{ name: "script", configMap: { name: names.name } }],
                                },
                            },
                        },
                    },
                },
            },
            { ...k8sOpts, dependsOn: [...prerequisites, account, roleBinding, clusterRoleBinding, script] },
        );

        this.cronJobName = names.name;
        this.registerOutputs({});
    }
}

/** The schedule a drill restores: the daily one (every day of every month), or the first. */
export function drilledSchedule(schedules: Readonly<Record<string, { readonly cron: string }>>): string {
    const daily = Object.keys(schedules).find((key) =>
        schedules[key].cron
            .split(/\s+/)
            .slice(2)
            .every((field) => field === "*"),
    );
    return daily ?? Object.keys(schedules)[0];
}

/**
 * A region's drills: of its own backups, and of those replicated into its bucket from `replicaOf`.
 * Their image (Docker Hub, pinned by digest) comes through the region's image cache.
 */
export function restoreDrills(
    name: string,
    args: Omit<RestoreDrillArgs, "replicaOf" | "image"> & { image: string; dockerHubSecretName: string },
    replicaOf: RestoreDrillArgs["replicaOf"],
    opts: pulumi.ComponentResourceOptions,
): void {
    const { dockerHubSecretName, ...drill } = args;
    const cache = new ImageCache(
        `${name}-image-cache`,
        { images: [args.image], credentialSecretName: dockerHubSecretName, scope: args.cluster.scope, tags: args.cluster.tags },
        opts,
    );
    const { pinned, tagged } = cache.images.get(args.image) as { pinned: pulumi.Output<string>; tagged: pulumi.Output<string> };
    const filled = fillImageCache(
        `${name}-drill-image`,
        { namespace: args.namespace, tagged },
        { parent: cache, provider: args.cluster.provider, dependsOn: [...args.dependsOn, cache] },
    );
    const drillArgs = { ...drill, image: pinned, dependsOn: [...args.dependsOn, filled] };
    new RestoreDrill(`${name}-restore-drill`, drillArgs, opts);
    if (replicaOf) new RestoreDrill(`${name}-replica-drill`, { ...drillArgs, replicaOf }, opts);
}
