// Labels and taints that place workloads on node groups, shared by the node groups that set them
// and the add-ons that select them.

import { NODE_GROUP_LABEL } from "../../stacks/config/catalog";

export { NODE_GROUP_LABEL };

export interface Taint {
    readonly key: string;
    readonly value?: string;
    readonly effect: "NO_SCHEDULE" | "NO_EXECUTE" | "PREFER_NO_SCHEDULE";
}

/**
 * Set on every node at registration; the Cilium operator removes it once the node's Cilium agent
 * is ready, so no pod lands on a node whose datapath is not ready.
 * https://docs.cilium.io/en/stable/installation/taints/
 */
export const CILIUM_STARTUP_TAINT: Taint = { key: "node.cilium.io/agent-not-ready", value: "true", effect: "NO_EXECUTE" };

/**
 * Keeps everything but critical add-ons off the system nodes. CriticalAddonsOnly is the taint
 * CoreDNS, the EBS CSI controller and the Karpenter chart already tolerate.
 */
export const SYSTEM_TAINT: Taint = { key: "CriticalAddonsOnly", value: "true", effect: "NO_SCHEDULE" };

export const MEMORY_TAINT: Taint = { key: NODE_GROUP_LABEL, value: "memory", effect: "NO_SCHEDULE" };

/** Kubernetes spelling of a taint effect. */
const EFFECT = { NO_SCHEDULE: "NoSchedule", NO_EXECUTE: "NoExecute", PREFER_NO_SCHEDULE: "PreferNoSchedule" } as const;

export interface Toleration {
    key: string;
    operator: "Exists" | "Equal";
    value?: string;
    effect?: string;
}

export const tolerate = (taint: Taint): Toleration => ({ key: taint.key, operator: "Exists", effect: EFFECT[taint.effect] });

/** Pod placement of a critical add-on on the system nodes. */
export const SYSTEM_PLACEMENT = {
    nodeSelector: { [NODE_GROUP_LABEL]: "system" },
    tolerations: [tolerate(SYSTEM_TAINT)],
} as const;

/** Spreads a workload's replicas across zones (best effort, so a zone outage never blocks scheduling). */
export function zoneSpread(matchLabels: Record<string, string>) {
    return [
        { maxSkew: 1, topologyKey: "topology.kubernetes.io/zone", whenUnsatisfiable: "ScheduleAnyway", labelSelector: { matchLabels } },
    ];
}
