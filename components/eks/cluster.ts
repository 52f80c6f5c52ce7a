import * as aws from "@pulumi/aws";
import * as eks from "@pulumi/eks";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { ACCESS_POLICIES, CONTROL_PLANE_LOG_TYPES, PARTITION } from "../../stacks/config/catalog";
import type { ClusterSettings, HelmValuesSettings } from "../../stacks/config/schema";
import type { TeamSettings } from "../../stacks/config/fields/teams";
import type { ClusterHandle } from "../shared/cluster-handle";
import { PIPELINE_PREVIEW_GROUP } from "./pipeline-access";
import { type Scope, serviceTrustPolicy } from "../shared/iam";
import { clusterEncryptionPolicy } from "./policies";
import { createRole } from "../shared/roles";

export interface ClusterArgs {
    readonly name: string;
    readonly region: string;
    readonly roleName: string;
    readonly controlPlaneLogGroup: string;
    /** Kubernetes minor, e.g. "1.35". */
    readonly version: string;
    readonly settings: ClusterSettings;
    readonly serviceCidr: string;
    readonly vpcId: pulumi.Input<string>;
    /** Subnets of the control-plane ENIs and the nodes; public subnets are only for load balancers. */
    readonly privateSubnetIds: pulumi.Input<string>[];
    readonly secretsKeyArn: pulumi.Input<string>;
    readonly logsKeyArn: pulumi.Input<string>;
    /** Version of the eks-pod-identity-agent add-on. */
    readonly podIdentityAgentVersion: string;
    readonly scope: pulumi.Input<Scope>;
    readonly tags: Readonly<Record<string, string>>;
    /** Protect the cluster and its log group from deletion by Pulumi. */
    readonly protect: boolean;
    /** The teams, whose roles get access entries scoped to their namespaces. */
    readonly teams: Readonly<Record<string, TeamSettings>>;
    /** Who reaches the private API endpoint besides the nodes: the pipeline's runners. */
    readonly apiClients: ApiClients;
    /** The stack file's Helm values overrides, handed to every release on the cluster. */
    readonly helmValues: HelmValuesSettings;
}

/** The pipeline's runners, as the control plane's security group admits them on 443. */
export interface ApiClients {
    /** Runner security groups in the cluster's own VPC. */
    readonly securityGroupIds: Readonly<Record<string, pulumi.Input<string>>>;
    /** Other regions' VPCs, whose runners come over peering (security groups do not cross regions). */
    readonly cidrs: Readonly<Record<string, string>>;
    /** What must exist before the API is reachable from them: the peering routes. */
    readonly ready: pulumi.Input<pulumi.Resource>[];
}

export type AccessScope = { type: "cluster" } | { type: "namespace"; namespaces: string[] };

export interface AccessEntry {
    readonly principalArn: string;
    readonly type: "STANDARD";
    readonly accessPolicies: Record<string, { policyArn: string; accessScope: AccessScope }>;
    /** Kubernetes groups of the principal, for RBAC bindings beyond its access policy. */
    readonly kubernetesGroups?: string[];
}

/**
 * Access entries for the stack's admin and viewer roles, the pipeline's roles and the teams' roles
 * (scoped to their namespaces). Keys come from the role ARN, so that reordering the lists in the
 * stack file changes nothing.
 */
