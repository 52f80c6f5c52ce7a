// The offline plan: evaluates each stack file under the mock runtime and prints, per stack and
// region, the component tree with resource counts by type, the version lock, and what a reviewer
// should notice. Writes the full evaluation of each stack to .plan/<stack>.json.
//
//   npm run plan                 every stack file
//   npm run plan -- prod         one stack (several may be named)
//   npm run plan -- --diff staging prod   what differs between two stacks, and the cost delta
//   npm run plan -- --diagram    also write stacks/plan/diagrams/<stack>.md (Mermaid)
//   npm run plan -- --trace      keep stack traces (slower; for debugging the program)
import "./defer";
import { closeSync, mkdirSync, openSync, readdirSync, writeFileSync, writeSync } from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { estimateCost } from "./cost";
import { renderDiagram } from "./diagram";
import { renderDiff, resourceDiff, settingsDiff } from "./diff";
import { resolveStackConfig, type StackConfig, StackConfigError } from "../config/config";
import { evaluate, type Evaluation, EvaluationError } from "./offline";
import { resourcesByRegion } from "./resources";
import { projectRoot, rawStackConfig, readStackConfig } from "./stack-input";
import { logVolume, renderPlan } from "./render";
import { type StackPreview, changesJson, previewStack, renderPreview } from "./preview";

export const PLAN_DIR = ".plan";
/** Where `--diagram` writes each stack's diagram; committed, linked from the README. */
export const DIAGRAM_DIR = path.join("stacks", "plan", "diagrams");

/** Stacks with a stack file in the project root. */
export function stackNames(root: string): string[] {
    return readdirSync(root)
        .map((file) => /^Pulumi\.(.+)\.yaml$/.exec(file)?.[1])
        .filter((name): name is string => name !== undefined)
        .sort();
}

/** Stack outputs with secrets masked, as `pulumi stack output` shows them. */
async function maskedOutputs(value: unknown): Promise<unknown> {
    if (pulumi.Output.isInstance(value)) {
        if (await pulumi.isSecret(value)) return "[secret]";
        // An unknown Output never calls apply; the timer reports it instead of waiting forever.
        const resolved = await new Promise((resolve) => {
            const timer = setTimeout(() => resolve("[unknown]"), 1000);
            value.apply((v) => {
                clearTimeout(timer);
                resolve(v);
            });
        });
        return maskedOutputs(resolved);
    }
    if (Array.isArray(value)) return Promise.all(value.map(maskedOutputs));
    if (value !== null && typeof value === "object") {
        return Object.fromEntries(await Promise.all(Object.entries(value).map(async ([key, item]) => [key, await maskedOutputs(item)])));
    }
    return value;
}

/**
 * Writes `{ ...head, resources }` to `file` as `JSON.stringify(value, null, 1)` would, a resource
 * at a time: a fleet's plan (megabytes of JSON) is never one string in memory.
 */
export function writeJsonLines(file: string, head: Record<string, unknown>, resources: readonly unknown[]): void {
    if (resources.length === 0) return writeFileSync(file, `${JSON.stringify({ ...head, resources }, null, 1)}\n`);
    const fd = openSync(file, "w");
    try {
        writeSync(fd, `${JSON.stringify(head, null, 1).slice(0, -2)},\n "resources": [\n`);
        resources.forEach((resource, i) => {
            const item = JSON.stringify(resource, null, 1).replace(/^/gm, "  ");
            writeSync(fd, i < resources.length - 1 ? `${item},\n` : `${item}\n ]\n}\n`);
        });
    } finally {
        closeSync(fd);
    }
}

export interface PlanResult {
    readonly stack: string;
    readonly ok: boolean;
    readonly text: string;
    readonly millis: number;
    readonly resources: number;
    /** The configuration and evaluation planned; absent when the stack file is invalid. */
    readonly planned?: { readonly config: StackConfig; readonly evaluation: Evaluation };
}

/**
 * Plans one stack: evaluation, report and JSON file. `overrides` replace settings of the stack
 * file (the benchmark's synthetic fleets); `label` names the result instead of the stack.
 */
