// Entry point: read the stack file, check it against what is deployed, then one AWS provider and
// one Platform per region. Nothing of the platform is registered until both checks pass.
import * as aws from "@pulumi/aws";
import { Platform } from "./components/platform";
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

    const problems = await deploymentProblems(config, liveState(config, providers));
    if (problems.length > 0) throw new StackConfigError(config.stack, problems);

    const platforms = config.regions.map(
        (region) =>
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
                },
                { providers: { aws: providers.get(region.region) as aws.Provider } },
            ),
    );

    // Each region's backups are copied to the next region's bucket, the last region's to the first.
    if (config.backups.crossRegion) {
        platforms.forEach((platform, i) => platform.replicateBackupsTo(platforms[(i + 1) % platforms.length].backups));
    }

    return {
        /** Per region: what operators and later stacks need to reach the cluster. */
        clusters: Object.fromEntries(
            platforms.map((platform, i) => [
                config.regions[i].region,
                {
                    clusterName: platform.clusterName,
                    endpoint: platform.endpoint,
                    oidcIssuer: platform.oidcIssuer,
                    kubeconfig: platform.kubeconfig,
                    nodeGroups: platform.nodeGroupNames,
                    addons: platform.addons,
                    backupBucket: platform.backups.bucketName,
                    backupsReplicatedTo: config.backups.crossRegion ? config.regions[(i + 1) % config.regions.length].region : undefined,
                },
            ]),
        ),
        /** The version lock this stack runs: what promotion gates of later stacks compare against. */
        versions: config.versions,
    };
};
