// Entry point: read the stack file, then one AWS provider and one Platform per region.
import * as aws from "@pulumi/aws";
import { Platform } from "./components/platform";
import { loadStackConfig } from "./stacks/config";

const config = loadStackConfig();

const platforms = config.regions.map((region) => {
    const provider = new aws.Provider(region.region, {
        region: region.region,
        // Catches what a resource forgets to tag, including the resources @pulumi/eks creates.
        defaultTags: { tags: region.tags },
    });
    return new Platform(region.region, {
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
    }, { providers: { aws: provider } });
});

// Each region's backups are copied to the next region's bucket, the last region's to the first.
if (config.backups.crossRegion) {
    platforms.forEach((platform, i) => platform.replicateBackupsTo(platforms[(i + 1) % platforms.length].backups));
}

/** Per region: what operators and later stacks need to reach the cluster. */
export const clusters = Object.fromEntries(platforms.map((platform, i) => [config.regions[i].region, {
    clusterName: platform.clusterName,
    endpoint: platform.endpoint,
    oidcIssuer: platform.oidcIssuer,
    kubeconfig: platform.kubeconfig,
    nodeGroups: platform.nodeGroupNames,
    addons: platform.addons,
    backupBucket: platform.backups.bucketName,
    backupsReplicatedTo: config.backups.crossRegion ? config.regions[(i + 1) % config.regions.length].region : undefined,
}]));

/** The version lock this stack runs, for promotion and review. */
export const versions = config.versions;