export async function planStack(
    root: string,
    stack: string,
    outDir: string,
    options: { overrides?: Record<string, unknown>; label?: string } = {},
): Promise<PlanResult> {
    const started = Date.now();
    const input = readStackConfig(root, stack, options.overrides);
    const label = options.label ?? stack;
    let config: StackConfig;
    try {
        config = resolveStackConfig(rawStackConfig(input, label));
    } catch (error) {
        if (error instanceof StackConfigError)
            return {
                stack: label,
                ok: false,
                text: `== stack ${label}: INVALID\n${error.message}`,
                millis: Date.now() - started,
                resources: 0,
            };
        throw error;
    }
    const evaluation = await evaluate(path.join(__dirname, "..", "..", "index.js"), label, input);
    const millis = Date.now() - started;
    const outputs = await maskedOutputs(evaluation.exports);
    mkdirSync(outDir, { recursive: true });
    writeJsonLines(
        path.join(outDir, `${label}.json`),
        { project: evaluation.project, stack: label, versions: config.versions, outputs, invokes: evaluation.invokes },
        evaluation.resources,
    );
    return {
        stack: label,
        ok: true,
        text: renderPlan(config, evaluation, millis),
        millis,
        resources: evaluation.resources.length,
        planned: { config, evaluation },
    };
}

/** The difference of two planned stacks. */
export function diffText(from: PlanResult, to: PlanResult): string {
    if (!from.planned || !to.planned) throw new Error("both stacks must plan before they can be compared");
    const [a, b] = [resourcesByRegion(from.planned.evaluation.resources), resourcesByRegion(to.planned.evaluation.resources)];
    return renderDiff({ from: from.stack, to: to.stack }, settingsDiff(from.planned.config, to.planned.config), resourceDiff(a, b), {
        from: estimateCost(a, logVolume(from.planned.config), from.planned.config.karpenter.estimate),
        to: estimateCost(b, logVolume(to.planned.config), to.planned.config.karpenter.estimate),
    });
}

/** What the working tree changes in each stack against `base`: printed, and written as .plan/<stack>.changes.json. */
async function previewChanges(root: string, base: string, stacks: readonly string[], format: "text" | "markdown"): Promise<number> {
    const previews: StackPreview[] = [];
    for (const stack of stacks) {
        const result = await planStack(root, stack, path.join(root, PLAN_DIR));
        if (!result.ok || !result.planned) {
            console.error(result.text);
            return 1;
        }
        const preview = await previewStack(root, base, stack, result.planned);
        writeFileSync(path.join(root, PLAN_DIR, `${stack}.changes.json`), `${JSON.stringify(changesJson(preview), null, 1)}\n`);
        previews.push(preview);
    }
    console.log(renderPreview(previews, format));
    return 0;
}

/** The command line; resolves to the exit code. */
export async function cli(argv: string[]): Promise<number> {
    const trace = argv.includes("--trace");
    const diff = argv.includes("--diff");
    const diagram = argv.includes("--diagram");
    const option = (name: string) => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : undefined);
    const base = option("--base");
    const format = option("--format") === "markdown" ? "markdown" : "text";
    // The SDK records a stack trace for every promise it creates; offline, nobody reads them, and
    // they are most of the evaluation's CPU time. --trace brings them back for debugging.
    if (!trace) Error.stackTraceLimit = 0;
    const root = projectRoot();
    const known = stackNames(root);
    const requested = argv.filter((arg, i) => !arg.startsWith("--") && !["--base", "--format"].includes(argv[i - 1]));
    const unknown = requested.filter((stack) => !known.includes(stack));
    if (unknown.length > 0) {
        console.error(`no stack file for ${unknown.join(", ")} (stacks: ${known.join(", ")})`);
        return 2;
    }
    if (diff && requested.length !== 2) {
        console.error("usage: npm run plan -- --diff <stack> <stack>");
        return 2;
    }
    if (base !== undefined) return previewChanges(root, base, requested.length > 0 ? requested : known, format);
    const results: PlanResult[] = [];
    let failed = 0;
    for (const stack of requested.length > 0 ? requested : known) {
        try {
            const result = await planStack(root, stack, path.join(root, PLAN_DIR));
            results.push(result);
            if (!diff || !result.ok) console.log(`${result.text}\n`);
            if (!result.ok) failed++;
            if (diagram && result.planned) {
                mkdirSync(path.join(root, DIAGRAM_DIR), { recursive: true });
                writeFileSync(path.join(root, DIAGRAM_DIR, `${stack}.md`), renderDiagram(result.planned.config, result.planned.evaluation));
            }
        } catch (error) {
            failed++;
            const err = (error instanceof EvaluationError && error.cause instanceof Error ? error.cause : error) as Error;
            console.error(
                `== stack ${stack}: evaluation failed\n${trace ? err.stack : `${err.message}\n(run with --trace for a stack trace)`}\n`,
            );
        }
    }
    if (failed > 0) return 1;
    if (diff) console.log(diffText(results[0], results[1]));
    else console.log(`plans written to ${PLAN_DIR}/${diagram ? `, diagrams to ${DIAGRAM_DIR}/` : ""}`);
    return 0;
}

if (require.main === module) {
    cli(process.argv.slice(2)).then(
        (code) => process.exit(code),
        (error: unknown) => {
            console.error(error);
            process.exit(1);
        },
    );
}
