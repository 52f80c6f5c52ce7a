// How long a first `pulumi up` of a stack takes, estimated from the program's dependency graph:
// every resource starts when everything it depends on has finished (Pulumi runs independent
// operations in parallel; `pulumi up --parallel` is unbounded by default) and takes the time
// the table below gives its type. The longest chain is the critical path.
//
// The durations are typical creation times on AWS, rounded, for a first deployment; they are
// estimates to compare program structures by, not promises. Calibrate them from a real run:
// `pulumi up --json` (or the Pulumi Cloud timeline) gives each resource's start and end.
import { type RecordedResource, childrenByParent, shortType, waitsFor } from "./resources";

/**
 * Seconds to create one resource, by type. Sources: the Amazon EKS user guide (a cluster takes
 * "several minutes", ~10 in practice; managed node groups and add-ons a few minutes), NAT
 * gateways ~2 minutes until available; IAM, KMS, S3, CloudWatch and Kubernetes objects seconds.
 */
export const CREATE_SECONDS: Readonly<Record<string, number>> = {
    // The @pulumi/eks component: the control plane plus its security group rules and add-on setup.
    "eks:index:Cluster": 600,
    // Launch, boot, join and become Ready (Cilium gives the node its addresses).
    "aws:eks/nodeGroup:NodeGroup": 240,
    "aws:ec2/natGateway:NatGateway": 120,
    "aws:ec2/vpc:Vpc": 15,
    "aws:ec2/internetGateway:InternetGateway": 10,
    "aws:ec2/flowLog:FlowLog": 10,
    "aws:ec2/vpcEndpoint:VpcEndpoint": 30,
    // IAM is eventually consistent: a role is usable some seconds after it is created.
    "aws:iam/role:Role": 10,
    "aws:kms/key:Key": 10,
    "aws:sqs/queue:Queue": 10,
    "aws:eks/podIdentityAssociation:PodIdentityAssociation": 5,
    "aws:eks/accessEntry:AccessEntry": 5,
};

/** EKS add-ons: until ACTIVE. Deployments that need Ready nodes take longer than DaemonSets. */
export const ADDON_SECONDS: Readonly<Record<string, number>> = {
    coredns: 90,
    "aws-ebs-csi-driver": 90,
    "eks-pod-identity-agent": 45,
    "snapshot-controller": 90,
};

/**
 * Helm releases that wait for their workloads: until every Deployment, StatefulSet and DaemonSet
 * of the chart is ready, with the platform's values (HA replicas where the stack asks for them).
 * A release that does not wait (Cilium, CRD-only charts) takes APPLY_SECONDS.
 */
export const CHART_SECONDS: Readonly<Record<string, number>> = {
    // CRDs only: nothing to wait for.
    "prometheus-operator-crds": 15,
    karpenter: 60,
    "external-secrets": 60,
    velero: 60,
    kyverno: 120,
    "kyverno-policies": 15,
    "argo-cd": 150,
    // Prometheus, Alertmanager and Grafana with volumes the EBS CSI driver provisions.
    "kube-prometheus-stack": 240,
};
export const APPLY_SECONDS = 15;
/** Everything else AWS creates (subnets, routes, policies, log groups, buckets, rules). */
export const DEFAULT_AWS_SECONDS = 5;
/** Kubernetes objects that are not Helm releases: applied, not waited for. */
export const DEFAULT_KUBERNETES_SECONDS = 3;

/** Seconds to create `resource`; 0 for components and providers, which create nothing themselves. */
export function createSeconds(resource: RecordedResource): number {
    if (!resource.custom && !resource.remote) return 0;
    const { type, inputs } = resource;
    if (type.startsWith("pulumi:")) return 0;
    if (type === "aws:eks/addon:Addon") return ADDON_SECONDS[String(inputs.addonName)] ?? 60;
    if (type === "kubernetes:helm.sh/v3:Release") {
        if (inputs.skipAwait === true) return APPLY_SECONDS;
        const chart = String(inputs.chart).split("/").pop() as string;
        return CHART_SECONDS[chart] ?? 60;
    }
    if (type in CREATE_SECONDS) return CREATE_SECONDS[type];
    return type.startsWith("kubernetes:") ? DEFAULT_KUBERNETES_SECONDS : DEFAULT_AWS_SECONDS;
}

export interface Step {
    readonly resource: RecordedResource;
    readonly start: number;
    readonly finish: number;
}

export interface Schedule {
    /** When each resource (by URN) starts and finishes, in seconds from the start of the update. */
    readonly steps: ReadonlyMap<string, Step>;
    /** When the last resource finishes. */
    readonly total: number;
    /** The chain of resources that decides the total, first to last. */
    readonly criticalPath: readonly Step[];
}

/**
 * Schedules every resource as early as its dependencies allow. A dependency on a component
 * (dependsOn a ComponentResource) waits for everything inside it.
 */
