// Which stacks CI previews and deploys, and in what order: every stack file is previewed; stacks
// without `promotion.from` deploy first, and a stack promoted from another deploys after it, only
// while its lock equals its source's. A fleet split into one stack per region is just more stack
// files of one environment, sharing that environment's lock; each gets its own matrix job.
//
// It refuses a fleet whose stack files disagree (see fleetProblems).
//
//   npm run -s delivery                      what CI would do, for people
//   npm run -s delivery -- --github-output   the same as `name=json` lines for $GITHUB_OUTPUT
import { type Cidr, overlaps, parseCidr } from "../config/cidr";
import { runMain } from "./cli";
import { type StackConfig, StackConfigError, resolveStackConfig } from "../config/config";
import { formatChange, lockChanges } from "../config/lock";
import { projectRoot, readStackConfig } from "../plan/stack-input";
import { stackNames } from "../plan/plan";

export interface StackEntry {
    readonly stack: string;
    readonly environment: string;
    /** GitHub variable holding the read-only role previews of this environment assume. */
    readonly previewRole: string;
}

export interface DeliveryPlan {
    /** Every stack file, previewed on pull requests. */
    readonly all: readonly StackEntry[];
    /** Stacks that take their lock from no other: deployed first on merge. */
    readonly first: readonly StackEntry[];
    /** Stacks whose lock equals their source's: deployed after the first stage. */
    readonly promoted: readonly StackEntry[];
    /** Stacks waiting for a promotion, with what it would change. */
    readonly waiting: ReadonlyArray<StackEntry & { readonly from: string; readonly changes: readonly string[] }>;
}

const entry = (config: StackConfig): StackEntry => ({
    stack: config.stack,
    environment: config.environment,
    previewRole: `AWS_PREVIEW_ROLE_${config.environment.toUpperCase()}`,
});

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
            configs.set(
                stack,
                resolveStackConfig({
                    project: input.project,
                    stack,
                    config: input.config,
                    isSecret: (key) => input.secretKeys.includes(key),
                }),
            );
        } catch (error) {
            if (!(error instanceof StackConfigError)) throw error;
            invalid.push(error.message);
        }
    }
    if (invalid.length > 0) throw new Error(invalid.join("\n"));
    const all = [...configs.values()];
    const first = all.filter((config) => !config.promotion.from);
    const problems = fleetProblems(all);
    const promoted: StackEntry[] = [];
    const waiting: Array<StackEntry & { from: string; changes: string[] }> = [];
    for (const config of all.filter((c) => c.promotion.from)) {
        const from = config.promotion.from as string;
        const source = configs.get(from);
        if (!source) problems.push(`${config.stack}: promotion.from names ${from}, which has no stack file`);
        else if (source.promotion.from)
            problems.push(
                `${config.stack}: ${from} is itself promoted from ${source.promotion.from}; deploy.yml deploys in two stages, so promote from a first-stage stack`,
            );
        else {
            const changes = lockChanges(config.versions, source.versions).map(formatChange);
            if (changes.length === 0) promoted.push(entry(config));
            else waiting.push({ ...entry(config), from, changes });
        }
    }
    if (problems.length > 0) throw new Error(problems.join("\n"));
    return { all: all.map(entry), first: first.map(entry), promoted, waiting };
}

function main(argv: string[]): number {
    const plan = deliveryPlan(projectRoot());
    if (argv.includes("--github-output")) {
        // Matrices for `strategy.matrix.include`; GitHub refuses an empty matrix, so jobs check `any-*`.
        console.log(`all=${JSON.stringify(plan.all)}`);
        console.log(`first=${JSON.stringify(plan.first)}`);
        console.log(`promoted=${JSON.stringify(plan.promoted)}`);
        console.log(`any-promoted=${plan.promoted.length > 0}`);
        console.log(
            `waiting=${JSON.stringify(plan.waiting.map((w) => `${w.stack} waits for \`npm run promote -- ${w.from} ${w.stack}\``))}`,
        );
        return 0;
    }
    console.log(`preview on pull requests: ${plan.all.map((e) => e.stack).join(", ")}`);
    console.log(`deploy on merge, first: ${plan.first.map((e) => e.stack).join(", ") || "(none)"}`);
    console.log(`then, after approval: ${plan.promoted.map((e) => e.stack).join(", ") || "(none)"}`);
    for (const w of plan.waiting) console.log(`waiting for promotion from ${w.from}: ${w.stack} (${w.changes.join("; ")})`);
    return 0;
}

if (require.main === module) runMain(main);
