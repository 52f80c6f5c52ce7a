import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { PARTITION, PLATFORM_NAMESPACES } from "../stacks/config/catalog";
import type { RegionConfig } from "../stacks/config/config";
import type {
    BackupSettings,
    ClusterSettings,
    GitOpsSettings,
    KarpenterSettings,
    MonitoringSettings,
    PolicySettings,
    SecretsSettings,
    Settings,
    VersionLock,
} from "../stacks/config/schema";
import { CoreAddons, DEFAULTS as CORE_ADDONS } from "./addons/core/core-addons";
import { type AddonIdentity, ArgoCD } from "./addons/argocd/argocd";
import { BackupReplication, type BackupTarget } from "./backups/backup-replication";
import { Backups, DEFAULTS as VELERO } from "./backups/backups";
import { Cilium, DEFAULTS as CILIUM } from "./addons/cilium/cilium";
import { Cluster } from "./eks/cluster";
import { Encryption } from "./security/encryption";
import { ExternalSecrets, DEFAULTS as EXTERNAL_SECRETS } from "./addons/external-secrets/external-secrets";
import { Karpenter, DEFAULTS as KARPENTER } from "./addons/karpenter/karpenter";
import { Kyverno } from "./addons/kyverno/kyverno";
import { Monitoring } from "./observability/monitoring";
import { MonitoringCrds } from "./observability/monitoring-crds";
import { Network } from "./network/network";
import { NodeGroups } from "./eks/nodegroups";
import { PipelineAccess } from "./eks/pipeline-access";
import { NodePools, amiAliases } from "./addons/karpenter/nodepools";
import type { Scope } from "./shared/iam";
import { DRILL, RestoreDrill } from "./backups/restore-drill";

export interface PlatformArgs {
    readonly region: RegionConfig;
    readonly versions: VersionLock;
    readonly cluster: ClusterSettings;
    readonly nodeGroups: Settings["nodeGroups"];
    readonly karpenter: KarpenterSettings;
    readonly highAvailability: boolean;
    readonly environment: string;
    readonly secrets: SecretsSettings & { readonly prefix: string };
    readonly gitops: GitOpsSettings;
    readonly policies: PolicySettings;
    readonly monitoring: MonitoringSettings;
    readonly backups: BackupSettings;
    /** Protect stateful resources (cluster, keys, log groups) from deletion by Pulumi. */
    readonly protect: boolean;
}

/**
 * One region of the platform: encryption keys, network, EKS control plane, Cilium, managed node
 * groups and core add-ons. Give it the region's AWS provider through `providers`; it creates its
 * own Kubernetes provider for the cluster.
 *
 * Order of creation: keys -> network -> control plane (+ Pod Identity agent) -> Cilium ->
 * node groups -> CoreDNS, EBS CSI, Karpenter -> node pools. See Cilium for why the CNI comes
 * before the nodes, and Karpenter for the order of teardown.
 */
export class Platform extends pulumi.ComponentResource {
    readonly clusterName: string;
    readonly endpoint: pulumi.Output<string>;
    readonly oidcIssuer: pulumi.Output<string>;
    readonly kubeconfig: pulumi.Output<string>;
    readonly nodeGroupNames: Readonly<Record<string, string>>;
    readonly vpcId: pulumi.Output<string>;
    /** Namespace, service account and role of every add-on, as handed to GitOps. */
    readonly addons: Readonly<Record<string, AddonIdentity>>;
    /** The backup bucket, for replication from and to other regions. */
    readonly backups: BackupTarget;
    private readonly names: RegionConfig["names"];
    private readonly accountId: pulumi.Output<string>;
    private readonly tags: Readonly<Record<string, string>>;

