// The GitHub Actions workflows: valid against the workflow schema (@action-validator/core embeds
// SchemaStore's github-workflow schema), credentials only through OIDC, actions pinned to
// commits, a preview of every stack on pull requests, one update per stack at a time, and prod
// only after staging, behind an approval.
import * as assert from "node:assert/strict";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import * as path from "node:path";
import { validateWorkflow } from "@action-validator/core";
import { parse } from "yaml";
import { deliveryPlan, policyPackConfig } from "../../stacks/delivery/delivery";
import { stackNames } from "../../stacks/plan/plan";
import { ROOT, STACKS } from "../fixtures";
import { configOf, scratchCopy } from "./harness";

const DIR = path.join(ROOT, ".github", "workflows");
const FILES = readdirSync(DIR)
    .filter((file) => /\.ya?ml$/.test(file))
    .sort();

interface Step {
    id?: string;
    uses?: string;
    run?: string;
    with?: Record<string, string | boolean | number>;
}
interface Job {
    "runs-on"?: string;
    needs?: string | string[];
    outputs?: Record<string, string>;
    if?: string;
    environment?: string | { name: string };
    permissions?: Record<string, string> | string;
    concurrency?: { group: string; "cancel-in-progress"?: boolean };
    strategy?: { matrix: { include?: Array<Record<string, string>> } };
    steps: Step[];
}
interface Workflow {
    on: Record<string, unknown>;
    permissions?: Record<string, string>;
    jobs: Record<string, Job>;
}

const text = (file: string) => readFileSync(path.join(DIR, file), "utf8");
const workflow = (file: string) => parse(text(file)) as Workflow;
const steps = (job: Job, action: string) => job.steps.filter((step) => step.uses?.startsWith(`${action}@`));
/**
 * The delivery plan the matrices come from, with every promotion applied, so that every stack has
 * its jobs; which stacks a given commit deploys is the delivery plan's own test (fleet.test.ts).
 */
const DELIVERY = (() => {
    const scratch = scratchCopy({ promoted: true });
    try {
        return deliveryPlan(scratch.dir);
    } finally {
        scratch.dispose();
    }
})();

/** The matrix entries of a job: written out, or a delivery output (`fromJSON(needs.<job>.outputs.<name>)`). */
function matrixOf(parsed: Workflow, job: Job): Array<Record<string, string>> {
    const include = job.strategy?.matrix.include as unknown;
    if (Array.isArray(include)) return include as Array<Record<string, string>>;
    const [, producer, output] = /^\$\{\{ fromJSON\(needs\.([\w-]+)\.outputs\.([\w-]+)\) \}\}$/.exec(String(include ?? "")) ?? [];
    if (!producer) return [{}];
    // The producing job's output must come from `npm run -s delivery -- --github-output`.
    const [, stepId, name] = /steps\.([\w-]+)\.outputs\.([\w-]+)/.exec(parsed.jobs[producer].outputs?.[output] ?? "") ?? [];
    assert.ok(stepId, `${producer} has an output ${output} from one of its steps`);
    assert.ok(
        parsed.jobs[producer].steps.some((s) => s.id === stepId && /npm run -s delivery -- --github-output/.test(s.run ?? "")),
        `${producer}.${output} comes from the delivery plan`,
    );
    return [...(DELIVERY[name as keyof typeof DELIVERY] as unknown as Array<Record<string, string>>)];
}

/** `value` with the matrix entry's fields filled in. */
const expand = (value: unknown, entry: Record<string, string>) =>
    String(value).replace(/\$\{\{ matrix\.(\w+) \}\}/g, (_, key: string) => entry[key] ?? `<no matrix.${key}>`);

/** Each `command` a job runs with pulumi/actions, per matrix entry. */
function runsOf(
    parsed: Workflow,
    job: Job,
    command: string,
): Array<{ stack: string; environment: string; policyPackConfigs: string; with: Step["with"] }> {
    return steps(job, "pulumi/actions")
        .filter((step) => step.with?.command === command)
        .flatMap((step) =>
            matrixOf(parsed, job).map((entry) => ({
                stack: expand(step.with?.["stack-name"], entry).split("/").pop() as string,
                environment: entry.environment,
                policyPackConfigs: expand(step.with?.policyPackConfigs, entry),
                with: step.with,
            })),
        );
}