export function accessEntries(
    access: ClusterSettings["access"],
    partition: string,
    teams: Readonly<Record<string, Pick<TeamSettings, "namespaces" | "members" | "viewers">>> = {},
): Record<string, AccessEntry> {
    const entry = (
        kind: keyof typeof ACCESS_POLICIES,
        arn: string,
        prefix: string = kind,
        groups?: string[],
        accessScope: AccessScope = { type: "cluster" },
    ): [string, AccessEntry] => {
        const [, , , , account, resource] = arn.split(":");
        const role = resource.split("/").pop() ?? resource;
        return [
            `${prefix}-${account}-${role}`.toLowerCase().replace(/[^a-z0-9-]/g, "-"),
            {
                principalArn: arn,
                type: "STANDARD",
                accessPolicies: {
                    [kind]: {
                        policyArn: `arn:${partition}:eks::aws:cluster-access-policy/${ACCESS_POLICIES[kind]}`,
                        accessScope,
                    },
                },
                ...(groups ? { kubernetesGroups: groups } : {}),
            },
        ];
    };
    return Object.fromEntries([
        ...access.admins.map((arn) => entry("admin", arn)),
        ...access.viewers.map((arn) => entry("viewer", arn)),
        // The pipeline: `pulumi up` administers the cluster; `pulumi preview --refresh` reads it,
        // with the view policy and the PipelineAccess RBAC bound to its group.
        ...(access.deployRole ? [entry("admin", access.deployRole, "pipeline-deploy")] : []),
        ...(access.previewRole ? [entry("viewer", access.previewRole, "pipeline-preview", [PIPELINE_PREVIEW_GROUP])] : []),
        // A team's roles reach its namespaces only: edit for members, view for viewers.
        ...Object.entries(teams).flatMap(([team, settings]) => {
            const scope: AccessScope = { type: "namespace", namespaces: [...settings.namespaces] };
            return [
                ...settings.members.map((arn) => entry("editor", arn, `team-${team}-member`, undefined, scope)),
                ...settings.viewers.map((arn) => entry("viewer", arn, `team-${team}-viewer`, undefined, scope)),
            ];
        }),
    ]);
}

/**
 * @pulumi/eks creates its aws.eks.Cluster with `bootstrapClusterCreatorAdminPermissions: true`:
 * EKS then gives whoever runs the first `pulumi up` an access entry of its own, outside the stack
 * file, and refuses the stack file's entry for that same role (one entry per principal). Turned
 * off here, every principal's access is the stack file's, whoever creates the cluster. The
 * component ignores later changes to the field, so existing clusters keep what they have.
 * https://github.com/pulumi/pulumi-eks/blob/master/nodejs/eks/cluster/cluster.ts (accessConfig)
 * https://docs.aws.amazon.com/eks/latest/userguide/creating-access-entries.html
 */
export const withoutCreatorAccessEntry: pulumi.ResourceTransform = (args) =>
    args.type === "aws:eks/cluster:Cluster"
        ? {
              props: { ...args.props, accessConfig: { ...args.props.accessConfig, bootstrapClusterCreatorAdminPermissions: false } },
              opts: args.opts,
          }
        : undefined;

/**
 * An EKS control plane: API authentication only (access entries, no aws-auth, nothing in
 * system:masters), private endpoint, secrets envelope-encrypted with a customer-managed key,
 * every control-plane log type in an encrypted log group with retention, and no self-managed
 * add-ons: Cilium is the CNI and replaces kube-proxy, and CoreDNS is a managed add-on installed
 * once nodes exist. The EKS Pod Identity agent is installed with the control plane because the
 * Cilium operator needs its credentials before any node can become Ready.
 */
export class Cluster extends pulumi.ComponentResource {
    readonly handle: ClusterHandle;
    readonly oidcIssuer: pulumi.Output<string>;
    readonly kubeconfig: pulumi.Output<string>;
    readonly podIdentityAgent: aws.eks.Addon;