export function schedule(resources: readonly RecordedResource[]): Schedule {
    const byUrn = new Map(resources.map((r) => [r.urn, r]));
    const children = childrenByParent(resources);
    const steps = new Map<string, Step>();
    /** The step that finishes last among `urn`'s own resource or, for a component, its contents. */
    const latest = new Map<string, Step | undefined>();
    const visiting = new Set<string>();

    const doneBy = (urn: string): Step | undefined => {
        if (latest.has(urn)) return latest.get(urn);
        const resource = byUrn.get(urn);
        if (!resource) return undefined;
        let last: Step | undefined;
        if (resource.custom || resource.remote) last = step(resource);
        else
            for (const child of children.get(urn) ?? []) {
                const done = doneBy(child.urn);
                if (done && (!last || done.finish > last.finish)) last = done;
            }
        latest.set(urn, last);
        return last;
    };

    const step = (resource: RecordedResource): Step => {
        const known = steps.get(resource.urn);
        if (known) return known;
        if (visiting.has(resource.urn)) throw new Error(`dependency cycle through ${resource.type} ${resource.name}`);
        visiting.add(resource.urn);
        let start = 0;
        for (const urn of waitsFor(resource)) start = Math.max(start, doneBy(urn)?.finish ?? 0);
        visiting.delete(resource.urn);
        const made = { resource, start, finish: start + createSeconds(resource) };
        steps.set(resource.urn, made);
        return made;
    };

    for (const resource of resources) if (resource.custom || resource.remote) step(resource);
    let last: Step | undefined;
    for (const s of steps.values()) if (!last || s.finish > last.finish) last = s;

    const criticalPath: Step[] = [];
    for (let current = last; current;) {
        criticalPath.unshift(current);
        const { start } = current;
        const before: Step | undefined = waitsFor(current.resource)
            .map((urn) => doneBy(urn))
            .find((done) => done !== undefined && done.finish === start && start > 0);
        current = before;
    }
    return { steps, total: last?.finish ?? 0, criticalPath };
}

export interface RegionEstimate {
    readonly region: string;
    readonly total: number;
    readonly floor: { readonly seconds: number; readonly controlPlane: Step; readonly systemNodes: Step; readonly slowestAddon: Step };
    readonly criticalPath: readonly Step[];
}

/**
 * The estimate for one region's resources (those under its Platform), against the floor no
 * ordering can beat: control plane, then the system node group, then the slowest add-on that
 * needs nodes.
 */
export function estimateRegion(region: string, resources: readonly RecordedResource[], systemNodeGroup: string): RegionEstimate {
    const plan = schedule(resources);
    const of = (predicate: (r: RecordedResource) => boolean) => [...plan.steps.values()].filter((s) => predicate(s.resource));
    const [controlPlane] = of((r) => r.type === "eks:index:Cluster");
    const [systemNodes] = of((r) => r.type === "aws:eks/nodeGroup:NodeGroup" && r.inputs.nodeGroupName === systemNodeGroup);
    if (!controlPlane || !systemNodes) throw new Error(`region ${region}: no cluster or system node group to estimate`);
    const needsNodes = dependentsOf(systemNodes.resource.urn, resources);
    const afterNodes = of((r) => (r.type === "aws:eks/addon:Addon" || r.type === "kubernetes:helm.sh/v3:Release") && needsNodes.has(r.urn));
    const slowestAddon = afterNodes.reduce((a, b) => (createSeconds(b.resource) > createSeconds(a.resource) ? b : a));
    const seconds = createSeconds(controlPlane.resource) + createSeconds(systemNodes.resource) + createSeconds(slowestAddon.resource);
    return { region, total: plan.total, floor: { seconds, controlPlane, systemNodes, slowestAddon }, criticalPath: plan.criticalPath };
}

/** URNs of every resource that waits, directly or not, for `urn`. */
function dependentsOf(urn: string, resources: readonly RecordedResource[]): Set<string> {
    const waiters = new Map<string, string[]>();
    for (const r of resources) for (const dep of waitsFor(r)) waiters.set(dep, [...(waiters.get(dep) ?? []), r.urn]);
    const found = new Set<string>();
    const pending = [urn];
    while (pending.length > 0) {
        for (const next of waiters.get(pending.pop() as string) ?? []) {
            if (!found.has(next)) {
                found.add(next);
                pending.push(next);
            }
        }
    }
    return found;
}

export const minutes = (seconds: number): string => `${Math.floor(seconds / 60)}m${String(Math.round(seconds % 60)).padStart(2, "0")}s`;

/** A region's estimate as the plan prints it: total against the floor, then the critical path. */
export function renderEstimate(estimate: RegionEstimate): string[] {
    const { total, floor } = estimate;
    const over = ((total / floor.seconds - 1) * 100).toFixed(0);
    return [
        `${minutes(total)} (floor ${minutes(floor.seconds)}: control plane ${minutes(createSeconds(floor.controlPlane.resource))} + system nodes ${minutes(createSeconds(floor.systemNodes.resource))} + slowest add-on ${floor.slowestAddon.resource.name} ${minutes(createSeconds(floor.slowestAddon.resource))}; ${over}% above)`,
        "critical path:",
        ...estimate.criticalPath.map(
            (step) =>
                `  ${minutes(step.start).padStart(6)} -> ${minutes(step.finish).padStart(6)}  ${shortType(step.resource.type)} ${step.resource.name}`,
        ),
    ];
}
