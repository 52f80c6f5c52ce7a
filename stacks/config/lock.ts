// The version lock as data: its entries, their order, and the rules promotion and the deploy-time
// gates share. Pure: no Pulumi, no files.
import type { VersionLock } from "./schema";
import type { Problem } from "./problems";

/** One pinned version, by its path in the lock (`kubernetes`, `charts.cilium`, `images.restoreDrill`). */
export interface LockEntry {
    readonly path: string;
    readonly version: string;
}

/** Every pinned version of a lock, flattened, in the lock's own order. */
export function lockEntries(lock: VersionLock): LockEntry[] {
    const entries: LockEntry[] = [];
    for (const [key, value] of Object.entries(lock)) {
        if (typeof value === "string") entries.push({ path: key, version: value });
        else if (value && typeof value === "object") {
            for (const [name, version] of Object.entries(value as Record<string, string>))
                entries.push({ path: `${key}.${name}`, version });
        }
    }
    return entries;
}

/** A change of one entry between two locks; `from` or `to` is undefined when the entry is added or removed. */
export interface LockChange {
    readonly path: string;
    readonly from?: string;
    readonly to?: string;
}

/** What changes when `to` replaces `from`, entry by entry. */
export function lockChanges(from: VersionLock, to: VersionLock): LockChange[] {
    const before = new Map(lockEntries(from).map((e) => [e.path, e.version]));
    const after = new Map(lockEntries(to).map((e) => [e.path, e.version]));
    const paths = [...new Set([...before.keys(), ...after.keys()])];
    return paths
        .filter((path) => before.get(path) !== after.get(path))
        .map((path) => ({ path, from: before.get(path), to: after.get(path) }));
}

export const formatChange = (change: LockChange): string => `${change.path}: ${change.from ?? "(none)"} -> ${change.to ?? "(removed)"}`;

/** An image reference split into repository, tag and digest (`name:tag@sha256:...`). */
function splitImage(reference: string): { repository: string; tag: string; digest: string } {
    const [name, digest = ""] = reference.split("@");
    const colon = name.lastIndexOf(":");
    return colon > name.lastIndexOf("/")
        ? { repository: name.slice(0, colon), tag: name.slice(colon + 1), digest }
        : { repository: name, tag: "", digest };
}

/**
 * Orders two versions of the same entry: negative when `a` is older, 0 when equal, positive when
 * newer, undefined when they cannot be ordered (different image repositories, one tag with two digests, or
 * different shapes such as `1.2.3` against `1.2.3-rc.1`). Numbers compare numerically, so
 * `v1.14.3-eksbuild.10` is newer than `v1.14.3-eksbuild.9` and `1.35.6-20260714` than `1.35.6-20260601`.
 */
export function compareVersions(a: string, b: string): number | undefined {
    if (a === b) return 0;
    const isImage = (v: string) => /[/:@]/.test(v);
    let [x, y] = [a, b];
    if (isImage(a) || isImage(b)) {
        const [left, right] = [splitImage(a), splitImage(b)];
        if (left.repository !== right.repository) return undefined;
        // Images pinned by digest are ordered by their tags; one tag with two digests cannot be.
        if (left.tag === right.tag) return left.digest === right.digest ? 0 : undefined;
        [x, y] = [left.tag, right.tag];
    }
    const shape = (tag: string) => tag.replace(/\d+/g, "#");
    if (x === "" || y === "" || shape(x) !== shape(y)) return undefined;
    const numbers = (tag: string) => (tag.match(/\d+/g) ?? []).map(Number);
    const [m, n] = [numbers(x), numbers(y)];
    for (let i = 0; i < m.length; i++) if (m[i] !== n[i]) return m[i] - n[i];
    return 0;
}

/**
 * Where `target` pins something `source` does not run: a newer version, a version that cannot be
 * ordered against source's, or an entry source does not have. `target` may lag behind `source`
 * (staging moves first); it may never be ahead.
 */
export function aheadOf(source: { name: string; lock: VersionLock }, target: { name: string; lock: VersionLock }): Problem[] {
    const theirs = new Map(lockEntries(source.lock).map((e) => [e.path, e.version]));
    return lockEntries(target.lock).flatMap(({ path, version }): Problem[] => {
        const other = theirs.get(path);
        const where = `versions.${path}`;
        if (other === undefined)
            return [{ path: where, message: `"${version}" is pinned in ${target.name} but ${source.name} pins nothing there` }];
        const order = compareVersions(version, other);
        if (order === undefined)
            return [
                {
                    path: where,
                    message: `"${version}" in ${target.name} cannot be ordered against "${other}" in ${source.name}; promote ${source.name}'s lock`,
                },
            ];
        if (order > 0)
            return [
                {
                    path: where,
                    message: `"${version}" in ${target.name} is ahead of "${other}" in ${source.name}: ${target.name} may only run what ${source.name} has run`,
                },
            ];
        return [];
    });
}

export const kubernetesMinor = (version: string): number => Number(version.split(".")[1]);

/**
 * Whether a cluster at Kubernetes `from` may move to `to`: EKS upgrades one minor at a time and
 * never downgrades (https://docs.aws.amazon.com/eks/latest/userguide/update-cluster.html).
 * Returns the reason it may not, or undefined.
 */
export function kubernetesStep(from: string, to: string): string | undefined {
    const step = kubernetesMinor(to) - kubernetesMinor(from);
    if (step < 0) return `"${to}" would downgrade Kubernetes from ${from}; EKS cannot downgrade a cluster`;
    if (step > 1)
        return `"${to}" skips ${step - 1} minor(s) from ${from}; EKS upgrades one minor at a time (${from} -> 1.${kubernetesMinor(from) + 1} first)`;
    return undefined;
}
