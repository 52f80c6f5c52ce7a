// Benchmark of the offline plan: median wall time and peak memory of planning each stack file
// and synthetic fleets of 2, 10 and 20 regions with every add-on on (prod's settings, backups
// copied between regions), each in a fresh process as `npm run plan` runs; the marginal cost of
// one more region, and whether it stays the same as the fleet grows (linear growth).
//
//   npm run bench                  5 runs per case
//   npm run bench -- --runs 9
//   npm run bench -- --peer <dir>  also side by side with a peer's synthesis (bench-peer.ts)
import "./defer";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { REGIONS } from "../config/catalog";
import { projectRoot, readStackConfig } from "./stack-input";
import { planStack, stackNames } from "./plan";
import { previewStack } from "./preview";
import { comparePeer } from "./bench-peer";

/**
 * Budget: what each extra region may add in time and in peak memory, the fleet of 20 regions,
 * how much more a region may cost in the larger half of the fleet than in the smaller (1 =
 * exactly linear), and the change preview against a base revision, at most twice the plan it
 * adds to. The prod plan itself is budgeted against a peer tool (bench-peer.ts, `--peer`): wall
 * time and memory on one machine are only meaningful side by side.
 */
export const BUDGET = { perRegionSeconds: 0.2, perRegionMiB: 16, fleet20Seconds: 6, growthRatio: 1.5, previewRatio: 2 } as const;
const FLEET_SIZES = [2, 10, 20] as const;

/**
 * Each case's median wall time and peak memory as the platform planned before its plan was made
 * fast: commit ccd403c (nested npm, every SDK module loaded, the SDK's MockMonitor), measured on
 * the machine the README's figures come from (2 cores, node 20, 3 runs each, the fleets with the
 * registry allowlist fixed as here); each case is printed with its ratio to these.
 */
export const BASELINE: Readonly<Record<string, { readonly seconds: number; readonly peakMiB: number }>> = {
    prod: { seconds: 2.96, peakMiB: 244 },
    staging: { seconds: 2.49, peakMiB: 202 },
    "changes-prod": { seconds: 2.65, peakMiB: 253 },
    "fleet-2": { seconds: 2.36, peakMiB: 244 },
    "fleet-10": { seconds: 5.54, peakMiB: 563 },
    "fleet-20": { seconds: 9.86, peakMiB: 1172 },
};

/** Regions for a synthetic fleet: prod's settings, N regions with three usable zones, distinct ranges. */
export function syntheticRegions(count: number): Array<Record<string, unknown>> {
    const regions = Object.entries(REGIONS)
        .filter(([, zones]) => zones >= 3)
        .map(([name]) => name);
    if (count > regions.length) throw new RangeError(`only ${regions.length} regions have three zones`);
    return regions.slice(0, count).map((region, i) => ({
        region,
        vpcCidr: `10.${i}.0.0/16`,
        serviceCidr: `10.${200 + i}.0.0/16`,
        ciliumClusterId: i + 1,
    }));
}

/**
 * Overrides that turn prod into a synthetic fleet of `count` regions, every add-on on. The
 * registry allowlist trades prod's ECR registries for those of the fleet's regions (the account
 * of prod's first), as a stack file for that fleet would.
 */
export function syntheticFleet(root: string, count: number): Record<string, unknown> {
    const config = readStackConfig(root, "prod").config;
    const backups = JSON.parse(config["platform:backups"] ?? "{}") as Record<string, unknown>;
    const policies = JSON.parse(config["platform:policies"] ?? "{}") as { allowedRegistries?: { registries?: string[] } };
    const registries = policies.allowedRegistries?.registries ?? [];
    const ecr = /^(\d{12})\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com$/;
    const account = registries.map((registry) => ecr.exec(registry)?.[1]).find((id) => id !== undefined);
    const regions = syntheticRegions(count);
    return {
        "platform:regions": regions,
        "platform:highAvailability": true,
        "platform:backups": { ...backups, crossRegion: count > 1 },
        ...(account && policies.allowedRegistries
            ? {
                  "platform:policies": {
                      ...policies,
                      allowedRegistries: {
                          ...policies.allowedRegistries,
                          registries: [
                              ...regions.map(({ region }) => `${account}.dkr.ecr.${String(region)}.amazonaws.com`),
                              ...registries.filter((registry) => !ecr.test(registry)),
                          ],
                      },
                  },
              }
            : {}),
    };
}

