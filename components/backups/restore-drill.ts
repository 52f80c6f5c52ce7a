import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { ClusterHandle } from "../shared/cluster-handle";
import { SYSTEM_PLACEMENT } from "../shared/scheduling";

export interface RestoreDrillArgs {
    readonly cluster: ClusterHandle;
    /** The Velero namespace, where backups and restores live. */
    readonly namespace: string;
    /** The schedule whose latest backup is restored. */
    readonly schedule: string;
    readonly cron: string;
    readonly image: string;
    /** Velero with its CRDs and locations. */
    readonly dependsOn: pulumi.Input<pulumi.Resource>[];
}

export const DRILL = {
    name: "restore-drill",
    /** A namespace of known content that every backup holds. */
    source: "restore-drill-canary",
    /** Where the drill restores it; deleted after every drill. */
    scratch: "restore-drill-scratch",
    canary: "canary",
    /** Longest a drill may run. */
    deadlineSeconds: 3600,
} as const;

/**
 * The drill, as a POSIX shell script for an image with kubectl and jq. It restores the canary
 * namespace from the latest completed backup of the schedule into the scratch namespace, and
 * fails (exit 1, a failed Job that the RestoreDrillFailed alert sees) when there is no backup,
 * the backup holds nothing, the restore does not complete, restores nothing or fewer items than
 * the backup holds for that namespace, or the canary comes back different. It always removes
 * the scratch namespace and its Restore.
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

BACKUP=$(kubectl -n "$VELERO_NAMESPACE" get backups.velero.io -l "velero.io/schedule-name=$SCHEDULE" -o json \\
  | jq -r '[.items[] | select(.status.phase == "Completed")] | sort_by(.status.completionTimestamp) | last | .metadata.name // empty')
[ -n "$BACKUP" ] || fail "no completed backup of schedule $SCHEDULE"
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
  restorePVs: false
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

EXPECTED=$(kubectl -n "$SOURCE" get configmap "$CANARY" -o jsonpath='{.data.marker}')
ACTUAL=$(kubectl -n "$SCRATCH" get configmap "$CANARY" -o jsonpath='{.data.marker}')
[ -n "$ACTUAL" ] && [ "$ACTUAL" = "$EXPECTED" ] || fail "the restored $CANARY differs from the original"
echo "restore drill passed: $BACKUP restored $RESTORED of $TOTAL items, canary intact"
`;
}

/**
 * RBAC of the drill: read backups, manage its restores, and only its scratch namespace and canary.
 * `kubectl delete` waits for the object to go (its default `--wait=true`) by listing and watching
 * it with a `metadata.name` field selector (kubectl pkg/cmd/wait, IsDeleted), so every delete
 * needs list and watch too. RBAC admits a list or watch restricted by resourceNames when the
 * request carries that selector (https://kubernetes.io/docs/reference/access-authn-authz/rbac/),
 * so the scratch namespace stays the only namespace the drill can see.
 */
export function drillRules() {
    return {
        namespaced: [
            { apiGroups: ["velero.io"], resources: ["backups"], verbs: ["get", "list"] },
            { apiGroups: ["velero.io"], resources: ["restores"], verbs: ["create", "get", "list", "watch", "delete"] },
        ],
        cluster: [
            { apiGroups: [""], resources: ["namespaces"], resourceNames: [DRILL.scratch], verbs: ["get", "list", "watch", "delete"] },
            { apiGroups: [""], resources: ["configmaps"], resourceNames: [DRILL.canary], verbs: ["get"] },
        ],
    };
}

/**
 * A weekly (by default) proof that backups restore: a canary namespace of known content that
 * every backup holds, and a CronJob that restores it from the latest backup and checks it. The
 * CronJob's last success and last schedule, exported by kube-state-metrics, drive the
 * RestoreDrillFailed and RestoreDrillMissing alerts.
 */
