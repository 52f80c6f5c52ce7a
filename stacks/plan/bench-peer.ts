// The plan side by side with a peer tool's synthesis of the same number of clusters:
// `npm run bench -- --peer <dir>`. Each pair runs the two commands one after the other, in
// alternating order, both started through npm as a user starts them; the ratio reported is the
// median of the pairs' ratios, so load that comes and goes on the machine affects both sides.
//
// The peer directory holds an npm project whose `synth` script (or `--peer-script <name>`)
// synthesizes CLUSTERS clusters, CLUSTERS taken from the environment. Nothing of the peer is part
// of this project.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { projectRoot } from "./stack-input";

/** The prod plan's wall time and peak memory at most this fraction of the peer's two clusters. */
export const PEER_BUDGET = { wallRatio: 0.9, memoryRatio: 1 } as const;

/**
 * Plan command (through npm, as the README runs it) and the peer's cluster count, per case. Only
 * prod is budgeted against the peer; the fleets are shown beside it, and budgeted per region
 * (bench.ts).
 */
const CASES = [
    { name: "prod", clusters: 2, args: ["run", "-s", "plan", "--", "prod"], budgeted: true },
    { name: "fleet-10", clusters: 10, args: ["run", "-s", "bench", "--", "--child", "fleet-10"], budgeted: false },
    { name: "fleet-20", clusters: 20, args: ["run", "-s", "bench", "--", "--child", "fleet-20"], budgeted: false },
] as const;

/**
 * A run that takes longer is stopped, and its case reported as not measured. coreutils' timeout
 * stops the run's whole process group, npm's children included.
 */
const TIMEOUT_SECONDS = 300;

/** GNU time reports the peak resident memory of the largest process a command starts. */
const GNU_TIME = "/usr/bin/time";

interface Run {
    readonly seconds: number;
    readonly peakMiB?: number;
}

class TimedOut extends Error {}

function timed(cwd: string, args: readonly string[], env: NodeJS.ProcessEnv): Run {
    const withMemory = existsSync(GNU_TIME);
    const measured = withMemory ? [GNU_TIME, "-f", "peak-kib %M", "npm", ...args] : ["npm", ...args];
    const started = process.hrtime.bigint();
    const run = spawnSync("timeout", ["-s", "KILL", String(TIMEOUT_SECONDS), ...measured], {
        cwd,
        env: { ...process.env, ...env },
        encoding: "utf8",
        maxBuffer: 64 * 1024 * 1024,
    });
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    if (run.status === 137 || run.signal === "SIGKILL") throw new TimedOut(`npm ${args.join(" ")} in ${cwd}`);
    if (run.status !== 0) throw new Error(`npm ${args.join(" ")} in ${cwd} failed:\n${(run.stderr || run.stdout).slice(-2000)}`);
    const peak = /peak-kib (\d+)\s*$/.exec(run.stderr)?.[1];
    return { seconds, ...(peak ? { peakMiB: Number(peak) / 1024 } : {}) };
}

const median = (values: number[]) => {
    const sorted = [...values].sort((a, b) => a - b);
    const mid = Math.floor(sorted.length / 2);
    return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

const mib = (value: number | undefined) => (value === undefined ? "   n/a" : `${value.toFixed(0).padStart(4)} MiB`);

/** Runs each case `runs` times against the peer; returns whether the plan stayed within PEER_BUDGET. */
export function comparePeer(peerDir: string, runs: number, script = "synth"): boolean {
    const root = projectRoot();
    console.log(`side by side with npm run ${script} in ${peerDir}, ${runs} pairs per case, alternating order`);
    console.log("case       clusters   plan wall   peer wall   ratio   plan peak   peer peak   ratio");
    let ok = true;
    for (const spec of CASES) {
        const plan: Run[] = [];
        const peer: Run[] = [];
        try {
            for (let i = 0; i < runs; i++) {
                const runPlan = () => plan.push(timed(root, spec.args, {}));
                const runPeer = () => peer.push(timed(peerDir, ["run", "-s", script], { CLUSTERS: String(spec.clusters) }));
                if (i % 2 === 0) {
                    runPlan();
                    runPeer();
                } else {
                    runPeer();
                    runPlan();
                }
            }
        } catch (error) {
            if (!(error instanceof TimedOut)) throw error;
            console.log(
                `${spec.name.padEnd(10)}${String(spec.clusters).padStart(9)}   not measured: ${error.message} ran over ${TIMEOUT_SECONDS} s`,
            );
            ok &&= !spec.budgeted;
            continue;
        }
        const wallRatio = median(plan.map((p, i) => p.seconds / peer[i].seconds));
        const peaks = plan.every((p) => p.peakMiB) && peer.every((p) => p.peakMiB);
        const [planPeak, peerPeak] = peaks ? [median(plan.map((p) => p.peakMiB ?? 0)), median(peer.map((p) => p.peakMiB ?? 0))] : [];
        const memoryRatio = planPeak && peerPeak ? planPeak / peerPeak : undefined;
        console.log(
            `${spec.name.padEnd(10)}${String(spec.clusters).padStart(9)}   ${median(plan.map((p) => p.seconds)).toFixed(2)} s      ${median(peer.map((p) => p.seconds)).toFixed(2)} s    ${wallRatio.toFixed(2)}    ${mib(planPeak)}    ${mib(peerPeak)}    ${memoryRatio?.toFixed(2) ?? "n/a"}`,
        );
        if (!spec.budgeted) continue;
        const within = wallRatio <= PEER_BUDGET.wallRatio && (memoryRatio === undefined || memoryRatio <= PEER_BUDGET.memoryRatio);
        console.log(
            `budget: ${within ? "ok  " : "OVER"} ${spec.name} at most ${PEER_BUDGET.wallRatio}x the peer's wall time and ${PEER_BUDGET.memoryRatio}x its peak memory`,
        );
        ok &&= within;
    }
    return ok;
}
