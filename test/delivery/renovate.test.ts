// renovate.json, evaluated the way Renovate's regex manager evaluates it (each match string a
// JavaScript RegExp with the g flag over the whole file; the recursive strategy applying each to
// the previous one's match and merging their named groups; `{{{group}}}` templates; package
// rules in order; a bump replaces the current value inside the match, then the file is extracted
// again), against staging's version lock: every entry but the Kubernetes minor is proposed by
// exactly one matcher, with the datasource and package its kind needs, and a bump of it changes
// that entry and nothing else. Prod's stack files are never touched: promotion is npm run promote.
import * as assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { isScalar, parseDocument } from "yaml";
import { standardInstallUrl } from "../../components/ingress/gateway-api";
import { CHARTS, type ChartName } from "../../stacks/config/catalog";
import { resolveStackConfig, type StackConfig } from "../../stacks/config/config";
import { versions } from "../../stacks/config/fields/versions";
import { lockChanges, lockEntries } from "../../stacks/config/lock";
import { rawStackConfig, stackInput } from "../../stacks/plan/stack-input";
import { ROOT, STACKS } from "../fixtures";
import { bump, configOf } from "./harness";

type Groups = Record<string, string>;
interface Manager {
    customType: string;
    managerFilePatterns: string[];
    matchStrings: string[];
    matchStringsStrategy?: string;
    [template: `${string}Template`]: string | undefined;
}
interface Rule {
    matchDatasources?: string[];
    matchDepNames?: string[];
    [effect: string]: unknown;
}
interface Dep {
    depName?: string;
    packageName?: string;
    currentValue?: string;
    currentDigest?: string;
    datasource?: string;
    versioning?: string;
    extractVersion?: string;
    registryUrls?: string[];
    groupName?: string;
    replaceString: string;
    /** Where replaceString starts in the file. */
    at: number;
}

const config = JSON.parse(readFileSync(path.join(ROOT, "renovate.json"), "utf8")) as {
    enabledManagers: string[];
    ignorePaths: string[];
    schedule?: string[];
    prConcurrentLimit?: number;
    customManagers: Manager[];
    packageRules: Rule[];
};
const tracked = execFileSync("git", ["ls-files"], { cwd: ROOT, encoding: "utf8" }).split("\n").filter(Boolean);
const FIELDS = ["depName", "packageName", "currentValue", "currentDigest", "datasource", "versioning", "extractVersion", "registryUrl"];
const RULE_MATCHERS = new Set(["matchDatasources", "matchDepNames"]);
const RULE_EFFECTS = new Set(["description", "registryUrls", "overrideDatasource", "overridePackageName", "groupName", "prBodyNotes"]);

/** A `managerFilePatterns` entry: Renovate reads `/.../` as a regular expression. */
function filePattern(pattern: string): RegExp {
    const [, source, flags] = /^\/(.+)\/([a-z]*)$/.exec(pattern) ?? [];
    assert.ok(source, `${pattern}: written as /regex/, the form this test evaluates`);
    return new RegExp(source, flags);
}

/** An ignorePaths glob (`*` within a folder, `**` across folders), the only glob characters used. */
function glob(pattern: string): RegExp {
    assert.doesNotMatch(pattern, /[?[\]{}!]/, `${pattern}: a glob character this test does not evaluate`);
    const parts = pattern
        .split(/(\*\*\/|\*\*|\*)/)
        .map((part) =>
            part === "**/" ? "(?:.*/)?" : part === "**" ? ".*" : part === "*" ? "[^/]*" : part.replace(/[.+^${}()|[\]\\]/g, "\\$&"),
        );
    return new RegExp(`^${parts.join("")}$`);
}

/** A template with `{{{group}}}` or `{{group}}` placeholders, the only Handlebars this configuration uses. */
function compile(template: string, groups: Groups): string {
    const out = template.replace(/\{\{\{?(\w+)\}?\}\}/g, (_, name: string) => groups[name] ?? "");
    assert.doesNotMatch(out, /\{\{|\}\}/, `${template}: a template this test does not evaluate`);
    return out;
}

