// Which merges deploy. deploy.yml runs on a push to main unless every changed file matches one of
// its `paths-ignore` patterns. Each file git tracks is classified as GitHub does; what a
// deployment reads (the program and everything it imports, what the workflow runs, the policy
// pack, what npm, the engine and the compiler read) must never be ignored, and documentation and
// tests must be.
import * as assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, statSync } from "node:fs";
import * as path from "node:path";
import ts from "typescript";
import { parse } from "yaml";
import { stackNames } from "../../stacks/plan/plan";
import { ROOT } from "../fixtures";

const DEPLOY = ".github/workflows/deploy.yml";

interface Workflow {
    on: { push?: { branches?: string[]; paths?: string[]; "paths-ignore"?: string[] } };
    jobs: Record<string, { steps: Array<{ uses?: string; run?: string; with?: Record<string, unknown> }> }>;
}
const deploy = parse(readFileSync(path.join(ROOT, DEPLOY), "utf8")) as Workflow;
const tracked = execFileSync("git", ["ls-files"], { cwd: ROOT, encoding: "utf8" }).split("\n").filter(Boolean);

/**
 * A filter pattern of GitHub's as a RegExp (docs: "Filter pattern cheat sheet"): `*` is any
 * characters but `/`, `**` any characters, `**\/` any folders or none. The patterns use nothing
 * else, which this checks, so the translation stays exact.
 */
function githubFilter(pattern: string): RegExp {
    assert.doesNotMatch(pattern, /[?+[\]!]/, `${pattern}: a pattern character this translation does not know`);
    const source = pattern
        .split(/(\*\*\/|\*\*|\*)/)
        .map((part) => {
            if (part === "**/") return "(?:.*/)?";
            if (part === "**") return ".*";
            if (part === "*") return "[^/]*";
            return part.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
        })
        .join("");
    return new RegExp(`^${source}$`);
}

/** The patterns among `ignore` that keep a merge changing `file` from deploying. */
const ignoredBy = (file: string, ignore: readonly string[]) => ignore.filter((pattern) => githubFilter(pattern).test(file));

/** Every project file reachable by relative imports from `entries`, type-only imports included (Pulumi type-checks the program). */
function imports(entries: readonly string[]): Set<string> {
    const seen = new Set<string>();
    const todo = [...entries];
    for (let file = todo.pop(); file !== undefined; file = todo.pop()) {
        if (seen.has(file)) continue;
        seen.add(file);
        for (const { fileName } of ts.preProcessFile(readFileSync(path.join(ROOT, file), "utf8"), true, true).importedFiles) {
            if (!fileName.startsWith(".")) continue;
            const base = path.posix.join(path.posix.dirname(file), fileName);
            const found = [`${base}.ts`, `${base}/index.ts`, base].find(
                (candidate) => existsSync(path.join(ROOT, candidate)) && statSync(path.join(ROOT, candidate)).isFile(),
            );
            assert.ok(found, `${file} imports ${fileName}, which is no file of the project`);
            todo.push(found);
        }
    }
    return seen;
}

