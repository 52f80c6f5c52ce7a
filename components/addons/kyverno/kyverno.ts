import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { PolicyAction } from "../../../stacks/config/fields/addons";
import type { PolicySettings } from "../../../stacks/config/schema";
import type { ClusterHandle } from "../../shared/cluster-handle";
import { platformNamespace, platformRelease } from "../../shared/kubernetes";
import { SYSTEM_PLACEMENT } from "../../shared/scheduling";

export interface KyvernoArgs {
    readonly cluster: ClusterHandle;
    /** Version of the kyverno and kyverno-policies charts, released together. */
    readonly chartVersion: string;
    readonly settings: PolicySettings;
    /** Namespaces no policy applies to: the platform's own. */
    readonly excludedNamespaces: readonly string[];
    readonly highAvailability: boolean;
    /** Kyverno runs on the system node group: it waits for the node groups. */
    readonly dependsOn: pulumi.Input<pulumi.Resource>[];
}

export const DEFAULTS = { namespace: "kyverno" } as const;

/** Kubernetes' own label with a namespace's name, set on every namespace. */
const NAMESPACE_NAME = "kubernetes.io/metadata.name";

const notIn = (namespaces: readonly string[]) => ({
    matchExpressions: [{ key: NAMESPACE_NAME, operator: "NotIn", values: [...namespaces] }],
});

/**
 * Helm values of the kyverno chart: three admission replicas and two of each other controller
 * when highly available, all on the system nodes, and webhooks that never see the platform's
 * namespaces, so a Kyverno outage cannot block the platform or node rotation.
 */
export function kyvernoValues(args: { highAvailability: boolean; excludedNamespaces: readonly string[] }) {
    const ha = args.highAvailability;
    const controller = (replicas: number) => ({
        replicas,
        nodeSelector: { ...SYSTEM_PLACEMENT.nodeSelector },
        tolerations: [...SYSTEM_PLACEMENT.tolerations],
        podDisruptionBudget: { enabled: replicas > 1, minAvailable: 1 },
        serviceMonitor: { enabled: true },
    });
    return {
        // Every workload of the chart, its hook Jobs included (a hook killed on a spot node hangs
        // an upgrade or uninstall); the controllers repeat it below.
        global: { nodeSelector: { ...SYSTEM_PLACEMENT.nodeSelector }, tolerations: [...SYSTEM_PLACEMENT.tolerations] },
        admissionController: controller(ha ? 3 : 1),
        backgroundController: controller(ha ? 2 : 1),
        cleanupController: controller(ha ? 2 : 1),
        reportsController: controller(ha ? 2 : 1),
        config: {
            webhooks: { namespaceSelector: notIn(args.excludedNamespaces) },
            resourceFiltersExcludeNamespaces: [...args.excludedNamespaces],
        },
    };
}

/**
 * Helm values of the upstream kyverno-policies chart, which ships the Pod Security Standards:
 * the restricted profile as CEL ValidatingPolicies with the stack's action, the platform's
 * namespaces excluded.
 */
export function podSecurityValues(args: { action: PolicyAction; excludedNamespaces: readonly string[] }) {
    return {
        policyType: "ValidatingPolicy",
        podSecurityStandard: "restricted",
        validationFailureAction: args.action,
        failurePolicy: args.action === "Enforce" ? "Fail" : "Ignore",
        vpolExclude: { excludeNamespaces: [...args.excludedNamespaces] },
        background: true,
    };
}

/** Pod controllers whose pod templates Kyverno checks too, so a bad Deployment fails at apply. */
const POD_CONTROLLERS = ["deployments", "statefulsets", "daemonsets", "replicasets", "jobs", "cronjobs"];

/** Containers and init containers of a pod, in CEL. */
const ALL_CONTAINERS = {
    name: "containers",
    expression: "object.spec.containers + (has(object.spec.initContainers) ? object.spec.initContainers : [])",
};

interface Validation {
    readonly expression: string;
    readonly message: string;
}

/**
 * A ValidatingPolicy on pods (and, through autogen, their controllers) outside the platform's
 * namespaces. Enforce denies and fails closed; Audit only reports.
 */
export function podPolicy(args: {
    description: string;
    action: PolicyAction;
    excludedNamespaces: readonly string[];
    variables?: Array<{ name: string; expression: string }>;
    validations: Validation[];
}) {
    return {
        metadata: { annotations: { "policies.kyverno.io/description": args.description } },
        spec: {
            validationActions: [args.action === "Enforce" ? "Deny" : "Audit"],
            failurePolicy: args.action === "Enforce" ? "Fail" : "Ignore",
            matchConstraints: {
                resourceRules: [{ apiGroups: [""], apiVersions: ["v1"], operations: ["CREATE", "UPDATE"], resources: ["pods"] }],
                namespaceSelector: notIn(args.excludedNamespaces),
            },
            autogen: { podControllers: { controllers: [...POD_CONTROLLERS] } },
            ...(args.variables ? { variables: args.variables } : {}),
            validations: args.validations,
        },
    };
}