/** The dependencies one manager extracts from a file's text, as Renovate's regex manager does. */
function extractWith(manager: Manager, content: string): Dep[] {
    const strategy = manager.matchStringsStrategy ?? "any";
    assert.ok(["any", "recursive"].includes(strategy), `${strategy}: a strategy this test does not evaluate`);
    for (const source of manager.matchStrings)
        // Renovate runs them with RE2, which has no lookaround and no backreferences.
        assert.doesNotMatch(source, /\(\?<?[=!]|\\[1-9]|\\k</, `${source}: RE2 cannot run it`);
    const found: Array<{ groups: Groups; replaceString: string; at: number }> = [];
    const recurse = (text: string, at: number, index: number, groups: Groups) => {
        if (index === manager.matchStrings.length) return void found.push({ groups, replaceString: text, at });
        for (const match of text.matchAll(new RegExp(manager.matchStrings[index], "g")))
            recurse(match[0], at + (match.index ?? 0), index + 1, { ...groups, ...match.groups });
    };
    if (strategy === "recursive") recurse(content, 0, 0, {});
    else
        for (const source of manager.matchStrings)
            for (const match of content.matchAll(new RegExp(source, "g")))
                recurse(match[0], match.index ?? 0, manager.matchStrings.length, { ...match.groups });
    return found.flatMap(({ groups, replaceString, at }) => {
        const dep: Dep = { replaceString, at };
        for (const field of FIELDS) {
            const template = manager[`${field}Template`];
            const value = template !== undefined ? compile(template, groups) : groups[field];
            if (value === undefined || value === "") continue;
            if (field === "registryUrl") dep.registryUrls = [value];
            else (dep as unknown as Groups)[field] = value;
        }
        return (dep.depName || dep.packageName) && (dep.currentValue || dep.currentDigest) ? [dep] : [];
    });
}

/** Package rules applied in order, each when all its matchers match. */
function applyRules(dep: Dep): Dep {
    const out: Dep = { ...dep };
    for (const rule of config.packageRules) {
        if (rule.matchDatasources && !rule.matchDatasources.includes(out.datasource ?? "")) continue;
        if (rule.matchDepNames && !rule.matchDepNames.includes(out.depName ?? "")) continue;
        if (typeof rule.overrideDatasource === "string") out.datasource = rule.overrideDatasource;
        if (typeof rule.overridePackageName === "string") out.packageName = rule.overridePackageName;
        if (Array.isArray(rule.registryUrls)) out.registryUrls = rule.registryUrls as string[];
        if (typeof rule.groupName === "string") out.groupName = rule.groupName;
    }
    return out;
}

const managersFor = (file: string) => config.customManagers.filter((m) => m.managerFilePatterns.some((p) => filePattern(p).test(file)));
const extract = (file: string, content: string) => managersFor(file).flatMap((manager) => extractWith(manager, content));

const STAGING = "Pulumi.staging.yaml";
const resolve = (text: string): StackConfig => resolveStackConfig(rawStackConfig(stackInput(ROOT, text), "staging"));

/** Each extracted dependency with the lock entry whose value it replaces (by position in the file). */
function entriesOf(text: string): Array<{ path: string; version: string; dep: Dep; index: number }> {
    const doc = parseDocument(text);
    const lock = resolve(text).versions;
    const ranges = lockEntries(lock).map((entry) => {
        const node = doc.getIn(["config", "platform:versions", ...entry.path.split(".")], true);
        assert.ok(isScalar(node) && node.range, `versions.${entry.path} is a scalar of the stack file`);
        return { ...entry, range: node.range };
    });
    return extract(STAGING, text).map((raw, index) => {
        const dep = applyRules(raw);
        const current = (dep.currentValue ?? dep.currentDigest) as string;
        const offset = dep.at + dep.replaceString.indexOf(current);
        const entry = ranges.find(({ range }) => offset >= range[0] && offset < range[1]);
        assert.ok(entry, `${dep.depName}: ${current} at offset ${offset} is no entry of the version lock`);
        return { path: entry.path, version: entry.version, dep, index };
    });
}

/** What Renovate writes for `newValue`: currentValue replaced inside the match, the first place it confirms on re-extraction. */
function replace(text: string, dep: Dep, index: number, newValue: string): string {
    const replacement = dep.replaceString.split(dep.currentValue as string).join(newValue);
    for (let at = text.indexOf(dep.replaceString); at >= 0; at = text.indexOf(dep.replaceString, at + 1)) {
        const next = `${text.slice(0, at)}${replacement}${text.slice(at + dep.replaceString.length)}`;
        const again = extract(STAGING, next)[index];
        if (again?.depName === dep.depName && again.currentValue === newValue) return next;
    }
    assert.fail(`${dep.depName}: Renovate would find no place to write ${newValue}`);
}

/** Example values of the lock's optional entries, so the matchers are proven on them too. */
const OPTIONAL: Record<string, string> = { bottlerocketRelease: "1.49.0" };

/** Staging's stack file with every optional lock entry present. */
function withOptionalEntries(text: string): string {
    const optional = Object.entries(versions.shape).filter(([, schema]) => schema.safeParse(undefined).success);
    for (const [key] of optional) assert.ok(OPTIONAL[key], `versions.${key} is optional: give it an example in OPTIONAL`);
    const missing = optional.map(([key]) => key).filter((key) => !new RegExp(`\\n    ${key}: `).test(text));
    return text.replace(
        /(\n {4}nodeAmiRelease: .*\n)/,
        (line) => `${line}${missing.map((key) => `    ${key}: ${OPTIONAL[key]}\n`).join("")}`,
    );
}

/** The datasource and package Renovate must look a lock entry up with, from the catalog and the program. */
function expectFor(path: string, version: string, lock: StackConfig["versions"], dep: Dep): void {
    const [kind, name] = path.split(".");
    const where = `versions.${path}`;
    if (kind === "charts") {
        const { repository, charts } = CHARTS[name as ChartName];
        assert.ok((charts as readonly string[]).includes(name), `${where}: the chart named by the lock key is one the catalog installs`);
        assert.equal(dep.currentValue, version);
        if (repository.startsWith("oci://")) {
            assert.equal(dep.datasource, "docker", `${where}: an OCI chart is looked up as an OCI artifact`);
            assert.equal(dep.packageName, `${repository.slice("oci://".length)}/${name}`, where);
        } else {
            assert.equal(dep.datasource, "helm", where);
            assert.equal(dep.packageName ?? dep.depName, name, where);
            const urls = (dep.registryUrls ?? []).map((url) => url.replace(/\/$/, ""));
            assert.deepEqual(urls, [repository.replace(/\/$/, "")], `${where}: give it registryUrls ${repository} in a package rule`);
        }
    } else if (kind === "addons") {
        assert.equal(dep.datasource, "aws-eks-addon", where);
        assert.equal(dep.currentValue, version);
        const filter = JSON.parse(dep.packageName ?? "{}") as unknown;
        assert.deepEqual(filter, { kubernetesVersion: lock.kubernetes, addonName: name }, `${where}: looked up for the lock's Kubernetes`);
        assert.equal(JSON.stringify(filter), dep.packageName, `${where}: the filter is minified JSON`);
    } else if (kind === "images") {
        assert.equal(dep.datasource, "docker", where);
        const reference = `${dep.depName}${dep.currentValue ? `:${dep.currentValue}` : ""}${dep.currentDigest ? `@${dep.currentDigest}` : ""}`;
        assert.equal(reference, version, `${where}: the image is its repository and its tag`);
    } else if (kind === "gatewayApi") {
        // The program downloads the release's manifest by its tag: the tag is the lock's value.
        const [, repository] = /^https:\/\/github\.com\/([^/]+\/[^/]+)\/releases\/download\//.exec(standardInstallUrl(version)) ?? [];
        assert.deepEqual(
            [dep.datasource, dep.packageName, dep.currentValue, dep.extractVersion],
            ["github-releases", repository, version, undefined],
            where,
        );
    } else if (kind === "nodeAmiRelease" || kind === "bottlerocketRelease") {
        // Both are published as GitHub releases tagged v<version>: v20260714 (the AMI's build date), v1.49.0.
        const repository = kind === "nodeAmiRelease" ? "awslabs/amazon-eks-ami" : "bottlerocket-os/bottlerocket";
        assert.deepEqual([dep.datasource, dep.packageName], ["github-releases", repository], where);
        const current = dep.currentValue as string;
        assert.equal(new RegExp(dep.extractVersion ?? "").exec(`v${current}`)?.groups?.version, current, `${where}: tag v${current}`);
        if (kind === "nodeAmiRelease") {
            assert.ok(version.startsWith(`${lock.kubernetes}.`) && version.endsWith(`-${current}`), `${where}: only the build date moves`);
            const scheme = /^regex:(.+)$/.exec(dep.versioning ?? "")?.[1];
            assert.ok(scheme && new RegExp(scheme).test(current), `${where}: a versioning that orders build dates`);
        } else assert.equal(current, version, where);
    } else assert.fail(`${where}: no expectation for this kind of entry; add one`);
}

describe("renovate.json", () => {
    const text = readFileSync(path.join(ROOT, STAGING), "utf8");

    it("runs only its matchers of staging's lock, on a schedule, with a limit on open pull requests", () => {
        assert.deepEqual(config.enabledManagers, ["custom.regex"]);
        assert.ok(config.schedule && config.schedule.length > 0, "a schedule");
        assert.ok(config.prConcurrentLimit && config.prConcurrentLimit > 0, "a limit on open pull requests");
        for (const manager of config.customManagers) assert.equal(manager.customType, "regex");
        for (const rule of config.packageRules)
            for (const key of Object.keys(rule))
                assert.ok(RULE_MATCHERS.has(key) || RULE_EFFECTS.has(key), `packageRules: ${key} is not evaluated by this test`);
    });

    it("matches the stack files others take their lock from, and never a promoted one, which it ignores", () => {
        const sources = new Set(STACKS.flatMap((stack) => configOf(stack).promotion.from ?? []));
        const matched = tracked.filter((file) => managersFor(file).length > 0);
        assert.deepEqual(
            matched,
            [...sources].map((stack) => `Pulumi.${stack}.yaml`).sort(),
            "Renovate edits the stack files other stacks take their lock from, and no other file",
        );
        for (const stack of STACKS.filter((s) => configOf(s).promotion.from)) {
            const file = `Pulumi.${stack}.yaml`;
            assert.deepEqual(managersFor(file), [], `${file} is promoted (npm run promote), never bumped`);
            assert.ok(
                config.ignorePaths.some((pattern) => glob(pattern).test(file)),
                `${file} is in ignorePaths`,
            );
        }
    });

    for (const [title, content] of [
        ["staging's lock", () => text],
        ["staging's lock with every optional entry", () => withOptionalEntries(text)],
    ] as const) {
        it(`proposes every entry of ${title} but the Kubernetes minor exactly once, from the right source`, () => {
            const lock = resolve(content()).versions;
            const found = entriesOf(content());
            const expected = lockEntries(lock)
                .map((e) => e.path)
                .filter((p) => p !== "kubernetes");
            assert.deepEqual(found.map((f) => f.path).sort(), [...expected].sort(), "each entry once; Kubernetes upgrades are deliberate");
            for (const { path: entry, version, dep } of found) expectFor(entry, version, lock, dep);
        });
    }

    it("bumps an entry by changing that entry of staging's lock and nothing else, into a stack file that validates", () => {
        const lock = resolve(text).versions;
        for (const { path: entry, dep, index } of entriesOf(text)) {
            const next = replace(text, dep, index, bump(dep.currentValue as string));
            const changes = lockChanges(lock, resolve(next).versions).map((c) => c.path);
            assert.deepEqual(changes, [entry], `a bump of ${dep.depName}`);
        }
    });

    it("has a registry for every chart in the catalog", () => {
        const charts = new Map(entriesOf(text).map(({ path: entry, dep }) => [entry, dep]));
        for (const name of Object.keys(CHARTS)) {
            const dep = charts.get(`charts.${name}`);
            assert.ok(dep, `charts.${name}: extracted`);
            assert.ok(
                dep.datasource === "docker" ? dep.packageName?.includes("/") : dep.registryUrls?.length === 1,
                `charts.${name}: a registry`,
            );
        }
    });

    it("groups the EKS add-ons into one pull request, and keeps each image in its own", () => {
        const found = entriesOf(text);
        const groups = new Set(found.filter((f) => f.path.startsWith("addons.")).map((f) => f.dep.groupName));
        assert.equal(groups.size, 1);
        assert.ok([...groups][0]);
        for (const image of found.filter((f) => f.path.startsWith("images."))) assert.equal(image.dep.groupName, undefined, image.path);
    });
});
