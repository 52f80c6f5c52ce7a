// The NVIDIA device plugin: what makes a GPU node's GPUs schedulable (`nvidia.com/gpu`). The AL2023
// NVIDIA AMI brings the driver and container toolkit but not the plugin
// (https://docs.aws.amazon.com/eks/latest/userguide/ml-eks-k8s-device-plugin.html), and without it
// Karpenter never sees a GPU node as initialised. Installed only in clusters with a GPU pool.
import type * as pulumi from "@pulumi/pulumi";
import type { ClusterHandle } from "../../shared/cluster-handle";
import { platformNamespace, platformRelease } from "../../shared/kubernetes";

export const DEVICE_PLUGIN = { namespace: "nvidia-device-plugin", release: "nvidia-device-plugin" } as const;

/**
 * Helm values of the nvidia-device-plugin chart. Its default node affinity already selects nodes
 * labelled `nvidia.com/gpu.present=true` (GPU_NODE_LABEL) (deployments/helm/nvidia-device-plugin/values.yaml),
 * which the platform sets on AL2023 GPU pools; it tolerates every taint, so that a pool's own
 * taints never leave its GPUs unadvertised. GPU feature discovery and NFD stay off.
 */
export function devicePluginValues() {
    return {
        tolerations: [{ operator: "Exists" }],
        priorityClassName: "system-node-critical",
        gfd: { enabled: false },
        nfd: { enabled: false },
        resources: { requests: { cpu: "10m", memory: "64Mi" }, limits: { memory: "256Mi" } },
        updateStrategy: { type: "RollingUpdate" },
    };
}

/**
 * The plugin's namespace and release. The plugin registers through the kubelet's device-plugin
 * socket on the host, which only the privileged Pod Security profile admits.
 */
export function nvidiaDevicePlugin(
    name: string,
    args: { cluster: ClusterHandle; chartVersion: string; dependsOn: pulumi.Input<pulumi.Resource>[] },
    opts: { parent: pulumi.Resource },
): pulumi.Resource {
    const k8sOpts = { parent: opts.parent, provider: args.cluster.provider };
    const namespace = platformNamespace(`${name}-namespace`, DEVICE_PLUGIN.namespace, "privileged", {
        ...k8sOpts,
        dependsOn: args.dependsOn,
    });
    return platformRelease(
        name,
        {
            cluster: args.cluster,
            source: "nvidia-device-plugin",
            chart: "nvidia-device-plugin",
            release: DEVICE_PLUGIN.release,
            namespace: DEVICE_PLUGIN.namespace,
            version: args.chartVersion,
            values: devicePluginValues(),
        },
        { ...k8sOpts, dependsOn: [namespace] },
    );
}
