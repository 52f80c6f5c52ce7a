// Which stacks CI previews and deploys, and in what order: every stack file is previewed; stacks
// without `promotion.from` deploy first, and a stack promoted from another deploys after it, only
// while its lock equals its source's. A fleet split into one stack per region is just more stack
// files of one environment, sharing that environment's lock; each gets its own matrix job.
//
// Each stack's jobs run on the CodeBuild-hosted runner its stack file names (`pipeline.runnerRegion`),
// inside that region's VPC, and assume the deploy and preview roles of its `cluster.access`; the
// policy pack runs with its environment's enforcement file, or the default one (every policy
// mandatory) for an environment without its own. Stacks in bootstrap mode are left to an operator. It refuses a fleet whose stack files disagree (see
// fleetProblems), and a stack without the roles CI assumes.
//
//   npm run -s delivery                      what CI would do, for people
//   npm run -s delivery -- --github-output   the same as `name=json` lines for $GITHUB_OUTPUT
import { existsSync } from "node:fs";
import * as path from "node:path";
import { type Cidr, overlaps, parseCidr } from "../config/cidr";
import { runMain } from "./cli";
import { type StackConfig, StackConfigError, resolveStackConfig } from "../config/config";
import { formatChange, lockChanges } from "../config/lock";
import { projectRoot, rawStackConfig, readStackConfig } from "../plan/stack-input";
import { stackNames } from "../plan/plan";

export interface StackEntry {
    readonly stack: string;
    readonly environment: string;
    /** The CodeBuild project whose runner, inside the VPC, runs the stack's Pulumi jobs (`runs-on: codebuild-<runner>-…`). */
    readonly runner: string;
    readonly runnerRegion: string;
    /** The roles the jobs assume through OIDC: `pulumi up`, and the read-only `pulumi preview --refresh`. */
    readonly deployRole: string;
    readonly previewRole: string;
    /** The policy pack's enforcement levels for the stack's environment (`--policy-pack-config`), relative to the project root. */
    readonly policyPackConfig: string;
}

export interface Waiting extends StackEntry {
    readonly from: string;
    readonly changes: readonly string[];
    /** `npm run promote -- <from> <stack>`, when a promotion is what it waits for (not its source's bootstrap). */
    readonly command?: string;
}

export interface DeliveryPlan {
    /** Every stack file, previewed on pull requests. */
    readonly all: readonly StackEntry[];
    /** Stacks that take their lock from no other: deployed first on merge. */
    readonly first: readonly StackEntry[];
    /** Stacks whose lock equals their source's: deployed after the first stage. */
    readonly promoted: readonly StackEntry[];
    /** Stacks waiting for a promotion, with what it would change and the command that makes it. */
    readonly waiting: ReadonlyArray<Waiting>;
    /** Stacks in bootstrap mode: an operator runs their first `pulumi up`; CI leaves them alone. */
    readonly bootstrapping: readonly StackEntry[];
}

export const POLICY_PACK = "stacks/policy-pack";

/**
 * An environment's enforcement file: `config.<environment>.json` of the policy pack, or, when the
 * environment has none, `config.default.json`, where every policy is mandatory: a new environment
 * starts as strict as prod until its own file says otherwise.
 */
export function policyPackConfig(root: string, environment: string): string {
    const own = `${POLICY_PACK}/config.${environment}.json`;
    return existsSync(path.join(root, own)) ? own : `${POLICY_PACK}/config.default.json`;
}

const stackEntry = (config: StackConfig, root: string): StackEntry => ({
    stack: config.stack,
    environment: config.environment,
    runner: (config.regions.find((region) => region.region === config.pipeline.runnerRegion) ?? config.regions[0]).names.runnerProject,
    runnerRegion: config.pipeline.runnerRegion,
    deployRole: config.cluster.access.deployRole as string,
    previewRole: config.cluster.access.previewRole as string,
    policyPackConfig: policyPackConfig(root, config.environment),
});

/** What CI needs of a stack file: the roles its jobs assume, which are also the ones the clusters admit. */
function pipelineProblems(config: StackConfig): string[] {
    return (["deployRole", "previewRole"] as const)
        .filter((role) => config.cluster.access[role] === undefined)
        .map((role) => `${config.stack}: cluster.access.${role} is required: CI assumes it, and the clusters grant it access`);
}

/**
 * What no single stack file can check about the fleet: stacks of one environment share its lock,
 * and across stacks no two clusters share a name or a Cilium cluster ID, and one environment's VPC
 * ranges do not overlap (a fleet split per region stays meshable and peerable).
 */