    constructor(name: string, args: ClusterArgs, opts?: pulumi.ComponentResourceOptions) {
        super("platform:eks:Cluster", name, {}, opts);
        const parent = { parent: this };
        const scope = pulumi.output(args.scope);
        const tags = { ...args.tags, Name: args.name };

        const { role, grants } = createRole(
            `${name}-role`,
            {
                roleName: args.roleName,
                description: `EKS control plane of ${args.name}`,
                trust: scope.apply((s) => serviceTrustPolicy("eks.amazonaws.com", s, { tagSession: true })),
                managedPolicies: ["AmazonEKSClusterPolicy"],
                policies: { "secrets-encryption": pulumi.output(args.secretsKeyArn).apply(clusterEncryptionPolicy) },
                partition: PARTITION,
                tags,
            },
            this,
        );

        // EKS writes to this exact name; created first, the group gets our retention and key
        // instead of the never-expiring, unencrypted group EKS would create.
        const logGroup = new aws.cloudwatch.LogGroup(
            `${name}-logs`,
            {
                name: args.controlPlaneLogGroup,
                retentionInDays: args.settings.logRetentionDays,
                kmsKeyId: args.logsKeyArn,
                tags,
            },
            { parent: this, protect: args.protect },
        );

        const endpoint = args.settings.endpoint;
        const cluster = new eks.Cluster(
            `${name}-eks`,
            {
                name: args.name,
                version: args.version,
                vpcId: args.vpcId,
                privateSubnetIds: args.privateSubnetIds,
                endpointPrivateAccess: true,
                endpointPublicAccess: endpoint.public,
                ...(endpoint.public ? { publicAccessCidrs: [...endpoint.allowedCidrs] } : {}),
                authenticationMode: eks.AuthenticationMode.Api,
                accessEntries: accessEntries(args.settings.access, PARTITION, args.teams),
                serviceRole: role,
                encryptionConfigKeyArn: args.secretsKeyArn,
                enabledClusterLogTypes: [...CONTROL_PLANE_LOG_TYPES],
                kubernetesServiceIpAddressRange: args.serviceCidr,
                deletionProtection: args.settings.deletionProtection,
                upgradePolicy: { supportType: args.settings.supportType },
                // Nodes come from managed node groups; Cilium replaces aws-node and kube-proxy.
                skipDefaultNodeGroup: true,
                skipDefaultSecurityGroups: true,
                bootstrapSelfManagedAddons: false,
                useDefaultVpcCni: true,
                corednsAddonOptions: { enabled: false },
                kubeProxyAddonOptions: { enabled: false },
                createOidcProvider: false,
                tags: args.tags,
                clusterTags: tags,
            },
            { parent: this, protect: args.protect, dependsOn: [...grants, logGroup], transforms: [withoutCreatorAccessEntry] },
        );

        // The only security group of the control plane is the one EKS creates (the component's own
        // are skipped): admitting the runners there is what lets the pipeline reach the API.
        const clusterSecurityGroupId = cluster.eksCluster.vpcConfig.clusterSecurityGroupId;
        const admit = (key: string, source: { referencedSecurityGroupId: pulumi.Input<string> } | { cidrIpv4: string }, what: string) =>
            new aws.vpc.SecurityGroupIngressRule(
                `${name}-api-from-${key}`,
                {
                    securityGroupId: clusterSecurityGroupId,
                    description: `Kubernetes API from ${what}`,
                    ipProtocol: "tcp",
                    fromPort: 443,
                    toPort: 443,
                    ...source,
                    tags,
                },
                parent,
            );
        const apiAccess = [
            ...Object.entries(args.apiClients.securityGroupIds).map(([key, id]) =>
                admit(key, { referencedSecurityGroupId: id }, `the ${key} pipeline runner`),
            ),
            ...Object.entries(args.apiClients.cidrs).map(([key, cidr]) =>
                admit(key, { cidrIpv4: cidr }, `the ${key} VPC, whose pipeline runner comes over peering`),
            ),
        ];

        this.oidcIssuer = cluster.eksCluster.identities.apply((ids) => ids[0]?.oidcs?.[0]?.issuer ?? "");
        this.kubeconfig = pulumi.secret(cluster.kubeconfigJson);
        this.handle = {
            name: args.name,
            region: args.region,
            createdName: cluster.eksCluster.name,
            endpoint: cluster.eksCluster.endpoint,
            securityGroupId: cluster.eksCluster.vpcConfig.clusterSecurityGroupId,
            eks: cluster,
            // Every Kubernetes object waits for the runners to be admitted: the pipeline applies them.
            provider: new k8s.Provider(
                `${name}-k8s`,
                { kubeconfig: this.kubeconfig, enableServerSideApply: true },
                { parent: this, dependsOn: [...apiAccess, ...args.apiClients.ready] },
            ),
            scope,
            helmValues: args.helmValues,
            tags: args.tags,
        };

        // A DaemonSet on the host network that tolerates every taint: it runs on a node before
        // the node is Ready, which is what lets the Cilium operator obtain credentials.
        this.podIdentityAgent = new aws.eks.Addon(
            `${name}-pod-identity-agent`,
            {
                clusterName: this.handle.createdName,
                addonName: "eks-pod-identity-agent",
                addonVersion: args.podIdentityAgentVersion,
                resolveConflictsOnCreate: "OVERWRITE",
                resolveConflictsOnUpdate: "OVERWRITE",
                tags,
            },
            parent,
        );

        this.registerOutputs({
            name: this.handle.createdName,
            endpoint: this.handle.endpoint,
            oidcIssuer: this.oidcIssuer,
            kubeconfig: this.kubeconfig,
        });
    }
}
