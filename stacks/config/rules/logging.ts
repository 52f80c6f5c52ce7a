// Rules of the log tiers: the default tier exists, a namespace belongs to one tier, archives
// outlast the searchable copy and the compliance floor.
import { formatPath, type ParsedSettings, type Problem, show } from "../problems";

export function loggingProblems(settings: ParsedSettings): Problem[] {
    const logging = settings.logging;
    if (!logging) return [];
    const problems: Problem[] = [];
    const tiers = Object.entries(logging.tiers ?? {}).flatMap(([name, tier]) => (tier ? [[name, tier] as const] : []));
    const names = tiers.map(([name]) => name);
    if (logging.defaultTier !== undefined && logging.tiers !== undefined && !names.includes(logging.defaultTier))
        problems.push({
            path: "logging.defaultTier",
            message: `${show(logging.defaultTier)} is not a tier of logging.tiers (${names.join(", ") || "none"})`,
        });
    const owner = new Map<string, string>();
    for (const [name, tier] of tiers) {
        const at = (...rest: string[]) => formatPath(["logging", "tiers", name, ...rest]);
        if (tier.searchDays !== undefined && tier.archiveDays !== undefined && tier.archiveDays < tier.searchDays)
            problems.push({
                path: at("archiveDays"),
                message: `${tier.archiveDays} days is shorter than the ${tier.searchDays} searchable days; the archive keeps at least as long`,
            });
        if (tier.archiveDays !== undefined && logging.complianceDays !== undefined && tier.archiveDays < logging.complianceDays)
            problems.push({
                path: at("archiveDays"),
                message: `${tier.archiveDays} days is below logging.complianceDays (${logging.complianceDays})`,
            });
        for (const namespace of tier.namespaces ?? []) {
            if (namespace === undefined) continue;
            const other = owner.get(namespace);
            if (other !== undefined)
                problems.push({ path: at("namespaces"), message: `${show(namespace)} is already in the tier ${show(other)}` });
            owner.set(namespace, name);
        }
    }
    return problems;
}
