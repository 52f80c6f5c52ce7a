// Rules of derived names and tags: every physical name within its AWS limit, and extra tags that
// never redefine the platform's own.
import { NAME_LIMITS } from "../catalog";
import { defaultClusterName, physicalNames } from "../names";
import { at, formatPath, type IndexedRegion, type ParsedSettings, type Problem, show } from "../problems";

const LOWERCASE_BUCKET = /^[a-z0-9][a-z0-9-]*[a-z0-9]$/;
const EKS_NAME = /^[0-9A-Za-z][A-Za-z0-9_-]*$/;
const CILIUM_NAME = /^([a-z0-9][-a-z0-9]*)?[a-z0-9]$/;
/** Account IDs are 12 digits; bucket names are checked with that length. */
const ACCOUNT_ID_PLACEHOLDER = "000000000000";

export function nameProblems(settings: ParsedSettings, regions: readonly IndexedRegion[]): Problem[] {
    const { name, environment } = settings;
    const problems: Problem[] = [];
    const clusters = new Map<string, number>();
    for (const { index, region } of regions) {
        const explicit = region.clusterName !== undefined;
        if (!explicit && (name === undefined || environment === undefined || region.region === undefined)) continue;
        const cluster = region.clusterName ?? defaultClusterName(name as string, environment as string, region.region as string);
        const path = explicit ? at(index, "clusterName") : at(index);
        const origin = explicit ? "" : " (name-environment-region; shorten name or set clusterName)";
        const fail = (message: string) => problems.push({ path, message: `cluster ${show(cluster)}${origin}: ${message}` });
        const names = physicalNames(cluster);

        if (cluster.length === 0 || cluster.length > NAME_LIMITS.eksCluster || !EKS_NAME.test(cluster)) {
            fail(`EKS cluster names are 1-${NAME_LIMITS.eksCluster} letters, digits, - and _, starting alphanumeric`);
        }
        if (cluster.length > NAME_LIMITS.ciliumCluster || !CILIUM_NAME.test(cluster)) {
            fail(`Cilium's cluster.name takes at most ${NAME_LIMITS.ciliumCluster} lowercase letters, digits and -`);
        }
        for (const role of Object.values(names.roles)) {
            if (role.length > NAME_LIMITS.iamRole)
                fail(`IAM role ${show(role)} is ${role.length} characters; IAM allows ${NAME_LIMITS.iamRole}`);
        }
        for (const team of Object.keys(settings.teams ?? {})) {
            const role = names.teamRole(team);
            if (role.length > NAME_LIMITS.iamRole)
                fail(
                    `IAM role ${show(role)} of team ${team} is ${role.length} characters; IAM allows ${NAME_LIMITS.iamRole} (shorten the team name)`,
                );
        }
        for (const group of Object.values(names.nodeGroups)) {
            if (group.length > NAME_LIMITS.nodeGroup)
                fail(`node group ${show(group)} is ${group.length} characters; EKS allows ${NAME_LIMITS.nodeGroup}`);
        }
        if (names.interruptionQueue.length > NAME_LIMITS.sqsQueue) {
            fail(
                `SQS queue ${show(names.interruptionQueue)} is ${names.interruptionQueue.length} characters; SQS allows ${NAME_LIMITS.sqsQueue}`,
            );
        }
        for (const rule of Object.values(names.interruptionRules)) {
            if (rule.length > NAME_LIMITS.eventRule)
                fail(`EventBridge rule ${show(rule)} is ${rule.length} characters; EventBridge allows ${NAME_LIMITS.eventRule}`);
        }
        const bucket = names.backupBucket(ACCOUNT_ID_PLACEHOLDER);
        if (bucket.length > NAME_LIMITS.s3Bucket || !LOWERCASE_BUCKET.test(bucket)) {
            fail(
                `backup bucket ${show(names.backupBucket("<account-id>"))} must be at most ${NAME_LIMITS.s3Bucket} lowercase letters, digits and - (S3)`,
            );
        }
        const previous = clusters.get(cluster);
        if (previous !== undefined) fail(`the same name as regions[${previous}]`);
        else clusters.set(cluster, index);
    }
    return problems;
}

/** Tags the platform sets itself; a stack's extra tags may not redefine them. */
export const PLATFORM_TAG_KEYS = ["environment", "region", "owner", "managed-by"] as const;
/** AWS allows 50 tags per resource; EKS, Karpenter and the Name tag need some of them. */
const MAX_EXTRA_TAGS = 50 - PLATFORM_TAG_KEYS.length - 10;

export function tagProblems(settings: ParsedSettings): Problem[] {
    const tags = settings.tags;
    if (!tags) return [];
    const problems: Problem[] = [];
    for (const key of Object.keys(tags)) {
        if ((PLATFORM_TAG_KEYS as readonly string[]).includes(key.toLowerCase())) {
            problems.push({ path: formatPath(["tags", key]), message: `${show(key)} is set by the platform itself` });
        }
    }
    if (Object.keys(tags).length > MAX_EXTRA_TAGS) {
        problems.push({
            path: "tags",
            message: `${Object.keys(tags).length} extra tags; at most ${MAX_EXTRA_TAGS} fit beside the platform's and EKS's own`,
        });
    }
    return problems;
}
