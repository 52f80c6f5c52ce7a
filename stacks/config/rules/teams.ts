// Rules of the teams: every namespace belongs to one team and to none of the platform's, and a
// team may be reached only from namespaces that exist.
import { PLATFORM_NAMESPACES } from "../catalog";
import { TEAM_NAME } from "../fields/teams";
import { PLATFORM_SECRETS, teamSecretsPath } from "./addons";
import { formatPath, type ParsedSettings, type Problem, show } from "../problems";

export function teamProblems(settings: ParsedSettings): Problem[] {
    const problems: Problem[] = [];
    const owner = new Map<string, string>();
    for (const name of Object.keys(settings.teams ?? {})) {
        if (!TEAM_NAME.test(name))
            problems.push({
                path: formatPath(["teams", name]),
                message: `${show(name)}: a team name is 3-32 lowercase letters, digits and -, starting with a letter`,
            });
    }
    const teams = Object.entries(settings.teams ?? {}).flatMap(([name, team]) => (team ? [[name, team] as const] : []));
    for (const [name, team] of teams) {
        (team.namespaces ?? []).forEach((namespace, i) => {
            if (namespace === undefined) return;
            const path = formatPath(["teams", name, "namespaces", i]);
            if ((PLATFORM_NAMESPACES as readonly string[]).includes(namespace)) {
                problems.push({ path, message: `${show(namespace)} is a namespace of the platform` });
            } else if (owner.has(namespace)) {
                problems.push({ path, message: `${show(namespace)} is already team ${owner.get(namespace)}'s` });
            } else owner.set(namespace, name);
        });
    }
    // A store reads everything under its path: no team's may hold the platform's or another team's.
    const paths = teams.map(([name, team]) => [name, teamSecretsPath(name, team as { secretsPath?: string })] as const);
    for (const [name, path] of paths) {
        const where = formatPath(["teams", name, "secretsPath"]);
        if (path.startsWith(PLATFORM_SECRETS) || PLATFORM_SECRETS.startsWith(path))
            problems.push({ path: where, message: `${show(path)} overlaps the platform's secrets (${PLATFORM_SECRETS})` });
        for (const [other, otherPath] of paths) {
            if (other !== name && (path.startsWith(otherPath) || otherPath.startsWith(path)))
                problems.push({ path: where, message: `${show(path)} overlaps team ${other}'s secrets (${otherPath})` });
        }
    }
    const known = new Set<string>([...owner.keys(), ...PLATFORM_NAMESPACES]);
    for (const [name, team] of teams) {
        (team.ingressFrom ?? []).forEach((namespace, i) => {
            if (namespace !== undefined && !known.has(namespace))
                problems.push({
                    path: formatPath(["teams", name, "ingressFrom", i]),
                    message: `${show(namespace)} is neither a team's nor the platform's namespace`,
                });
        });
    }
    return problems;
}
