// Builds the TypeScript into .build/ with esbuild, and starts the plan tooling from it in the same
// process. `npm run plan` and `npm run bench` come here rather than through `npm run -s build`:
// a nested npm costs about 0.3 s before anything runs, and a build when no source changed is
// another second. The build is skipped while .build/ is fresh: same sources, none newer than the
// last build, built with these options.
//
//   node stacks/plan/launch.cjs --build          build (npm run build, npm test)
//   node stacks/plan/launch.cjs <tool> [args…]   build if stale, then run .build/stacks/plan/<tool>.js
//
// `npm run plan` and `npm run bench` start node with `--max-semi-space-size=8` (MiB; V8's default
// on 64-bit is 16): most of what an evaluation allocates lives until the program completes, so a
// larger young generation only holds more before it is promoted. Peak memory drops by about
// 15 MiB for prod and 35 MiB for ten regions, at the same wall time (measured with npm run bench).
/* global process, __dirname, console */
/* eslint-disable @typescript-eslint/no-require-imports -- CommonJS: it runs before anything is compiled */
const { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } = require("node:fs");
const path = require("node:path");

const ROOT = path.join(__dirname, "..", "..");
const OUT = path.join(ROOT, ".build");
const STAMP = path.join(OUT, ".sources");
const SOURCE_DIRS = ["components", "stacks", "test"];
const OPTIONS = { outdir: OUT, outbase: ROOT, format: "cjs", platform: "node", target: "node20", logLevel: "warning" };

/** Every TypeScript source, relative to the root. */
function sources() {
    const walk = (dir) =>
        readdirSync(path.join(ROOT, dir), { withFileTypes: true }).flatMap((entry) => {
            const relative = path.join(dir, entry.name);
            if (entry.isDirectory()) return walk(relative);
            return entry.name.endsWith(".ts") ? [relative] : [];
        });
    return ["index.ts", ...SOURCE_DIRS.flatMap(walk)].sort();
}

/** What a build depends on: the options, the list of sources and the newest modification time. */
function fingerprint(files) {
    const newest = Math.max(...files.map((file) => statSync(path.join(ROOT, file)).mtimeMs));
    return JSON.stringify({ options: OPTIONS, esbuild: require("esbuild/package.json").version, newest, files });
}

/** A clean build: outputs of deleted sources must not linger. */
function build(files = sources()) {
    rmSync(OUT, { recursive: true, force: true });
    require("esbuild").buildSync({ ...OPTIONS, entryPoints: files.map((file) => path.join(ROOT, file)) });
    writeFileSync(STAMP, fingerprint(files));
}

function buildIfStale() {
    const files = sources();
    if (!existsSync(STAMP) || readFileSync(STAMP, "utf8") !== fingerprint(files)) build(files);
}

const [tool, ...args] = process.argv.slice(2);
if (tool === "--build") build();
else {
    buildIfStale();
    const entry = path.join(OUT, "stacks", "plan", `${tool}.js`);
    Promise.resolve(require(entry).cli(args)).then(
        (code) => process.exit(code),
        (error) => {
            console.error(error);
            process.exit(1);
        },
    );
}
