import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { PARTITION } from "../stacks/config/catalog";
import type { RegionConfig } from "../stacks/config/config";
import { BackupReplication, type BackupTarget } from "./backups/backup-replication";
import type { ApiClients } from "./eks/cluster";
import { Encryption } from "./security/encryption";
import { Network, type PeerRoute } from "./network/network";
import { peer } from "./network/peering";
import { Runner } from "./pipeline/runner";
import { deployCluster } from "./region";
import type { Foundation, PlatformArgs, RegionCluster } from "./region-args";
import type { Scope } from "./shared/iam";

export type { PlatformArgs, RegionCluster } from "./region-args";

/**
 * One region of the platform, built in two phases so that every region's network exists, and is
 * peered with the runner region's, before any cluster's API has to be reached:
 *
 * 1. the constructor: encryption keys -> network -> the pipeline's runner in the private subnets;
 * 2. `deploy`: the EKS cluster and its add-ons (see deployCluster for their order), which the
 *    runner of the runner region reaches over its VPC (its own region) or the peering (the others).
 *
 * A stack in bootstrap mode stops after phase 1. Give the component the region's AWS provider
 * through `providers`; it creates its own Kubernetes provider for the cluster.
 */
export class Platform extends pulumi.ComponentResource {
    readonly region: RegionConfig;
    readonly vpcId: pulumi.Output<string>;
    /** The network this program created, for peering; undefined for an existing VPC. */
    readonly network: Network | undefined;
    readonly runner: Runner;
    private readonly resourceName: string;
    private readonly args: PlatformArgs;
    private readonly foundation: Foundation;
    private readonly accountId: pulumi.Output<string>;
    private cluster: RegionCluster | undefined;

    constructor(
        name: string,
        args: PlatformArgs & { readonly peerRoutes?: pulumi.Input<PeerRoute[]> },
        opts?: pulumi.ComponentResourceOptions,
    ) {
        super("platform:index:Platform", name, {}, opts);
        const { region, protect } = args;
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
                volumesKeyAlias: names.volumesKeyAlias,
                karpenterControllerRole: names.roles.karpenter,
                logGroups: [names.controlPlaneLogGroup, ...(network.kind === "created" ? [names.flowLogGroup] : []), names.runnerLogGroup],
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
            this.network = new Network(
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
                    peerRoutes: args.peerRoutes,
                },
                parent,
            );
            vpcId = this.network.vpcId;
            privateSubnetIds = this.network.privateSubnetIds;
            zones = this.network.zones;
            egress = this.network.egress;
        } else {
            vpcId = pulumi.output(network.vpcId);
            privateSubnetIds = [...network.privateSubnetIds];
        }

        this.runner = new Runner(
            `${name}-runner`,
            {
                projectName: names.runnerProject,
                logGroup: names.runnerLogGroup,
                roleName: names.roles.pipelineRunner,
                repository: args.pipeline.repository,
                connectionArn: args.pipeline.connectionArn,
                computeType: args.pipeline.computeType,
                vpcId,
                subnetIds: privateSubnetIds,
                logsKeyArn: encryption.logsKeyArn,
                logRetentionDays: args.cluster.logRetentionDays,
                scope,
                tags: region.tags,
                protect,
            },
            // The runner's builds leave through the NAT routes.
            { parent: this, dependsOn: egress },
        );

        this.resourceName = name;
        this.region = region;
        this.vpcId = vpcId;
        this.args = args;
        this.foundation = {
            scope,
            secretsKeyArn: encryption.secretsKeyArn,
            logsKeyArn: encryption.logsKeyArn,
            volumesKeyArn: encryption.volumesKeyArn,
            vpcId,
            privateSubnetIds,
            zones,
            egress,
        };
        this.accountId = scope.accountId;
        this.registerOutputs({ vpcId: this.vpcId, runnerProject: this.runner.projectName });
    }

    /**
     * Phase 2: the cluster and its add-ons, reachable by the runners in `apiClients`. `replicaOf`
     * names the region whose backups are replicated into this one's bucket: a second drill
     * restores them.
     */
    async deploy(apiClients: ApiClients, replicaOf?: Platform): Promise<RegionCluster> {
        if (this.cluster) throw new Error(`${this.region.region}: the cluster is deployed once`);
        this.cluster = await deployCluster(this.resourceName, this.args, this.foundation, apiClients, replicaOf?.region.names.cluster, {
            parent: this,
        });
        return this.cluster;
    }

    /** Peers this region's VPC with another region's (both created by this program); returns the accepted connection's ID. */
    peerWith(other: Platform): pulumi.Output<string> {
        if (!this.network || !other.network)
            throw new Error(`${this.region.region} and ${other.region.region}: only networks this program creates are peered`);
        const side = (platform: Platform) => ({
            region: platform.region.region,
            cluster: platform.region.names.cluster,
            vpcId: platform.vpcId,
            owner: platform,
            tags: platform.region.tags,
        });
        return peer(side(this), side(other), this.accountId);
    }

    /** Copies this region's backups to another region's bucket (called once all regions' clusters exist). */
    replicateBackupsTo(destination: BackupTarget): BackupReplication {
        if (!this.cluster) throw new Error(`${this.region.region}: deploy the cluster before replicating its backups`);
        return new BackupReplication(
            `${this.region.region}-backup-replication`,
            {
                source: this.cluster.backups,
                destination,
                roleName: this.region.names.roles.backupReplication,
                prefix: this.region.names.cluster,
                accountId: this.accountId,
                tags: this.region.tags,
            },
            { parent: this },
        );
    }
}
