// Physical names of the AWS resources a cluster owns. They are derived once, from the cluster
// name, so that validation can check every AWS limit before anything is created, and so that
// policies can name resources before they exist. IAM is global: every name carries the cluster
// name, which carries the environment and region, so two clusters never collide in one account.
import { INTERRUPTION_EVENTS, type InterruptionEvent } from "./catalog";
import type { NodeGroupRole } from "./schema";

/** Suffixes of the IAM roles a cluster owns. */
export const ROLE_SUFFIXES = {
    cluster: "cluster",
    node: "node",
    ciliumOperator: "cilium-operator",
    ebsCsi: "ebs-csi",
    flowLogs: "flow-logs",
    karpenter: "karpenter",
    karpenterNode: "karpenter-node",
    externalSecrets: "external-secrets",
    velero: "velero",
    backupReplication: "backup-replication",
    pipelineRunner: "pipeline-runner",
    loadBalancerController: "lb-controller",
    certManager: "cert-manager",
    externalDns: "external-dns",
    logStore: "loki",
    logCollector: "log-collector",
} as const;
export type RoleName = keyof typeof ROLE_SUFFIXES;

export interface PhysicalNames {
    /** EKS cluster name; also Cilium's cluster.name. */
    readonly cluster: string;
    readonly roles: Readonly<Record<RoleName, string>>;
    readonly nodeGroups: Readonly<Record<NodeGroupRole, string>>;
    readonly launchTemplates: Readonly<Record<NodeGroupRole, string>>;
    /** The log group EKS writes control-plane logs to; created beforehand to own its retention and key. */
    readonly controlPlaneLogGroup: string;
    readonly flowLogGroup: string;
    readonly secretsKeyAlias: string;
    readonly logsKeyAlias: string;
    /** Root (and data) volumes of every node, managed node groups' and Karpenter's. */
    readonly volumesKeyAlias: string;
    readonly backupKeyAlias: string;
    /** Backup bucket, globally unique through the account ID. */
    readonly backupBucket: (accountId: string) => string;
    /** Log bucket (Loki's chunks and the archive), globally unique through the account ID. */
    readonly logBucket: (accountId: string) => string;
    readonly logKeyAlias: string;
    /** Karpenter's interruption queue and the EventBridge rules that feed it. */
    readonly interruptionQueue: string;
    readonly interruptionRules: Readonly<Record<InterruptionEvent, string>>;
    /** The IAM role a team's secret stores assume: it reads the team's secrets only. */
    readonly teamRole: (team: string) => string;
    /** CodeBuild project of the region's pipeline runner; jobs ask for it as `codebuild-<project>-…`. */
    readonly runnerProject: string;
    /** Where CodeBuild writes the runner's build logs. */
    readonly runnerLogGroup: string;
}

export const NODE_GROUP_ROLES: readonly NodeGroupRole[] = ["system", "general", "memory"];

export function physicalNames(cluster: string): PhysicalNames {
    const perRole = (suffix: (role: NodeGroupRole) => string) =>
        Object.fromEntries(NODE_GROUP_ROLES.map((role) => [role, suffix(role)])) as Record<NodeGroupRole, string>;
    return {
        cluster,
        roles: Object.fromEntries(Object.entries(ROLE_SUFFIXES).map(([key, suffix]) => [key, `${cluster}-${suffix}`])) as Record<
            RoleName,
            string
        >,
        nodeGroups: perRole((role) => `${cluster}-${role}`),
        launchTemplates: perRole((role) => `${cluster}-${role}`),
        controlPlaneLogGroup: `/aws/eks/${cluster}/cluster`,
        flowLogGroup: `/platform/${cluster}/vpc-flow-logs`,
        secretsKeyAlias: `alias/${cluster}-eks-secrets`,
        logsKeyAlias: `alias/${cluster}-logs`,
        volumesKeyAlias: `alias/${cluster}-volumes`,
        backupKeyAlias: `alias/${cluster}-backups`,
        backupBucket: (accountId) => `${cluster}-backups-${accountId}`,
        logBucket: (accountId) => `${cluster}-logs-${accountId}`,
        logKeyAlias: `alias/${cluster}-log-store`,
        interruptionQueue: `${cluster}-karpenter`,
        interruptionRules: Object.fromEntries(INTERRUPTION_EVENTS.map(({ key }) => [key, `${cluster}-karpenter-${key}`])) as Record<
            InterruptionEvent,
            string
        >,
        teamRole: (team) => `${cluster}-team-${team}`,
        runnerProject: `${cluster}-pipeline`,
        runnerLogGroup: `/aws/codebuild/${cluster}-pipeline`,
    };
}

export const defaultClusterName = (name: string, environment: string, region: string): string => `${name}-${environment}-${region}`;