const environmentOf = (job: Job, entry: Record<string, string>) =>
    expand(typeof job.environment === "string" ? job.environment : job.environment?.name, entry);

describe("workflows", () => {
    it("exist for pull requests, the plan comment and deployment", () => {
        assert.deepEqual(FILES, ["deploy.yml", "plan-comment.yml", "pull-request.yml"]);
    });

    for (const file of FILES) {
        it(`${file} is valid against the GitHub workflow schema`, () => {
            const { errors } = validateWorkflow(text(file));
            assert.deepEqual(errors, [], JSON.stringify(errors, null, 1));
        });

        it(`${file} pins every action to a commit, with its version beside it`, () => {
            const uses = [...text(file).matchAll(/uses:\s*(\S+)(.*)$/gm)];
            assert.ok(uses.length > 0);
            for (const [, ref, rest] of uses) {
                assert.match(ref, /^[\w.-]+\/[\w.-]+@[0-9a-f]{40}$/, `${file}: ${ref} is not pinned to a commit`);
                assert.match(rest, /#\s*v\d+\.\d+\.\d+/, `${file}: ${ref} has no version comment`);
            }
        });

        it(`${file} reaches AWS and Pulumi Cloud only through OIDC, never with stored keys`, () => {
            assert.doesNotMatch(
                text(file),
                /aws-access-key-id|aws-secret-access-key|aws-session-token|secrets\.AWS_|secrets\.PULUMI_ACCESS_TOKEN/,
            );
            const parsed = workflow(file);
            for (const [name, job] of Object.entries(parsed.jobs)) {
                const federated = [...steps(job, "aws-actions/configure-aws-credentials"), ...steps(job, "pulumi/auth-actions")];
                for (const step of steps(job, "aws-actions/configure-aws-credentials"))
                    assert.ok(step.with?.["role-to-assume"], `${file} ${name}: no role-to-assume`);
                if (federated.length > 0) {
                    const permissions = job.permissions ?? parsed.permissions;
                    assert.equal(
                        typeof permissions === "object" ? permissions["id-token"] : undefined,
                        "write",
                        `${file} ${name}: OIDC needs id-token: write`,
                    );
                }
                if (steps(job, "pulumi/actions").length > 0) {
                    assert.equal(
                        steps(job, "pulumi/auth-actions").length,
                        1,
                        `${file} ${name}: Pulumi Cloud token must come from pulumi/auth-actions`,
                    );
                    assert.equal(
                        steps(job, "aws-actions/configure-aws-credentials").length,
                        1,
                        `${file} ${name}: AWS credentials must come from a role`,
                    );
                }
            }
            assert.deepEqual(parsed.permissions, { contents: "read" }, `${file}: the default token is read-only`);
        });
    }

    describe("runners", () => {
        const configs = new Map(STACKS.map((stack) => [stack, configOf(stack)]));

        for (const file of FILES) {
            it(`${file} runs Pulumi only on the stack's runner inside its VPC, with the roles its stack file grants access`, () => {
                const parsed = workflow(file);
                for (const [name, job] of Object.entries(parsed.jobs)) {
                    const pulumiSteps = steps(job, "pulumi/actions");
                    if (pulumiSteps.length === 0) {
                        // Tests, the offline plan and the comment need no network path to a cluster.
                        assert.match(String(job["runs-on"]), /^ubuntu-/, `${file} ${name}: a job without Pulumi stays on a hosted runner`);
                        continue;
                    }
                    for (const entry of matrixOf(parsed, job)) {
                        const config = configs.get(entry.stack);
                        assert.ok(config, `${file} ${name}: runs a committed stack (${entry.stack})`);
                        const runner = config.regions.find((r) => r.region === config.pipeline.runnerRegion)?.names.runnerProject;
                        assert.equal(
                            expand(job["runs-on"], entry),
                            `codebuild-${runner}-\${{ github.run_id }}-\${{ github.run_attempt }}`,
                            `${file} ${name}: ${entry.stack} runs on its own CodeBuild-hosted runner`,
                        );
                        const command = pulumiSteps[0].with?.command;
                        const role = command === "up" ? config.cluster.access.deployRole : config.cluster.access.previewRole;
                        const [credentials] = steps(job, "aws-actions/configure-aws-credentials");
                        assert.equal(
                            expand(credentials.with?.["role-to-assume"], entry),
                            role,
                            `${file} ${name}: ${command} assumes its role`,
                        );
                    }
                }
            });
        }
    });

    describe("pull requests", () => {
        const pr = () => workflow("pull-request.yml");

        it("run the README's test command and the offline plan of every stack", () => {
            const runs = Object.values(pr().jobs).flatMap((job) => job.steps.map((step) => step.run ?? ""));
            assert.ok(runs.includes("npm ci"));
            const readme = readFileSync(path.join(ROOT, "README.md"), "utf8");
            assert.ok(readme.includes("npm test") && runs.includes("npm test"));
            assert.ok(
                runs.some((run) => /npm run -s plan\b/.test(run)),
                "the offline plan runs",
            );
        });

        it("preview every stack, each in its own job, with the policy pack and its environment's enforcement, commenting on the PR", () => {
            const parsed = pr();
            const runs = Object.values(parsed.jobs).flatMap((job) => runsOf(parsed, job, "preview"));
            assert.deepEqual(runs.map((r) => r.stack).sort(), stackNames(ROOT));
            for (const run of runs) {
                assert.equal(run.with?.diff, true);
                assert.equal(run.with?.["comment-on-pr"], true);
                assert.equal(run.with?.policyPacks, "stacks/policy-pack");
                assert.equal(
                    run.policyPackConfigs,
                    policyPackConfig(ROOT, run.environment),
                    `${run.stack}: its environment's enforcement file`,
                );
                assert.ok(existsSync(path.join(ROOT, run.policyPackConfigs)), `${run.policyPackConfigs} exists`);
            }
        });

        it("post the offline plan from a workflow that never runs the pull request's code", () => {
            const comment = workflow("plan-comment.yml");
            assert.deepEqual(Object.keys(comment.on), ["workflow_run"]);
            assert.doesNotMatch(text("plan-comment.yml"), /actions\/checkout|pull_request_target/);
            for (const file of FILES) assert.doesNotMatch(text(file), /pull_request_target/, file);
        });
    });

    describe("deployment", () => {
        const deploy = () => workflow("deploy.yml");
        /** The job, and its matrix entry, that runs `pulumi up` on a stack: exactly one. */
        const jobFor = (stack: string) => {
            const parsed = deploy();
            const found = Object.entries(parsed.jobs).flatMap(([name, job]) =>
                matrixOf(parsed, job)
                    .filter((entry) =>
                        runsOf(parsed, { ...job, strategy: { matrix: { include: [entry] } } }, "up").some((r) => r.stack === stack),
                    )
                    .map((entry) => ({ name, job, entry })),
            );
            assert.equal(found.length, 1, `one job runs pulumi up on ${stack}`);
            return found[0];
        };

        it("runs on merges to main (which of them, triggers.test.ts), and by hand", () => {
            assert.deepEqual((deploy().on.push as { branches: string[] }).branches, ["main"]);
            assert.ok("workflow_dispatch" in deploy().on);
        });

        it("updates each stack from one job, one update at a time, never cancelling one in progress", () => {
            const groups = stackNames(ROOT).map((stack) => {
                const { name, job, entry } = jobFor(stack);
                const group = expand(job.concurrency?.group, entry);
                assert.ok(group.includes(stack), `${name}: the concurrency group names the stack`);
                assert.equal(job.concurrency?.["cancel-in-progress"], false, `${name}: an update in progress is never cancelled`);
                assert.equal(environmentOf(job, entry), entry.environment, `${name}: runs in the stack's GitHub environment`);
                const [up] = runsOf(deploy(), { ...job, strategy: { matrix: { include: [entry] } } }, "up");
                assert.equal(up.policyPackConfigs, policyPackConfig(ROOT, entry.environment), `${name}: ${stack}'s enforcement file`);
                assert.ok(existsSync(path.join(ROOT, up.policyPackConfigs)), `${up.policyPackConfigs} exists`);
                return group;
            });
            assert.equal(new Set(groups).size, groups.length);
        });

        it("updates a promoted stack only after the first stage, while it holds its source's lock, in its protected environment", () => {
            const first = jobFor("staging");
            const prod = jobFor("prod");
            assert.ok([prod.job.needs].flat().includes(first.name), "prod's job waits for staging's");
            assert.equal(environmentOf(prod.job, prod.entry), "prod");
            assert.match(String(prod.job.if), /any-promoted == 'true'/);
        });
    });
});
