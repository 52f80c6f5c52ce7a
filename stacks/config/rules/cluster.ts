// Rules of the version lock and the control plane: a supported Kubernetes minor, an AMI release
// and charts that match it, an API endpoint and access lists that make sense, a runner region
// the stack has.
import { KUBERNETES_SUPPORT, KUBERNETES_WINDOW } from "../catalog";
import { type Cidr, nonPublicRange, parseCidr } from "../cidr";

/** EKS service quota, not adjustable: https://docs.aws.amazon.com/eks/latest/userguide/service-quotas.html */
const PUBLIC_ACCESS_CIDRS_LIMIT = 40;
import { formatPath, type IndexedRegion, type ParsedSettings, type Problem, show } from "../problems";

const minor = (version: string): number => Number(version.split(".")[1]);

export function versionProblems(settings: ParsedSettings): Problem[] {
    const problems: Problem[] = [];
    const kubernetes = settings.versions?.kubernetes;
    if (
        kubernetes !== undefined &&
        (minor(kubernetes) < minor(KUBERNETES_WINDOW.oldest) || minor(kubernetes) > minor(KUBERNETES_WINDOW.newest))
    ) {
        problems.push({
            path: "versions.kubernetes",
            message: `${show(kubernetes)} is outside the supported window ${KUBERNETES_WINDOW.oldest}..${KUBERNETES_WINDOW.newest}`,
        });
    }
    const ami = settings.versions?.nodeAmiRelease;
    if (kubernetes !== undefined && ami !== undefined) {
        const amiMinor = ami.split(".").slice(0, 2).join(".");
        if (amiMinor !== kubernetes) {
            problems.push({
                path: "versions.nodeAmiRelease",
                message: `${show(ami)} is an AMI release for Kubernetes ${amiMinor}, not ${kubernetes}`,
            });
        }
    }
    for (const [chart, support] of Object.entries(KUBERNETES_SUPPORT)) {
        const version = settings.versions?.charts?.[chart as keyof typeof KUBERNETES_SUPPORT];
        if (kubernetes === undefined || version === undefined || support === undefined) continue;
        const line = version.split(".").slice(0, 2).join(".");
        const range = support.releases[line];
        const path = formatPath(["versions", "charts", chart]);
        if (!range) {
            problems.push({
                path,
                message: `${show(version)}: release line ${line} is not in the platform's compatibility table; add its supported Kubernetes range from ${support.source}`,
            });
        } else if (minor(kubernetes) < minor(range.min) || minor(kubernetes) > minor(range.max)) {
            problems.push({
                path,
                message: `${show(version)} supports Kubernetes ${range.min}..${range.max}, not ${kubernetes} (${support.source})`,
            });
        }
    }
    return problems;
}

export function clusterProblems(settings: ParsedSettings): Problem[] {
    const problems: Problem[] = [];
    const endpoint = settings.cluster?.endpoint;
    if (endpoint?.public === true) {
        const allowed = endpoint.allowedCidrs ?? [];
        allowed.forEach((text, i) => {
            if (text === undefined) return;
            const cidr = parseCidr(text) as Cidr;
            const path = formatPath(["cluster", "endpoint", "allowedCidrs", i]);
            if (cidr.prefix === 0) {
                problems.push({ path, message: `${show(text)} opens the API endpoint to the internet; list the networks that need it` });
                return;
            }
            // EKS refuses these too, but only when it updates the cluster, after half the stack exists.
            const special = nonPublicRange(cidr);
            if (special)
                problems.push({
                    path,
                    message: `${show(text)} is not public address space (it overlaps ${special}); the public endpoint sees only public source addresses`,
                });
        });
        if (allowed.length > PUBLIC_ACCESS_CIDRS_LIMIT) {
            problems.push({
                path: "cluster.endpoint.allowedCidrs",
                message: `${allowed.length} blocks; EKS allows at most ${PUBLIC_ACCESS_CIDRS_LIMIT} (quota "Public endpoint access CIDR ranges per cluster")`,
            });
        }
    }
    // EKS allows one access entry per principal: every role may be listed once, in one place.
    const access = settings.cluster?.access;
    const listed = new Map<string, string>();
    const entries: Array<[string | undefined, string]> = [
        ...(["admins", "viewers"] as const).flatMap((kind) =>
            (access?.[kind] ?? []).map((arn, i): [string | undefined, string] => [arn, formatPath(["cluster", "access", kind, i])]),
        ),
        [access?.deployRole, formatPath(["cluster", "access", "deployRole"])],
        [access?.previewRole, formatPath(["cluster", "access", "previewRole"])],
        ...Object.entries(settings.teams ?? {}).flatMap(([team, t]) =>
            (["members", "viewers"] as const).flatMap((kind) =>
                (t?.[kind] ?? []).map((arn, i): [string | undefined, string] => [arn, formatPath(["teams", team, kind, i])]),
            ),
        ),
    ];
    for (const [arn, path] of entries) {
        if (arn === undefined) continue;
        const previous = listed.get(arn);
        if (previous) problems.push({ path, message: `${show(arn)} is already ${previous}` });
        else listed.set(arn, path);
    }
    return problems;
}

/** The runner region is one of the stack's regions: its VPC holds the runner that runs Pulumi. */
export function pipelineProblems(settings: ParsedSettings, regions: readonly IndexedRegion[]): Problem[] {
    const runnerRegion = settings.pipeline?.runnerRegion;
    if (runnerRegion === undefined || regions.length === 0) return [];
    const known = regions.map(({ region }) => region.region);
    return known.includes(runnerRegion)
        ? []
        : [{ path: "pipeline.runnerRegion", message: `${show(runnerRegion)} is not a region of this stack (${known.join(", ")})` }];
}
