import * as pulumi from "@pulumi/pulumi";
import type { ClusterHandle } from "../shared/cluster-handle";
import { GATEWAY_ACCESS, platformNamespace, platformRelease } from "../shared/kubernetes";

export interface MonitoringCrdsArgs {
    readonly cluster: ClusterHandle;
    readonly chartVersion: string;
}

export const MONITORING_NAMESPACE = "monitoring";

/**
 * The Prometheus Operator CRDs (ServiceMonitor, PrometheusRule, ...), installed right after the
 * control plane: every add-on's chart ships a ServiceMonitor, Cilium's included, and Cilium is
 * installed before any node exists. The prometheus-operator-crds chart keeps the CRDs among its
 * templates, so Helm upgrades them with the chart (Helm never upgrades a chart's crds/ folder,
 * and the CRDs are too large for a client-side apply); they are kept if the release is removed,
 * so no ServiceMonitor or rule anywhere is deleted with them.
 */
export class MonitoringCrds extends pulumi.ComponentResource {
    readonly release: pulumi.Resource;
    readonly namespace: pulumi.Resource;

    constructor(name: string, args: MonitoringCrdsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("platform:observability:MonitoringCrds", name, {}, opts);
        const k8sOpts = { parent: this, provider: args.cluster.provider };
        // node-exporter reads the host's metrics from the host network and process namespace.
        // Grafana's HTTPRoute attaches to the platform Gateway from here.
        this.namespace = platformNamespace(
            `${name}-namespace`,
            MONITORING_NAMESPACE,
            "privileged",
            { ...k8sOpts, deletedWith: args.cluster.eks },
            GATEWAY_ACCESS,
        );
        this.release = platformRelease(
            `${name}-release`,
            {
                cluster: args.cluster,
                source: "prometheus-operator-crds",
                chart: "prometheus-operator-crds",
                release: "prometheus-operator-crds",
                namespace: MONITORING_NAMESPACE,
                version: args.chartVersion,
                values: { crds: { annotations: { "helm.sh/resource-policy": "keep" } } },
            },
            { ...k8sOpts, dependsOn: [this.namespace] },
        );
        this.registerOutputs({});
    }
}
