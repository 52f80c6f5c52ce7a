// How the platform installs into Kubernetes: its namespaces and its Helm releases.
import * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import { type ChartName, chartSource } from "../../stacks/config/catalog";

/**
 * A platform namespace with its Pod Security Admission level. Workloads of the platform that
 * fit the restricted profile get it enforced; the others baseline, with restricted warnings;
 * only host agents (node-exporter) get privileged.
 */
export function platformNamespace(
    name: string,
    namespace: string,
    podSecurity: "restricted" | "baseline" | "privileged",
    opts: pulumi.CustomResourceOptions,
    extraLabels: Readonly<Record<string, string>> = {},
): k8s.core.v1.Namespace {
    const labels: Record<string, string> = { ...extraLabels, "pod-security.kubernetes.io/enforce": podSecurity };
    if (podSecurity !== "restricted") labels["pod-security.kubernetes.io/warn"] = "restricted";
    return new k8s.core.v1.Namespace(name, { metadata: { name: namespace, labels } }, opts);
}

/** Namespaces with this label may attach HTTPRoutes to the platform Gateway's HTTPS listener; only the platform sets it. */
export const GATEWAY_ACCESS_LABEL = "platform/gateway-access";
/** The label that admits a namespace's routes to the platform Gateway. */
export const GATEWAY_ACCESS = { [GATEWAY_ACCESS_LABEL]: "true" } as const;

export interface ReleaseArgs {
    /** Entry of the chart catalog (and of the version lock). */
    readonly source: ChartName;
    readonly chart: string;
    /** Helm release name. */
    readonly release: string;
    readonly namespace: string;
    readonly version: string;
    readonly values?: pulumi.Input<Record<string, unknown>>;
    /**
     * Wait for the release's workloads and roll back a failed upgrade. Off only where nothing
     * can become ready yet (Cilium, before any node exists) or where the chart runs nothing.
     */
    readonly wait?: boolean;
    readonly skipCrds?: boolean;
    /** Seconds to wait for readiness. */
    readonly timeout?: number;
}

/** A Helm release of a catalogued chart, pinned to the locked version, ten revisions of history. */
export function platformRelease(name: string, args: ReleaseArgs, opts: pulumi.CustomResourceOptions): k8s.helm.v3.Release {
    const wait = args.wait ?? true;
    return new k8s.helm.v3.Release(
        name,
        {
            name: args.release,
            namespace: args.namespace,
            ...chartSource(args.source, args.chart),
            version: args.version,
            ...(args.values !== undefined ? { values: args.values } : {}),
            ...(wait ? { atomic: true } : { skipAwait: true }),
            ...(args.skipCrds ? { skipCrds: true } : {}),
            ...(args.timeout !== undefined ? { timeout: args.timeout } : {}),
            maxHistory: 10,
        },
        opts,
    );
}

/** Pod security of the platform's own small jobs and pods: the restricted profile, as nobody. */
export const NOBODY_POD = {
    runAsNonRoot: true,
    runAsUser: 65534,
    runAsGroup: 65534,
    seccompProfile: { type: "RuntimeDefault" },
} as const;

/** Container security of the same: no privilege escalation, a read-only root, no capabilities. */
export const LOCKED_CONTAINER = {
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem: true,
    capabilities: { drop: ["ALL"] },
};