export class RestoreDrill extends pulumi.ComponentResource {
    constructor(name: string, args: RestoreDrillArgs, opts?: pulumi.ComponentResourceOptions) {
        super("platform:backups:RestoreDrill", name, {}, opts);
        const { cluster } = args;
        const k8sOpts = { parent: this, provider: cluster.provider, deletedWith: cluster.eks };
        const labels = { "app.kubernetes.io/name": DRILL.name, "app.kubernetes.io/part-of": "platform" };

        const source = new k8s.core.v1.Namespace(`${name}-canary`, { metadata: { name: DRILL.source, labels } }, k8sOpts);
        new k8s.core.v1.ConfigMap(
            `${name}-canary`,
            {
                metadata: { name: DRILL.canary, namespace: DRILL.source, labels },
                data: {
                    marker: `${cluster.name} restore drill canary`,
                    purpose: "Restored from every backup by the restore drill; do not delete.",
                },
            },
            { ...k8sOpts, dependsOn: [source] },
        );

        const account = new k8s.core.v1.ServiceAccount(
            `${name}-account`,
            { metadata: { name: DRILL.name, namespace: args.namespace, labels } },
            k8sOpts,
        );
        const subject = [{ kind: "ServiceAccount", name: DRILL.name, namespace: args.namespace }];
        const rules = drillRules();
        const role = new k8s.rbac.v1.Role(
            `${name}-role`,
            { metadata: { name: DRILL.name, namespace: args.namespace, labels }, rules: rules.namespaced },
            k8sOpts,
        );
        const roleBinding = new k8s.rbac.v1.RoleBinding(
            `${name}-role`,
            {
                metadata: { name: DRILL.name, namespace: args.namespace, labels },
                roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: DRILL.name },
                subjects: subject,
            },
            { ...k8sOpts, dependsOn: [role] },
        );
        const clusterRole = new k8s.rbac.v1.ClusterRole(
            `${name}-cluster-role`,
            { metadata: { name: DRILL.name, labels }, rules: rules.cluster },
            k8sOpts,
        );
        const clusterRoleBinding = new k8s.rbac.v1.ClusterRoleBinding(
            `${name}-cluster-role`,
            {
                metadata: { name: DRILL.name, labels },
                roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: DRILL.name },
                subjects: subject,
            },
            { ...k8sOpts, dependsOn: [clusterRole] },
        );
        const script = new k8s.core.v1.ConfigMap(
            `${name}-script`,
            {
                metadata: { name: DRILL.name, namespace: args.namespace, labels },
                data: { "drill.sh": drillScript() },
            },
            k8sOpts,
        );

        new k8s.batch.v1.CronJob(
            `${name}-job`,
            {
                metadata: { name: DRILL.name, namespace: args.namespace, labels },
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
                                    serviceAccountName: DRILL.name,
                                    restartPolicy: "Never",
                                    nodeSelector: { ...SYSTEM_PLACEMENT.nodeSelector },
                                    tolerations: [...SYSTEM_PLACEMENT.tolerations],
                                    securityContext: {
                                        runAsNonRoot: true,
                                        runAsUser: 65534,
                                        runAsGroup: 65534,
                                        seccompProfile: { type: "RuntimeDefault" },
                                    },
                                    containers: [
                                        {
                                            name: "drill",
                                            image: args.image,
                                            command: ["/bin/sh", "/drill/drill.sh"],
                                            env: [
                                                { name: "VELERO_NAMESPACE", value: args.namespace },
                                                { name: "SCHEDULE", value: args.schedule },
                                                { name: "SOURCE", value: DRILL.source },
                                                { name: "SCRATCH", value: DRILL.scratch },
                                                { name: "CANARY", value: DRILL.canary },
                                                { name: "DRILL", value: DRILL.name },
                                            ],
                                            resources: { requests: { cpu: "50m", memory: "64Mi" }, limits: { memory: "256Mi" } },
                                            securityContext: {
                                                allowPrivilegeEscalation: false,
                                                readOnlyRootFilesystem: true,
                                                capabilities: { drop: ["ALL"] },
                                            },
                                            volumeMounts: [{ name: "script", mountPath: "/drill", readOnly: true }],
                                        },
                                    ],
                                    volumes: [{ name: "script", configMap: { name: DRILL.name } }],
                                },
                            },
                        },
                    },
                },
            },
            { ...k8sOpts, dependsOn: [...args.dependsOn, account, roleBinding, clusterRoleBinding, script] },
        );

        this.registerOutputs({});
    }
}