/** What a deployment reads, each with the reason. */
function deploymentReads(): Map<string, string> {
    const reads = new Map<string, string>();
    const add = (files: Iterable<string>, why: string) => {
        for (const file of files) if (!reads.has(file)) reads.set(file, why);
    };
    const pkg = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")) as { main?: string; scripts: Record<string, string> };
    const project = parse(readFileSync(path.join(ROOT, "Pulumi.yaml"), "utf8")) as { main?: string };
    add([project.main ?? pkg.main ?? "index.ts"], "the Pulumi program");
    add(imports([project.main ?? pkg.main ?? "index.ts"]), "imported by the Pulumi program");

    const steps = Object.values(deploy.jobs).flatMap((job) => job.steps);
    // `npm run -s <script>` in a step runs the compiled `.build/<file>.js` of a source file.
    const scripts = steps.flatMap((step) => [...(step.run ?? "").matchAll(/npm run -s ([\w:-]+)/g)].map((m) => m[1]));
    assert.ok(scripts.length > 0, `${DEPLOY} runs the delivery plan through npm`);
    for (const script of scripts) {
        const [, source] = /node \.build\/(\S+)\.js/.exec(pkg.scripts[script] ?? "") ?? [];
        assert.ok(source, `npm run ${script} runs a compiled source file`);
        add(imports([`${source}.ts`]), `imported by npm run ${script}, which ${DEPLOY} runs`);
        // The build it runs first (`npm run -s build`), a CommonJS script run as it is.
        const nested = [...(pkg.scripts[script] ?? "").matchAll(/npm run -s ([\w:-]+)/g)].map((m) => pkg.scripts[m[1]] ?? "");
        const launchers = [pkg.scripts[script] ?? "", ...nested].flatMap((text) =>
            [...text.matchAll(/node (?:--\S+ )*(\S+\.cjs)/g)].map((m) => m[1]),
        );
        add(launchers, `run by npm run ${script}, which ${DEPLOY} runs`);
    }
    for (const step of steps.filter((s) => s.uses?.startsWith("pulumi/actions@") && s.with?.policyPacks)) {
        const pack = String(step.with?.policyPacks);
        add(
            tracked.filter((file) => file.startsWith(`${pack}/`)),
            "the policy pack pulumi runs, with its enforcement files",
        );
        const main = (JSON.parse(readFileSync(path.join(ROOT, pack, "package.json"), "utf8")) as { main: string }).main;
        add(imports([path.posix.join(pack, main)]), "imported by the policy pack");
    }
    add(["package.json", "package-lock.json"], "npm ci installs from them");
    add(["tsconfig.json"], "Pulumi compiles the program with it");
    add(["Pulumi.yaml", ...stackNames(ROOT).map((stack) => `Pulumi.${stack}.yaml`)], "the engine and the delivery plan read them");
    add([DEPLOY], "the deployment itself");
    return reads;
}

describe("which merges deploy", () => {
    const ignore = deploy.on.push?.["paths-ignore"] ?? [];
    const reads = deploymentReads();

    it("translates GitHub's filter patterns as its cheat sheet describes them", () => {
        assert.ok(githubFilter("**.md").test("README.md") && githubFilter("**.md").test("stacks/plan/diagrams/prod.md"));
        assert.ok(githubFilter("test/**").test("test/delivery/flow.test.ts") && !githubFilter("test/**").test("stacks/test.ts"));
        assert.ok(githubFilter("*.json").test("renovate.json") && !githubFilter("*.json").test("stacks/policy-pack/config.prod.json"));
        assert.ok(githubFilter("**/README.md").test("README.md") && githubFilter("**/README.md").test("a/b/README.md"));
    });

    it("filters deploy.yml's push by the files that are not the program, never by a list of what is", () => {
        assert.equal(deploy.on.push?.paths, undefined, "a list of program paths would skip a file the program starts to read");
        assert.ok(ignore.length > 0, `${DEPLOY} has paths-ignore`);
        for (const pattern of ignore)
            assert.ok(
                tracked.some((file) => githubFilter(pattern).test(file)),
                `${pattern} matches no file`,
            );
    });

    it("deploys every merge that changes a file a deployment reads", () => {
        assert.ok(reads.size > 50, `found ${reads.size} files a deployment reads`);
        for (const [file, why] of reads) {
            assert.ok(tracked.includes(file), `${file} (${why}) is tracked`);
            const by = ignoredBy(file, ignore);
            assert.deepEqual(
                by,
                [],
                `${file} is ${why}, yet a merge changing only it would not deploy: remove ${by.join(", ")} from paths-ignore`,
            );
        }
    });

    it("deploys nothing for a merge of documentation or tests only", () => {
        const quiet = tracked.filter((file) => file.endsWith(".md") || file.startsWith("test/"));
        assert.ok(quiet.some((file) => file.startsWith("test/")) && quiet.includes("README.md"));
        for (const file of quiet) assert.notDeepEqual(ignoredBy(file, ignore), [], `${file} is no part of the program, yet deploys`);
    });

    it("would catch a pattern that ignores part of the program", () => {
        for (const wrong of ["components/**", "stacks/plan/**", "**.json", "**.yaml", "stacks/policy-pack/**"])
            assert.ok(
                [...reads.keys()].some((file) => ignoredBy(file, [wrong]).length > 0),
                `${wrong} would go unnoticed`,
            );
    });
});