interface Sample {
    readonly millis: number;
    readonly maxRssMiB: number;
    readonly resources: number;
}

/** One plan in this process; prints its measurements as JSON for the parent. */
async function child(spec: string): Promise<void> {
    Error.stackTraceLimit = 0;
    const root = projectRoot();
    const out = mkdtempSync(path.join(tmpdir(), "plan-bench-"));
    try {
        const fleet = /^fleet-(\d+)$/.exec(spec);
        const changes = spec === "changes-prod";
        const result = fleet
            ? await planStack(root, "prod", out, { label: spec, overrides: syntheticFleet(root, Number(fleet[1])) })
            : await planStack(root, changes ? "prod" : spec, out);
        if (!result.ok) throw new Error(result.text);
        // The change preview against HEAD: the plan, plus the base revision (built and evaluated
        // once, then read from its cache, as in a pull request's repeated runs).
        if (changes && result.planned) await previewStack(root, "HEAD", "prod", result.planned);
        process.stdout.write(`${JSON.stringify({ resources: result.resources, maxRssMiB: process.resourceUsage().maxRSS / 1024 })}\n`);
    } finally {
        rmSync(out, { recursive: true, force: true });
    }
}

function sample(spec: string): Sample {
    const started = process.hrtime.bigint();
    // With this process's node flags, as `npm run plan` starts node (package.json).
    const run = spawnSync(process.execPath, [...process.execArgv, __filename, "--child", spec], { encoding: "utf8" });
    const millis = Number(process.hrtime.bigint() - started) / 1e6;
    if (run.status !== 0) throw new Error(`plan of ${spec} failed:\n${run.stderr || run.stdout}`);
    const measured = JSON.parse(run.stdout.trim().split("\n").pop() as string) as { resources: number; maxRssMiB: number };
    return { millis, ...measured };
}

