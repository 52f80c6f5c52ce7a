// The shape of a stack file's `platform:` settings, composed from the field schemas in fields/.
// Field rules that need only the field itself live there; rules that compare fields (overlaps,
// ordering, derived names) live in validate.ts and rules/. Every field carries a description: the
// README's configuration reference is generated from it.
import { z } from "zod";
import { described, tagKey, tagValue } from "./fields/common";
import { versions } from "./fields/versions";
import { karpenter, nodeGroup } from "./fields/nodes";
import { backups, gitops, helmValues, monitoring, policies, secrets } from "./fields/addons";
import { cluster, natGateways, network, promotion, region } from "./fields/cluster";
import { pipeline } from "./fields/pipeline";
import { teams } from "./fields/teams";
import { ingress } from "./fields/ingress";
import { logging } from "./fields/logging";

/**
 * All `platform:` keys of a stack file. Keys with scalar values are read as plain strings; the
 * others as YAML structures.
 */
export const SETTINGS = {
    environment: described(
        z.string().regex(/^[a-z][a-z0-9]{1,11}$/, "must be 2-12 lowercase letters or digits, starting with a letter"),
        "Environment name, used in names and tags",
    ),
    owner: described(tagValue.min(1, "required"), "Owning team, written to the owner tag"),
    name: described(
        z
            .string()
            .regex(/^[a-z]([a-z0-9-]*[a-z0-9])?$/, "must be lowercase letters, digits and hyphens")
            .default("platform"),
        "Prefix of every cluster name",
    ),
    protect: described(
        z.boolean().default(true),
        "Protect stateful resources (clusters, VPCs, KMS keys, log groups, backup buckets) from deletion by Pulumi, and keep keys and buckets when the stack is destroyed",
    ),
    tags: described(z.record(tagKey, tagValue).default({}), "Extra tags on every taggable resource"),
    versions: described(versions, "The version lock: every pinned version, copied as one block on promotion"),
    cluster: described(cluster.prefault({}), "EKS control plane settings"),
    network: described(network.prefault({}), "Network settings shared by every region"),
    nodeGroups: described(
        z
            .strictObject({
                system: described(
                    nodeGroup({ instanceTypes: ["m7i.large", "m6i.large"], minSize: 2, desiredSize: 3, maxSize: 4 }).prefault({}),
                    "Critical add-ons only (taint CriticalAddonsOnly); on-demand, at least 2 nodes",
                ),
                general: described(
                    nodeGroup({ instanceTypes: ["m7i.xlarge", "m6i.xlarge"], minSize: 2, desiredSize: 3, maxSize: 10 }).prefault({}),
                    "Stateless services; untainted",
                ),
                memory: described(
                    nodeGroup({ instanceTypes: ["r7i.xlarge", "r6i.xlarge"], minSize: 1, desiredSize: 1, maxSize: 4 }).prefault({}),
                    "Memory-optimised instances (R, X, Z, U families); taint platform/node-group=memory",
                ),
            })
            .prefault({}),
        "Managed node groups: system (critical add-ons), general, memory",
    ),
    karpenter: described(karpenter.prefault({}), "Karpenter node classes and pools, the same in every region"),
    highAvailability: described(z.boolean().default(true), "Run add-ons with several replicas across zones and PodDisruptionBudgets"),
    secrets: described(secrets.prefault({}), "External Secrets and the AWS Secrets Manager store"),
    gitops: described(gitops, "Argo CD"),
    ingress: described(
        ingress,
        "North-south traffic: each region's Gateway (HTTPS, behind a Network Load Balancer), its DNS names and its certificate",
    ),
    policies: described(policies, "Kyverno admission policies"),
    monitoring: described(monitoring, "kube-prometheus-stack"),
    logging: described(
        logging.prefault({}),
        "Container logs: collected on every node, searchable in Loki, archived in the log bucket, tiered by namespace",
    ),
    backups: described(backups.prefault({}), "Velero backups"),
    teams: described(teams.default({}), "Product teams: their namespaces, quotas, limits and network allowances, in every cluster"),
    pipeline: described(pipeline, "The pipeline's runners inside each region's VPC, and the bootstrap of a new stack"),
    promotion: described(promotion.prefault({}), "Where this stack's version lock comes from, and the deploy-time gate on it"),
    helmValues: described(
        helmValues,
        "Helm values per chart, deep-merged over the platform's own in every cluster (maps merge, lists and scalars replace, null removes a key); listed in the plan",
    ),
    regions: described(
        z.array(region).min(1, "at least one region is required"),
        "One entry per region; each gets its own VPC and cluster",
    ),
} as const;

export type SettingKey = keyof typeof SETTINGS;
export const SCALAR_SETTINGS: ReadonlySet<SettingKey> = new Set(["environment", "owner", "name"]);

export const settingsSchema = z.strictObject(SETTINGS);
export type Settings = z.output<typeof settingsSchema>;
export type RegionSettings = Settings["regions"][number];
export type NodeGroupRole = keyof Settings["nodeGroups"];
export type VersionLock = Settings["versions"];
export type ClusterSettings = Settings["cluster"];
export type NatLayout = z.output<typeof natGateways>;
export type KarpenterSettings = Settings["karpenter"];
export type SecretsSettings = Settings["secrets"];
export type GitOpsSettings = Settings["gitops"];
export type PolicySettings = Settings["policies"];
export type MonitoringSettings = Settings["monitoring"];
export type BackupSettings = Settings["backups"];
export type PromotionSettings = Settings["promotion"];
export type PipelineSettings = Settings["pipeline"];
export type TeamsSettings = Settings["teams"];
export type IngressSettings = Settings["ingress"];
export type LoggingSettings = Settings["logging"];
export type HelmValuesSettings = Settings["helmValues"];
