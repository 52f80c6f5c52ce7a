// What a region is built from and what its cluster hands on: the arguments of Platform, the
// foundation its first phase builds, and the cluster of its second phase (region.ts).
import type * as pulumi from "@pulumi/pulumi";
import type { RegionConfig } from "../stacks/config/config";
import type * as schema from "../stacks/config/schema";
import type { AddonIdentity } from "./addons/argocd/argocd";
import type { BackupTarget } from "./backups/backup-replication";
import type { Scope } from "./shared/iam";

export interface PlatformArgs {
    readonly region: RegionConfig;
    readonly versions: schema.VersionLock;
    readonly cluster: schema.ClusterSettings;
    readonly nodeGroups: schema.Settings["nodeGroups"];
    readonly karpenter: schema.KarpenterSettings;
    readonly highAvailability: boolean;
    readonly environment: string;
    readonly secrets: schema.SecretsSettings & { readonly prefix: string };
    readonly gitops: schema.GitOpsSettings;
    readonly policies: schema.PolicySettings;
    readonly monitoring: schema.MonitoringSettings;
    readonly backups: schema.BackupSettings;
    /** Protect stateful resources (cluster, keys, log groups) from deletion by Pulumi. */
    readonly protect: boolean;
    readonly pipeline: schema.PipelineSettings;
    readonly teams: schema.TeamsSettings;
    readonly ingress: schema.IngressSettings;
    readonly logging: schema.LoggingSettings;
    readonly helmValues: schema.HelmValuesSettings;
}

/** What the first phase of a region built, for the cluster on it. */
export interface Foundation {
    readonly scope: pulumi.Output<Scope>;
    readonly secretsKeyArn: pulumi.Output<string>;
    readonly logsKeyArn: pulumi.Output<string>;
    readonly volumesKeyArn: pulumi.Output<string>;
    readonly vpcId: pulumi.Output<string>;
    readonly privateSubnetIds: pulumi.Input<string>[];
    /** Zones of the created subnets; undefined for an existing VPC. */
    readonly zones: pulumi.Output<string[]> | undefined;
    /** The private subnets' NAT routes: nodes join through them. */
    readonly egress: pulumi.Resource[];
}

/** What a region's cluster hands to the stack's outputs and to backup replication. */
export interface RegionCluster {
    readonly clusterName: string;
    readonly endpoint: pulumi.Output<string>;
    readonly oidcIssuer: pulumi.Output<string>;
    readonly kubeconfig: pulumi.Output<string>;
    readonly nodeGroupNames: Readonly<Record<string, string>>;
    /** Namespace, service account and role of every add-on, as handed to GitOps. */
    readonly addons: Readonly<Record<string, AddonIdentity>>;
    readonly backups: BackupTarget;
}
