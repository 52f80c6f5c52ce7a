// How the platform installs into Kubernetes: its namespaces and its Helm releases.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { type ChartName, chartSource } from "../../stacks/config/catalog";
import type { ClusterHandle } from "./cluster-handle";

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
    /** The cluster, for the stack file's values overrides of its charts (helmValues). */
    readonly cluster: Pick<ClusterHandle, "helmValues">;
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

type Values = Readonly<Record<string, unknown>>;
const isMap = (value: unknown): value is Values => value !== null && typeof value === "object" && !Array.isArray(value);

/**
 * `override` merged over `base` as Helm coalesces a values file over a chart's defaults: maps
 * merge key by key, lists and scalars replace, and null removes the key
 * (https://helm.sh/docs/chart_template_guide/values_files/#deleting-a-default-key).
 */
export function mergeValues(base: Values, override: Values): Record<string, unknown> {
    const merged: Record<string, unknown> = { ...base };
    for (const [key, value] of Object.entries(override)) {
        if (value === null) delete merged[key];
        else merged[key] = isMap(value) && isMap(merged[key]) ? mergeValues(merged[key] as Values, value) : value;
    }
    return merged;
}

/**
 * A Helm release of a catalogued chart, pinned to the locked version, ten revisions of history,
 * with the stack file's overrides of the chart's values merged over the platform's.
 */
export function platformRelease(name: string, args: ReleaseArgs, opts: pulumi.CustomResourceOptions): k8s.helm.v3.Release {
    const wait = args.wait ?? true;
    const override = args.cluster.helmValues[args.chart];
    const values =
        override === undefined ? args.values : pulumi.output(args.values ?? {}).apply((platform) => mergeValues(platform, override));
    return new k8s.helm.v3.Release(
        name,
        {
            name: args.release,
            namespace: args.namespace,
            ...chartSource(args.source, args.chart),
            version: args.version,
            ...(values !== undefined ? { values } : {}),
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