export function fleetProblems(configs: readonly StackConfig[]): string[] {
    const problems: string[] = [];
    const firstOf = new Map<string, StackConfig>();
    for (const config of configs) {
        const first = firstOf.get(config.environment);
        if (!first) firstOf.set(config.environment, config);
        else {
            const changes = lockChanges(first.versions, config.versions);
            if (changes.length > 0)
                problems.push(
                    `${config.stack}: its lock differs from ${first.stack}'s, a stack of the same environment ${config.environment} (${changes.map(formatChange).join("; ")})`,
                );
        }
    }
    const regions = configs.flatMap((config) => config.regions.map((region) => ({ config, region })));
    regions.forEach(({ config, region }, i) => {
        for (const other of regions.slice(0, i)) {
            const where = `${config.stack} ${region.region}`;
            const there = `${other.config.stack} ${other.region.region}`;
            if (other.config === config) continue;
            if (other.region.names.cluster === region.names.cluster)
                problems.push(`${where}: cluster ${region.names.cluster} is also ${there}'s`);
            if (other.region.ciliumClusterId === region.ciliumClusterId)
                problems.push(`${where}: ciliumClusterId ${region.ciliumClusterId} is also ${there}'s`);
            if (
                other.config.environment === config.environment &&
                overlaps(parseCidr(region.vpcCidr) as Cidr, parseCidr(other.region.vpcCidr) as Cidr)
            ) {
                problems.push(`${where}: vpcCidr ${region.vpcCidr} overlaps ${there}'s ${other.region.vpcCidr}`);
            }
        }
    });
    return problems;
}

export function deliveryPlan(root: string): DeliveryPlan {
    const configs = new Map<string, StackConfig>();
    const invalid: string[] = [];
    for (const stack of stackNames(root)) {
        const input = readStackConfig(root, stack);
        try {
            configs.set(stack, resolveStackConfig(rawStackConfig(input, stack)));
        } catch (error) {
            if (!(error instanceof StackConfigError)) throw error;
            invalid.push(error.message);
        }
    }
    if (invalid.length > 0) throw new Error(invalid.join("\n"));
    const entry = (config: StackConfig) => stackEntry(config, root);
    // A stack in bootstrap mode has no runner yet (its first `pulumi up` builds them): CI neither
    // previews nor deploys it until its stack file leaves bootstrap mode.
    const bootstrapping = [...configs.values()].filter((config) => config.pipeline.bootstrap);
    const all = [...configs.values()].filter((config) => !config.pipeline.bootstrap);
    const first = all.filter((config) => !config.promotion.from);
    const problems = [...fleetProblems([...configs.values()]), ...all.flatMap(pipelineProblems)];
    const promoted: StackEntry[] = [];
    const waiting: Waiting[] = [];
    const wait = (config: StackConfig, from: string, changes: string[], promotable = true) =>
        waiting.push({ ...entry(config), from, changes, ...(promotable ? { command: `npm run promote -- ${from} ${config.stack}` } : {}) });
    for (const config of all.filter((c) => c.promotion.from)) {
        const from = config.promotion.from as string;
        const source = configs.get(from);
        if (!source) problems.push(`${config.stack}: promotion.from names ${from}, which has no stack file`);
        else if (source.pipeline.bootstrap) wait(config, from, [`${from} is in bootstrap mode: it deploys no lock yet`], false);
        else if (source.promotion.from)
            problems.push(
                `${config.stack}: ${from} is itself promoted from ${source.promotion.from}; deploy.yml deploys in two stages, so promote from a first-stage stack`,
            );
        else {
            const changes = lockChanges(config.versions, source.versions).map(formatChange);
            if (changes.length === 0) promoted.push(entry(config));
            else wait(config, from, changes);
        }
    }
    if (problems.length > 0) throw new Error(problems.join("\n"));
    return { all: all.map(entry), first: first.map(entry), promoted, waiting, bootstrapping: bootstrapping.map(entry) };
}

function main(argv: string[]): number {
    const plan = deliveryPlan(projectRoot());
    if (argv.includes("--github-output")) {
        // Matrices for `strategy.matrix.include`; GitHub refuses an empty matrix, so jobs check `any-*`.
        console.log(`all=${JSON.stringify(plan.all)}`);
        console.log(`first=${JSON.stringify(plan.first)}`);
        console.log(`promoted=${JSON.stringify(plan.promoted)}`);
        console.log(`any=${plan.all.length > 0}`);
        console.log(`any-first=${plan.first.length > 0}`);
        console.log(`any-promoted=${plan.promoted.length > 0}`);
        const awaited = (w: Waiting) => (w.command ? `\`${w.command}\`` : `${w.from} to leave bootstrap mode`);
        console.log(`waiting=${JSON.stringify(plan.waiting.map((w) => `${w.stack} waits for ${awaited(w)}`))}`);
        return 0;
    }
    const on = (e: StackEntry) => `${e.stack} (runner ${e.runner})`;
    console.log(`preview on pull requests: ${plan.all.map(on).join(", ") || "(none)"}`);
    console.log(`deploy on merge, first: ${plan.first.map(on).join(", ") || "(none)"}`);
    console.log(`then, after approval: ${plan.promoted.map(on).join(", ") || "(none)"}`);
    for (const w of plan.waiting)
        console.log(
            `waiting for promotion from ${w.from}: ${w.stack} (${w.changes.join("; ")})${w.command ? `; \`${w.command}\` makes it` : ""}`,
        );
    for (const b of plan.bootstrapping)
        console.log(
            `bootstrapping, not run by CI: ${b.stack} (an operator runs its first pulumi up; see the README's "A new environment")`,
        );
    return 0;
}

if (require.main === module) runMain(main);
