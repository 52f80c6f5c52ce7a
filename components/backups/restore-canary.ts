// The canary every backup holds and every restore drill restores: a namespace with a ConfigMap
// naming its cluster and a volume with a megabyte of random data, whose checksum the canary's pod
// records in the ConfigMap when it first writes the file. A restored copy proves itself: its pod
// becomes Ready only while the restored file matches the restored checksum.
import * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import { LOCKED_CONTAINER, NOBODY_POD, platformNamespace } from "../shared/kubernetes";
import { SYSTEM_PLACEMENT } from "../shared/scheduling";

export const CANARY = {
    namespace: "restore-drill-canary",
    /** The ConfigMap, the volume claim, the Deployment and its service account. */
    name: "restore-drill-canary",
    file: "/data/canary.bin",
    /** Where the ConfigMap is mounted: `sha256` appears there once recorded. */
    recorded: "/recorded",
    sizeBytes: 1048576,
    volumeSize: "1Gi",
} as const;

/** What the canary's ConfigMap says of its cluster; a restore must bring back exactly this. */
export const canaryMarker = (cluster: string): string => `${cluster} restore drill canary`;

/**
 * The seed, run before the canary's container: the first time, write random data and record its
 * checksum in the ConfigMap; later (or in a restored copy), refuse to start when a checksum is
 * recorded but the file is gone, which a drill then sees as a pod that never becomes Ready.
 */
export function seedScript(): string {
    return `set -eu
if [ -s "${CANARY.recorded}/sha256" ]; then
  [ -f "${CANARY.file}" ] || { echo "a checksum is recorded but ${CANARY.file} is missing: the volume lost its data" >&2; exit 1; }
  exit 0
fi
head -c ${CANARY.sizeBytes} /dev/urandom > "${CANARY.file}"
SUM=$(sha256sum "${CANARY.file}" | cut -d' ' -f1)
kubectl -n "${CANARY.namespace}" patch configmap "${CANARY.name}" --type merge -p "{\\"data\\":{\\"sha256\\":\\"$SUM\\"}}"
`;
}

/** The readiness check: the file's checksum equals the recorded one. */
export const checksumProbe = (): string =>
    `[ -s "${CANARY.recorded}/sha256" ] && [ "$(sha256sum "${CANARY.file}" | cut -d' ' -f1)" = "$(cat "${CANARY.recorded}/sha256")" ]`;

export interface CanaryArgs {
    readonly cluster: string;
    /** Image with sh, sha256sum and kubectl: the drill's. */
    readonly image: pulumi.Input<string>;
    readonly storageClass: string;
    readonly labels: Readonly<Record<string, string>>;
}

/**
 * Creates the canary under `opts.parent`. Only its pod writes the checksum, with a Role limited
 * to patching this one ConfigMap; Pulumi owns the other keys (server-side apply keeps both).
 */
export function createCanary(name: string, args: CanaryArgs, opts: pulumi.CustomResourceOptions): pulumi.Resource[] {
    const labels = { ...args.labels };
    const meta = { name: CANARY.name, namespace: CANARY.namespace, labels };
    // Baseline, not restricted: a file-system restore injects Velero's restore helper into the pod.
    const namespace = platformNamespace(`${name}-canary`, CANARY.namespace, "baseline", opts);
    const inNamespace = { ...opts, dependsOn: [namespace] };
    const configMap = new k8s.core.v1.ConfigMap(
        `${name}-canary`,
        {
            metadata: meta,
            data: {
                marker: canaryMarker(args.cluster),
                purpose: "Restored from every backup by the restore drill, with its volume; do not delete.",
            },
        },
        inNamespace,
    );
    const account = new k8s.core.v1.ServiceAccount(`${name}-canary`, { metadata: meta }, inNamespace);
    const role = new k8s.rbac.v1.Role(
        `${name}-canary`,
        { metadata: meta, rules: [{ apiGroups: [""], resources: ["configmaps"], resourceNames: [CANARY.name], verbs: ["get", "patch"] }] },
        inNamespace,
    );
    const binding = new k8s.rbac.v1.RoleBinding(
        `${name}-canary`,
        {
            metadata: meta,
            roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: CANARY.name },
            subjects: [{ kind: "ServiceAccount", name: CANARY.name, namespace: CANARY.namespace }],
        },
        { ...opts, dependsOn: [role, account] },
    );
    const claim = new k8s.core.v1.PersistentVolumeClaim(
        `${name}-canary`,
        {
            // Bound only once the canary's pod lands (WaitForFirstConsumer), which comes after it.
            metadata: { ...meta, annotations: { "pulumi.com/skipAwait": "true" } },
            spec: {
                accessModes: ["ReadWriteOnce"],
                storageClassName: args.storageClass,
                resources: { requests: { storage: CANARY.volumeSize } },
            },
        },
        // Deleted by Pulumi, not with the cluster: its EBS volume goes with it.
        { ...inNamespace, deletedWith: undefined },
    );
    const container = {
        image: args.image,
        env: [{ name: "HOME", value: "/tmp" }],
        securityContext: LOCKED_CONTAINER,
        resources: { requests: { cpu: "10m", memory: "32Mi" }, limits: { memory: "128Mi" } },
        volumeMounts: [
            { name: "data", mountPath: "/data" },
            { name: "recorded", mountPath: CANARY.recorded, readOnly: true },
            { name: "tmp", mountPath: "/tmp" },
        ],
    };
    const deployment = new k8s.apps.v1.Deployment(
        `${name}-canary`,
        {
            metadata: meta,
            spec: {
                replicas: 1,
                // One ReadWriteOnce volume: the old pod lets go before the new one mounts it.
                strategy: { type: "Recreate" },
                selector: { matchLabels: { "app.kubernetes.io/name": CANARY.name } },
                template: {
                    metadata: { labels: { ...labels, "app.kubernetes.io/name": CANARY.name } },
                    spec: {
                        serviceAccountName: CANARY.name,
                        nodeSelector: { ...SYSTEM_PLACEMENT.nodeSelector },
                        tolerations: [...SYSTEM_PLACEMENT.tolerations],
                        // fsGroup: the volume is writable by the pod's user.
                        securityContext: { ...NOBODY_POD, fsGroup: NOBODY_POD.runAsGroup },
                        initContainers: [{ ...container, name: "seed", command: ["/bin/sh", "-c", seedScript()] }],
                        containers: [
                            {
                                ...container,
                                name: "canary",
                                command: ["/bin/sh", "-c", 'trap "exit 0" TERM; while true; do sleep 3600 & wait $!; done'],
                                readinessProbe: {
                                    exec: { command: ["/bin/sh", "-c", checksumProbe()] },
                                    initialDelaySeconds: 5,
                                    periodSeconds: 30,
                                },
                            },
                        ],
                        volumes: [
                            { name: "data", persistentVolumeClaim: { claimName: CANARY.name } },
                            { name: "recorded", configMap: { name: CANARY.name } },
                            { name: "tmp", emptyDir: { sizeLimit: "16Mi" } },
                        ],
                    },
                },
            },
        },
        // Ready only once the checksum is recorded and the ConfigMap volume shows it, which takes
        // up to a kubelet sync period: nothing waits on it.
        { ...opts, deletedWith: undefined, dependsOn: [configMap, claim, binding], customTimeouts: { create: "10m", update: "10m" } },
    );
    return [namespace, configMap, claim, deployment];
}