/** The platform's own validating policies (those the upstream chart does not ship), by name. */
export function platformPolicies(settings: PolicySettings, excludedNamespaces: readonly string[]) {
    const common = { excludedNamespaces };
    return {
        "disallow-latest-tag": podPolicy({
            ...common,
            description: "Images are pinned by a tag other than latest, or by digest.",
            action: settings.disallowLatestTag,
            variables: [ALL_CONTAINERS],
            validations: [
                {
                    expression: "variables.containers.all(c, !c.image.endsWith(':latest'))",
                    message: "The :latest tag is not allowed; pin a version.",
                },
                {
                    expression:
                        "variables.containers.all(c, c.image.contains('@') || c.image.split('/')[size(c.image.split('/')) - 1].contains(':'))",
                    message: "Images must carry a tag or digest.",
                },
            ],
        }),
        "require-requests-limits": podPolicy({
            ...common,
            description: "Every container requests CPU and memory and has a memory limit.",
            action: settings.requireResources,
            variables: [ALL_CONTAINERS],
            validations: [
                {
                    expression:
                        "variables.containers.all(c, has(c.resources) && has(c.resources.requests) && 'cpu' in c.resources.requests && 'memory' in c.resources.requests && has(c.resources.limits) && 'memory' in c.resources.limits)",
                    message: "Set resources.requests.cpu, resources.requests.memory and resources.limits.memory on every container.",
                },
            ],
        }),
        "require-probes": podPolicy({
            ...common,
            description: "Every container has readiness and liveness probes.",
            action: settings.requireProbes,
            validations: [
                {
                    expression: "object.spec.containers.all(c, has(c.readinessProbe) && has(c.livenessProbe))",
                    message: "Set readinessProbe and livenessProbe on every container.",
                },
            ],
        }),
        "restrict-image-registries": podPolicy({
            ...common,
            description: "Images come only from the approved registries.",
            action: settings.allowedRegistries.action,
            variables: [ALL_CONTAINERS, { name: "registries", expression: JSON.stringify(settings.allowedRegistries.registries) }],
            validations: [
                {
                    expression: "variables.containers.all(c, variables.registries.exists(r, c.image.startsWith(r + '/')))",
                    message: `Images must come from ${settings.allowedRegistries.registries.join(", ")}.`,
                },
            ],
        }),
    };
}

/**
 * A ClusterPolicy that gives every new namespace outside the platform's a default-deny
 * NetworkPolicy and an allowance for DNS, kept in sync (a deleted or edited copy is restored).
 */
export function defaultDenyPolicy(excludedNamespaces: readonly string[]) {
    const rule = (name: string, data: Record<string, unknown>) => ({
        name,
        match: { any: [{ resources: { kinds: ["Namespace"] } }] },
        exclude: { any: [{ resources: { names: [...excludedNamespaces] } }] },
        generate: {
            apiVersion: "networking.k8s.io/v1",
            kind: "NetworkPolicy",
            name,
            namespace: "{{request.object.metadata.name}}",
            synchronize: true,
            data,
        },
    });
    return {
        metadata: { annotations: { "policies.kyverno.io/description": "New namespaces start closed: no traffic in or out but DNS." } },
        spec: {
            rules: [
                rule("default-deny", { spec: { podSelector: {}, policyTypes: ["Ingress", "Egress"] } }),
                rule("allow-dns", {
                    spec: {
                        podSelector: {},
                        policyTypes: ["Egress"],
                        egress: [
                            {
                                to: [
                                    {
                                        namespaceSelector: { matchLabels: { [NAMESPACE_NAME]: "kube-system" } },
                                        podSelector: { matchLabels: { "k8s-app": "kube-dns" } },
                                    },
                                ],
                                ports: [
                                    { protocol: "UDP", port: 53 },
                                    { protocol: "TCP", port: 53 },
                                ],
                            },
                        ],
                    },
                }),
            ],
        },
    };
}

/**
 * Kyverno with the Pod Security Standards from the upstream kyverno-policies chart and the
 * platform's own policies, each enforced or audited as the stack file says.
 */
export class Kyverno extends pulumi.ComponentResource {
    constructor(name: string, args: KyvernoArgs, opts?: pulumi.ComponentResourceOptions) {
        super("platform:addons:Kyverno", name, {}, opts);
        const { cluster, settings } = args;
        const k8sOpts = { parent: this, provider: cluster.provider, deletedWith: cluster.eks };

        const namespace = platformNamespace(`${name}-namespace`, DEFAULTS.namespace, "baseline", k8sOpts);
        const chart = { cluster, source: "kyverno", namespace: DEFAULTS.namespace, version: args.chartVersion } as const;
        const release = platformRelease(
            `${name}-release`,
            {
                ...chart,
                chart: "kyverno",
                release: "kyverno",
                values: kyvernoValues({ highAvailability: args.highAvailability, excludedNamespaces: args.excludedNamespaces }),
                timeout: 900,
            },
            { ...k8sOpts, dependsOn: [...args.dependsOn, namespace] },
        );
        platformRelease(
            `${name}-pod-security`,
            {
                ...chart,
                chart: "kyverno-policies",
                release: "kyverno-policies",
                values: podSecurityValues({ action: settings.podSecurity, excludedNamespaces: args.excludedNamespaces }),
            },
            { ...k8sOpts, dependsOn: [release] },
        );

        for (const [policy, body] of Object.entries(platformPolicies(settings, args.excludedNamespaces))) {
            new k8s.apiextensions.CustomResource(
                `${name}-${policy}`,
                {
                    apiVersion: "policies.kyverno.io/v1",
                    kind: "ValidatingPolicy",
                    metadata: { name: policy, ...body.metadata },
                    spec: body.spec,
                },
                { ...k8sOpts, dependsOn: [release] },
            );
        }
        if (settings.defaultDenyNetworkPolicy) {
            const body = defaultDenyPolicy(args.excludedNamespaces);
            new k8s.apiextensions.CustomResource(
                `${name}-default-deny`,
                {
                    apiVersion: "kyverno.io/v1",
                    kind: "ClusterPolicy",
                    metadata: { name: "generate-default-deny", ...body.metadata },
                    spec: body.spec,
                },
                { ...k8sOpts, dependsOn: [release] },
            );
        }
        this.registerOutputs({});
    }
}
