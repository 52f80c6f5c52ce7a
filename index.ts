// Entry point: read the stack file, check it against what is deployed, then one AWS provider and
// one Platform per region. Nothing of the platform is registered until both checks pass.
//
// Each region is built in two phases (see Platform): first every region's keys, network and
// pipeline runner, and the peering of the runner region's network with the others; then every
// region's cluster. A stack in bootstrap mode stops after the first phase.
//
// In each phase the regions are built one after another, each in turns of its own
// (components/shared/turns.ts): what one region registers is sent before the next is built.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { PeerRoute } from "./components/network/network";
import { Platform, type RegionCluster } from "./components/platform";
import { nextTurn } from "./components/shared/turns";
import { StackConfigError, loadStackConfig } from "./stacks/config/config";
import { deploymentProblems, liveState } from "./stacks/delivery/gates";

export = async () => {
    const config = loadStackConfig();

    const providers = new Map(
        config.regions.map((region) => [
            region.region,
            new aws.Provider(region.region, {
                region: region.region,
                // Catches what a resource forgets to tag, including the resources @pulumi/eks creates.
                defaultTags: { tags: region.tags },
            }),
        ]),
    );

    const problems = await deploymentProblems(config, liveState(config, providers), {
        preview: pulumi.runtime.isDryRun(),
        warn: (message) => void pulumi.log.warn(message),
    });
    if (problems.length > 0) throw new StackConfigError(config.stack, problems);

    // A network's routes to its peers are known only once the peerings exist, which need every
    // network first: each network takes a deferred list, resolved below.
    const peerRoutes = config.regions.map(() => pulumi.deferredOutput<PeerRoute[]>());
    const platforms: Platform[] = [];
    for (const [i, region] of config.regions.entries()) {
        platforms.push(
            new Platform(
                region.region,
                {
                    region,
                    versions: config.versions,
                    cluster: config.cluster,
                    nodeGroups: config.nodeGroups,
                    karpenter: config.karpenter,
                    highAvailability: config.highAvailability,
                    environment: config.environment,
                    secrets: config.secrets,
                    gitops: config.gitops,
                    policies: config.policies,
                    monitoring: config.monitoring,
                    backups: config.backups,
                    protect: config.protect,
                    pipeline: config.pipeline,
                    teams: config.teams,
                    ingress: config.ingress,
                    logging: config.logging,
                    helmValues: config.helmValues,
                    peerRoutes: peerRoutes[i][0],
                },
                { providers: { aws: providers.get(region.region) as aws.Provider } },
            ),
        );
        await nextTurn();
    }

    // The runner region's network is peered with every other network this program created (a
    // star: one peering per region), so its runner reaches every cluster of the stack. Another
    // region takes over by becoming the runner region: the next `pulumi up` re-peers from there.
    const hub = platforms.findIndex((platform) => platform.region.region === config.pipeline.runnerRegion);
    const routes: PeerRoute[][] = platforms.map(() => []);
    platforms.forEach((spoke, j) => {
        const runner = platforms[hub];
        if (j === hub || !runner.network || !spoke.network) return;
        const connection = runner.peerWith(spoke);
        routes[hub].push({ cidrBlock: spoke.region.vpcCidr, vpcPeeringConnectionId: connection });
        routes[j].push({ cidrBlock: runner.region.vpcCidr, vpcPeeringConnectionId: connection });
    });
    peerRoutes.forEach(([, resolve], i) => resolve(pulumi.output(routes[i])));

    const pipeline = {
        /** The runner `npm run -s delivery` sends this stack's Pulumi jobs to. */
        runnerRegion: config.pipeline.runnerRegion,
        runners: Object.fromEntries(platforms.map((platform) => [platform.region.region, platform.runner.projectName])),
    };
    // Bootstrap: no cluster, and no `versions` output, which would tell promoted stacks this lock runs.
    if (config.pipeline.bootstrap) return { bootstrap: true, pipeline };

    // With crossRegion, each region's backups are copied to the next region's bucket (the last
    // region's to the first), where a second drill restores them.
    const copiedFrom = (i: number) => (config.backups.crossRegion ? platforms[(i + platforms.length - 1) % platforms.length] : undefined);
    const clusters: RegionCluster[] = [];
    for (const [i, platform] of platforms.entries()) {
        clusters.push(
            await platform.deploy(
                {
                    // Its own region's runner, in the VPC; the runner region's, over the peering.
                    securityGroupIds: { [platform.region.region]: platform.runner.securityGroupId },
                    // (An existing VPC is not peered: connecting it is its owner's, the admission is here.)
                    cidrs: i === hub ? {} : { [platforms[hub].region.region]: platforms[hub].region.vpcCidr },
                    // The routes both ways: the runner region's and this region's private route tables.
                    ready: [...new Set([hub, i])].flatMap((k) => platforms[k].network?.routeTables ?? []),
                },
                copiedFrom(i),
            ),
        );
        await nextTurn();
    }

    if (config.backups.crossRegion) {
        platforms.forEach((platform, i) => platform.replicateBackupsTo(clusters[(i + 1) % clusters.length].backups));
    }

    return {
        /** Per region: what operators and later stacks need to reach the cluster. */
        clusters: Object.fromEntries(
            clusters.map((cluster, i) => [
                config.regions[i].region,
                {
                    clusterName: cluster.clusterName,
                    endpoint: cluster.endpoint,
                    oidcIssuer: cluster.oidcIssuer,
                    kubeconfig: cluster.kubeconfig,
                    nodeGroups: cluster.nodeGroupNames,
                    addons: cluster.addons,
                    backupBucket: cluster.backups.bucketName,
                    backupsReplicatedTo: config.backups.crossRegion ? config.regions[(i + 1) % config.regions.length].region : undefined,
                },
            ]),
        ),
        pipeline,
        /** The version lock this stack runs: what promotion gates of later stacks compare against. */
        versions: config.versions,
    };
};