const median = (values: number[]) => {
    const sorted = [...values].sort((a, b) => a - b);
    const mid = Math.floor(sorted.length / 2);
    return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

/** Every case, measured `runs` times; returns the exit code. */
function main(argv: string[]): number {
    const runsArg = argv.indexOf("--runs");
    const runs = runsArg >= 0 ? Number(argv[runsArg + 1]) : 5;
    const cases = [...stackNames(projectRoot()), "changes-prod", ...FLEET_SIZES.map((n) => `fleet-${n}`)];
    const results = new Map<string, { millis: number; maxRssMiB: number; resources: number }>();
    console.log(`offline plan, ${runs} runs per case, each in a fresh process (node ${process.version})`);
    console.log("case          resources   median wall   peak RSS   against the baseline");
    for (const spec of cases) {
        const samples = Array.from({ length: runs }, () => sample(spec));
        const result = {
            millis: median(samples.map((s) => s.millis)),
            maxRssMiB: median(samples.map((s) => s.maxRssMiB)),
            resources: samples[0].resources,
        };
        results.set(spec, result);
        const base = BASELINE[spec];
        const against = base
            ? `${(result.millis / 1000 / base.seconds).toFixed(2)}x time, ${(result.maxRssMiB / base.peakMiB).toFixed(2)}x memory`
            : "";
        console.log(
            `${spec.padEnd(14)}${String(result.resources).padStart(9)}   ${(result.millis / 1000).toFixed(2).padStart(9)} s   ${result.maxRssMiB.toFixed(0).padStart(5)} MiB   ${against}`,
        );
    }
    const [small, middle, large] = FLEET_SIZES.map((n) => results.get(`fleet-${n}`));
    const prod = results.get("prod");
    const changes = results.get("changes-prod");
    if (!small || !middle || !large) return 1;
    const slope = (a: { millis: number; maxRssMiB: number }, b: { millis: number; maxRssMiB: number }, regions: number) => ({
        seconds: (b.millis - a.millis) / 1000 / regions,
        mib: (b.maxRssMiB - a.maxRssMiB) / regions,
    });
    const perRegion = slope(small, large, FLEET_SIZES[2] - FLEET_SIZES[0]);
    const [lower, upper] = [slope(small, middle, FLEET_SIZES[1] - FLEET_SIZES[0]), slope(middle, large, FLEET_SIZES[2] - FLEET_SIZES[1])];
    const growth = upper.seconds / lower.seconds;
    const resourcesPerRegion = (large.resources - small.resources) / (FLEET_SIZES[2] - FLEET_SIZES[0]);
    console.log(
        `marginal cost per region (fleet-${FLEET_SIZES[0]} -> fleet-${FLEET_SIZES[2]}): ${perRegion.seconds.toFixed(3)} s, ${perRegion.mib.toFixed(1)} MiB`,
    );
    console.log(
        `  fleet-${FLEET_SIZES[0]} -> fleet-${FLEET_SIZES[1]}: ${lower.seconds.toFixed(3)} s, ${lower.mib.toFixed(1)} MiB per region; fleet-${FLEET_SIZES[1]} -> fleet-${FLEET_SIZES[2]}: ${upper.seconds.toFixed(3)} s, ${upper.mib.toFixed(1)} MiB per region`,
    );
    const verdicts = [
        prod && changes
            ? ([
                  `change preview ${(changes.millis / 1000).toFixed(2)} s <= ${BUDGET.previewRatio} x the prod plan`,
                  changes.millis <= prod.millis * BUDGET.previewRatio,
              ] as const)
            : undefined,
        [
            `per region ${perRegion.seconds.toFixed(3)} s <= ${BUDGET.perRegionSeconds} s (a region of ${resourcesPerRegion.toFixed(0)} resources)`,
            perRegion.seconds <= BUDGET.perRegionSeconds,
        ] as const,
        [`per region ${perRegion.mib.toFixed(1)} MiB <= ${BUDGET.perRegionMiB} MiB`, perRegion.mib <= BUDGET.perRegionMiB] as const,
        [
            `fleet of ${FLEET_SIZES[2]} regions ${(large.millis / 1000).toFixed(2)} s < ${BUDGET.fleet20Seconds} s`,
            large.millis / 1000 < BUDGET.fleet20Seconds,
        ] as const,
        [
            `growth: a region costs ${growth.toFixed(2)}x as much time in the larger half of the fleet (<= ${BUDGET.growthRatio})`,
            growth <= BUDGET.growthRatio,
        ] as const,
    ].filter((v) => v !== undefined);
    for (const [text, ok] of verdicts) console.log(`budget: ${ok ? "ok  " : "OVER"} ${text}`);
    const peerArg = argv.indexOf("--peer");
    const scriptArg = argv.indexOf("--peer-script");
    const peer = peerArg >= 0 ? comparePeer(argv[peerArg + 1], runs, scriptArg >= 0 ? argv[scriptArg + 1] : undefined) : true;
    return verdicts.every(([, ok]) => ok) && peer ? 0 : 1;
}

/** The command line: the benchmark, or with `--child <case>` one measured plan. */
export async function cli(argv: string[]): Promise<number> {
    const childArg = argv.indexOf("--child");
    if (childArg < 0) return main(argv);
    try {
        await child(argv[childArg + 1]);
        return 0;
    } catch (error) {
        console.error(error instanceof Error ? error.message : error);
        return 1;
    }
}

if (require.main === module) void cli(process.argv.slice(2)).then((code) => process.exit(code));