    constructor(name: string, args: PlatformArgs, opts?: pulumi.ComponentResourceOptions) {
        super("platform:index:Platform", name, {}, opts);
        const { region, versions, protect } = args;
        const names = region.names;
        const parent = { parent: this };

        const scope: pulumi.Output<Scope> = aws
            .getCallerIdentityOutput({}, parent)
            .accountId.apply((accountId) => ({ partition: PARTITION, region: region.region, accountId }));

        const network = region.network;
        const encryption = new Encryption(
            `${name}-keys`,
            {
                scope,
                secretsKeyAlias: names.secretsKeyAlias,
                logsKeyAlias: names.logsKeyAlias,
                logGroups: network.kind === "created" ? [names.controlPlaneLogGroup, names.flowLogGroup] : [names.controlPlaneLogGroup],
                tags: region.tags,
                protect,
            },
            parent,
        );

        let vpcId: pulumi.Output<string>;
        let privateSubnetIds: pulumi.Input<string>[];
        let zones: pulumi.Output<string[]> | undefined;
        let egress: pulumi.Resource[] = [];
        if (network.kind === "created") {
            const vpc = new Network(
                `${name}-network`,
                {
                    cluster: names.cluster,
                    vpcCidr: region.vpcCidr,
                    subnets: network.subnets,
                    natGateways: network.natGateways,
                    flowLogGroup: names.flowLogGroup,
                    flowLogsRoleName: names.roles.flowLogs,
                    flowLogRetentionDays: network.flowLogRetentionDays,
                    logsKeyArn: encryption.logsKeyArn,
                    scope,
                    tags: region.tags,
                    protect,
                },
                parent,
            );
            vpcId = vpc.vpcId;
            privateSubnetIds = vpc.privateSubnetIds;
            zones = vpc.zones;
            egress = vpc.egress;
        } else {
            vpcId = pulumi.output(network.vpcId);
            privateSubnetIds = [...network.privateSubnetIds];
        }

        const cluster = new Cluster(
            `${name}-cluster`,
            {
                name: names.cluster,
                region: region.region,
                roleName: names.roles.cluster,
                controlPlaneLogGroup: names.controlPlaneLogGroup,
                version: versions.kubernetes,
                settings: args.cluster,
                serviceCidr: region.serviceCidr,
                vpcId,
                privateSubnetIds,
                secretsKeyArn: encryption.secretsKeyArn,
                logsKeyArn: encryption.logsKeyArn,
                podIdentityAgentVersion: versions.addons["eks-pod-identity-agent"],
                scope,
                tags: region.tags,
                protect,
            },
            parent,
        );

        // Every add-on ships a ServiceMonitor, Cilium's included, and Cilium comes before the nodes.
        // Cilium does not wait for the Pod Identity agent: its operator needs the agent only once
        // it runs on a node, and the nodes wait for both.
        const monitoringCrds = new MonitoringCrds(
            `${name}-monitoring-crds`,
            { cluster: cluster.handle, chartVersion: versions.charts["prometheus-operator-crds"] },
            parent,
        );

        const cilium = new Cilium(
            `${name}-cilium`,
            {
                cluster: cluster.handle,
                clusterId: region.ciliumClusterId,
                vpcId,
                chartVersion: versions.charts.cilium,
                operatorRoleName: names.roles.ciliumOperator,
                dependsOn: [monitoringCrds.release],
            },
            parent,
        );

        const nodeGroups = new NodeGroups(
            `${name}-nodes`,
            {
                cluster: cluster.handle,
                nodeRoleName: names.roles.node,
                groupNames: names.nodeGroups,
                launchTemplateNames: names.launchTemplates,
                groups: args.nodeGroups,
                kubernetesVersion: versions.kubernetes,
                amiRelease: versions.nodeAmiRelease,
                subnetIds: privateSubnetIds,
                // A node is Ready once Cilium's operator, with credentials from the Pod Identity
                // agent, has given it pod addresses; it joins through the NAT routes.
                dependsOn: [cilium.release, cluster.podIdentityAgent, ...egress],
            },
            parent,
        );

        // Add-ons wait for the system group only: it is where they run (they tolerate its
        // CriticalAddonsOnly taint), and the general and memory groups are not theirs to wait for.
        const coreAddons = new CoreAddons(
            `${name}-addons`,
            {
                cluster: cluster.handle,
                versions: versions.addons,
                ebsCsiRoleName: names.roles.ebsCsi,
                dependsOn: [nodeGroups.system],
            },
            parent,
        );

        const karpenter = new Karpenter(
            `${name}-karpenter`,
            {
                cluster: cluster.handle,
                chartVersion: versions.charts.karpenter,
                controllerRoleName: names.roles.karpenter,
                nodeRoleName: names.roles.karpenterNode,
                queueName: names.interruptionQueue,
                ruleNames: names.interruptionRules,
                untaggedSubnetIds: network.kind === "existing" ? privateSubnetIds : undefined,
                dependsOn: [nodeGroups.system],
            },
            parent,
        );
        new NodePools(
            `${name}-pools`,
            {
                cluster: cluster.handle,
                settings: args.karpenter,
                nodeRoleName: karpenter.nodeRoleName,
                amiAliases: amiAliases(versions),
                zones,
                dependsOn: karpenter.ready,
            },
            parent,
        );

        const externalSecrets = new ExternalSecrets(
            `${name}-external-secrets`,
            {
                cluster: cluster.handle,
                chartVersion: versions.charts["external-secrets"],
                roleName: names.roles.externalSecrets,
                prefix: args.secrets.prefix,
                kmsKeyArn: args.secrets.kmsKeyArn,
                allowedNamespaces: args.secrets.allowedNamespaces,
                allowedNamespacePatterns: args.secrets.allowedNamespacePatterns,
                highAvailability: args.highAvailability,
                dependsOn: [nodeGroups.system],
            },
            parent,
        );
        const kyverno = new Kyverno(
            `${name}-kyverno`,
            {
                cluster: cluster.handle,
                chartVersion: versions.charts.kyverno,
                settings: args.policies,
                excludedNamespaces: PLATFORM_NAMESPACES,
                highAvailability: args.highAvailability,
                dependsOn: [nodeGroups.system],
            },
            parent,
        );

        const monitoring = new Monitoring(
            `${name}-monitoring`,
            {
                cluster: cluster.handle,
                chartVersion: versions.charts["kube-prometheus-stack"],
                settings: args.monitoring,
                highAvailability: args.highAvailability,
                environment: args.environment,
                drill: { cronjob: DRILL.name, namespace: VELERO.namespace, periodHours: 7 * 24 },
                secretStore: externalSecrets.ready,
                dependsOn: [nodeGroups.system, monitoringCrds.release],
            },
            parent,
        );
        const backups = new Backups(
            `${name}-backups`,
            {
                cluster: cluster.handle,
                chartVersion: versions.charts.velero,
                pluginImage: versions.images.veleroAwsPlugin,
                settings: args.backups,
                bucket: scope.apply((s) => names.backupBucket(s.accountId)),
                keyAlias: names.backupKeyAlias,
                roleName: names.roles.velero,
                protect,
                dependsOn: [nodeGroups.system, monitoringCrds.release],
            },
            parent,
        );
        new RestoreDrill(
            `${name}-restore-drill`,
            {
                cluster: cluster.handle,
                namespace: VELERO.namespace,
                schedule:
                    Object.keys(args.backups.schedules).find((key) =>
                        args.backups.schedules[key].cron
                            .split(/\s+/)
                            .slice(2)
                            .every((f) => f === "*"),
                    ) ?? Object.keys(args.backups.schedules)[0],
                cron: args.backups.drill.cron,
                image: versions.images.restoreDrill,
                dependsOn: backups.ready,
            },
            parent,
        );

        this.addons = {
            cilium: { namespace: CILIUM.namespace, serviceAccount: CILIUM.operatorServiceAccount, roleArn: cilium.operatorRoleArn },
            "ebs-csi": { namespace: "kube-system", serviceAccount: CORE_ADDONS.ebsCsiServiceAccount, roleArn: coreAddons.ebsCsiRoleArn },
            karpenter: { namespace: KARPENTER.namespace, serviceAccount: KARPENTER.serviceAccount, roleArn: karpenter.controllerRoleArn },
            "external-secrets": {
                namespace: EXTERNAL_SECRETS.namespace,
                serviceAccount: EXTERNAL_SECRETS.serviceAccount,
                roleArn: externalSecrets.roleArn,
            },
            velero: { namespace: VELERO.namespace, serviceAccount: VELERO.serviceAccount, roleArn: backups.roleArn },
            kyverno: { namespace: "kyverno" },
            argocd: { namespace: "argocd" },
            monitoring: { namespace: "monitoring" },
        };
        const argocd = new ArgoCD(
            `${name}-argocd`,
            {
                cluster: cluster.handle,
                chartVersion: versions.charts["argo-cd"],
                settings: args.gitops,
                path: region.gitopsPath,
                environment: args.environment,
                highAvailability: args.highAvailability,
                addons: this.addons,
                secretStore: externalSecrets.ready,
                dependsOn: [nodeGroups.system],
            },
            parent,
        );

        if (args.cluster.access.previewRole !== undefined) {
            // Read access for the pipeline's previews, in the namespaces the add-ons create.
            new PipelineAccess(
                `${name}-pipeline-access`,
                {
                    cluster: cluster.handle,
                    secretNamespaces: [...new Set(Object.values(this.addons).map((addon) => addon.namespace))].sort(),
                },
                { ...parent, dependsOn: [cilium, karpenter, externalSecrets, kyverno, monitoring, backups, argocd] },
            );
        }

        this.clusterName = names.cluster;
        this.endpoint = cluster.handle.endpoint;
        this.oidcIssuer = cluster.oidcIssuer;
        this.kubeconfig = cluster.kubeconfig;
        this.nodeGroupNames = nodeGroups.names;
        this.vpcId = vpcId;
        this.backups = {
            region: region.region,
            bucketName: backups.bucketName,
            bucketArn: backups.bucketArn,
            keyArn: backups.keyArn,
            versioning: backups.versioning,
        };
        this.names = names;
        this.accountId = scope.accountId;
        this.tags = region.tags;
        this.registerOutputs({
            clusterName: this.clusterName,
            endpoint: this.endpoint,
            oidcIssuer: this.oidcIssuer,
            kubeconfig: this.kubeconfig,
            nodeGroupNames: this.nodeGroupNames,
            vpcId: this.vpcId,
            addons: this.addons,
            backupBucket: this.backups.bucketName,
        });
    }

    /** Copies this region's backups to another region's bucket (called once all regions exist). */
    replicateBackupsTo(destination: BackupTarget): BackupReplication {
        return new BackupReplication(
            `${this.backups.region}-backup-replication`,
            {
                source: this.backups,
                destination,
                roleName: this.names.roles.backupReplication,
                accountId: this.accountId,
                tags: this.tags,
            },
            { parent: this },
        );
    }
}
