// Rules of north-south traffic: every hostname lies in the stack's domain, the load balancer admits
// only networks its scheme can reach, and Argo CD's URL is one the region's Gateway serves.
import { RFC1918, SHARED_ADDRESS_SPACE, contains, isCidr, nonPublicRange, parseCidr } from "../cidr";
import { formatPath, type IndexedRegion, type ParsedSettings, type Problem, show } from "../problems";

/** Hostname of a region's Gateway: the stack file's override, or <region>.<domain>. */
export const regionHostname = (ingress: { domain: string; hostnames?: Readonly<Record<string, string>> }, region: string): string =>
    ingress.hostnames?.[region] ?? `${region}.${ingress.domain}`;

/** A URL with its `{region}` placeholder filled in, as Argo CD of that region is reached. */
export const regionUrl = (url: string, region: string): string => url.replaceAll("{region}", region);

/** Where the platform's own UIs are served: one label under the region's hostname. */
export const appHostname = (hostname: string, app: "argocd" | "grafana"): string => `${app}.${hostname}`;

const inDomain = (name: string, domain: string): boolean => name === domain || name.endsWith(`.${domain}`);

/** Private blocks an internal load balancer can be reached from. */
const PRIVATE = [...RFC1918, SHARED_ADDRESS_SPACE];

export function ingressProblems(settings: ParsedSettings, regions: readonly IndexedRegion[]): Problem[] {
    const ingress = settings.ingress;
    if (!ingress) return [];
    const problems: Problem[] = [];
    const names = new Set(regions.flatMap(({ region }) => (region?.region ? [region.region] : [])));
    for (const [region, hostname] of Object.entries(ingress.hostnames ?? {})) {
        const path = formatPath(["ingress", "hostnames", region]);
        if (names.size > 0 && !names.has(region))
            problems.push({ path, message: `${show(region)} is not a region of this stack (${[...names].join(", ")})` });
        if (hostname !== undefined && ingress.domain !== undefined && !inDomain(hostname, ingress.domain))
            problems.push({
                path,
                message: `${show(hostname)} is outside the domain ${show(ingress.domain)}, whose zone is the only one the platform may write`,
            });
    }
    if (ingress.domain !== undefined) {
        const seen = new Map<string, string>();
        for (const region of names) {
            const hostname = regionHostname({ domain: ingress.domain, hostnames: ingress.hostnames as Record<string, string> }, region);
            const other = seen.get(hostname);
            if (other !== undefined)
                problems.push({
                    path: formatPath(["ingress", "hostnames", region]),
                    message: `${show(hostname)} is also ${other}'s hostname; each region's Gateway needs its own`,
                });
            seen.set(hostname, region);
        }
    }
    (ingress.allowedCidrs ?? []).forEach((text, index) => {
        const parsed = text === undefined ? undefined : parseCidr(text);
        if (!parsed || !isCidr(parsed)) return;
        const path = formatPath(["ingress", "allowedCidrs", index]);
        const scheme = ingress.scheme ?? "internal";
        if (scheme === "internet-facing" && PRIVATE.some((block) => contains(block, parsed)))
            problems.push({
                path,
                message: `${show(text)} is a private range, which never reaches an internet-facing load balancer; name public ranges, or make ingress.scheme internal`,
            });
        if (scheme === "internal" && !PRIVATE.some((block) => contains(block, parsed)))
            problems.push({
                path,
                message: `${show(text)} is not a private range (${nonPublicRange(parsed) ?? "public space"}); an internal load balancer is reached from private networks only`,
            });
    });
    problems.push(...gitopsUrlProblems(settings, [...names]));
    return problems;
}

/** Argo CD's URL, filled in per region, must be a host the region's HTTPS listener serves, at the root. */
function gitopsUrlProblems(settings: ParsedSettings, regions: readonly string[]): Problem[] {
    const url = settings.gitops?.url;
    const ingress = settings.ingress;
    if (url === undefined || ingress?.domain === undefined) return [];
    for (const region of regions) {
        const hostname = regionHostname({ domain: ingress.domain, hostnames: ingress.hostnames as Record<string, string> }, region);
        const parsed = new URL(regionUrl(url, region));
        const reason =
            parsed.pathname !== "/"
                ? `has the path ${show(parsed.pathname)}; Argo CD is served at the root of its host`
                : parsed.port !== ""
                  ? `has the port ${parsed.port}; the Gateway listens on 443`
                  : !parsed.hostname.endsWith(`.${hostname}`) || parsed.hostname.slice(0, -hostname.length - 1).includes(".")
                    ? `is served by no Gateway: in ${region} it is ${show(parsed.hostname)}, but the region's certificate and listener cover *.${hostname} only${url.includes("{region}") ? "" : "; write {region} where the region goes"}`
                    : undefined;
        if (reason) return [{ path: "gitops.url", message: `${show(url)} ${reason}` }];
    }
    return [];
}
