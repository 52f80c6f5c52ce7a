// The GitHub Actions workflows: valid against the workflow schema (@action-validator/core embeds
// SchemaStore's github-workflow schema), credentials only through OIDC, actions pinned to
// commits, a preview of every stack on pull requests, one update per stack at a time, and prod
// only after staging, behind an approval.
import * as assert from "node:assert/strict";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import * as path from "node:path";
import { validateWorkflow } from "@action-validator/core";
import { parse } from "yaml";
import { stackNames } from "../stacks/plan";
import { ROOT } from "./fixtures";

const DIR = path.join(ROOT, ".github", "workflows");
const FILES = readdirSync(DIR).filter((file) => /\.ya?ml$/.test(file)).sort();

interface Step {
    uses?: string;
    run?: string;
    with?: Record<string, string | boolean | number>;
}
interface Job {
    needs?: string | string[];
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
/** How the workflows write the matrix's stack into a value. */
const MATRIX_STACK = ["$", "{{ matrix.stack }}"].join("");
const environmentOf = (job: Job) => (typeof job.environment === "string" ? job.environment : job.environment?.name);

/** The stacks a job runs `command` on: its stack-name, expanded over its matrix. */
function stacksOf(job: Job, command: string): string[] {
    return steps(job, "pulumi/actions").filter((step) => step.with?.command === command).flatMap((step) => {
        const name = String(step.with?.["stack-name"]).split("/").pop() as string;
        return name === MATRIX_STACK ? (job.strategy?.matrix.include ?? []).map((entry) => entry.stack) : [name];
    });
}

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
            assert.doesNotMatch(text(file), /aws-access-key-id|aws-secret-access-key|aws-session-token|secrets\.AWS_|secrets\.PULUMI_ACCESS_TOKEN/);
            const parsed = workflow(file);
            for (const [name, job] of Object.entries(parsed.jobs)) {
                const federated = [...steps(job, "aws-actions/configure-aws-credentials"), ...steps(job, "pulumi/auth-actions")];
                for (const step of steps(job, "aws-actions/configure-aws-credentials")) assert.ok(step.with?.["role-to-assume"], `${file} ${name}: no role-to-assume`);
                if (federated.length > 0) {
                    const permissions = job.permissions ?? parsed.permissions;
                    assert.equal(typeof permissions === "object" ? permissions["id-token"] : undefined, "write", `${file} ${name}: OIDC needs id-token: write`);
                }
                if (steps(job, "pulumi/actions").length > 0) {
                    assert.equal(steps(job, "pulumi/auth-actions").length, 1, `${file} ${name}: Pulumi Cloud token must come from pulumi/auth-actions`);
                    assert.equal(steps(job, "aws-actions/configure-aws-credentials").length, 1, `${file} ${name}: AWS credentials must come from a role`);
                }
            }
            assert.deepEqual(parsed.permissions, { contents: "read" }, `${file}: the default token is read-only`);
        });
    }

    describe("pull requests", () => {
        const pr = () => workflow("pull-request.yml");

        it("run the README's test command and the offline plan of every stack", () => {
            const runs = Object.values(pr().jobs).flatMap((job) => job.steps.map((step) => step.run ?? ""));
            assert.ok(runs.includes("npm ci"));
            const readme = readFileSync(path.join(ROOT, "README.md"), "utf8");
            assert.ok(readme.includes("npm test") && runs.includes("npm test"));
            assert.ok(runs.some((run) => /npm run -s plan\b/.test(run)), "the offline plan runs");
        });

        it("preview every stack with the policy pack and its per-stack enforcement, commenting on the PR", () => {
            const jobs = Object.values(pr().jobs);
            assert.deepEqual(jobs.flatMap((job) => stacksOf(job, "preview")).sort(), stackNames(ROOT));
            for (const job of jobs) {
                for (const step of steps(job, "pulumi/actions").filter((s) => s.with?.command === "preview")) {
                    assert.equal(step.with?.diff, true);
                    assert.equal(step.with?.["comment-on-pr"], true);
                    assert.equal(step.with?.policyPacks, "stacks/policy-pack");
                    assert.ok(existsSync(path.join(ROOT, "stacks", "policy-pack", "PulumiPolicy.yaml")));
                    for (const stack of stacksOf(job, "preview")) {
                        const config = String(step.with?.policyPackConfigs).replace(MATRIX_STACK, stack);
                        assert.ok(existsSync(path.join(ROOT, config)), `${config} exists`);
                    }
                }
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
        const jobFor = (stack: string) => {
            const found = Object.entries(deploy().jobs).filter(([, job]) => stacksOf(job, "up").includes(stack));
            assert.equal(found.length, 1, `one job runs pulumi up on ${stack}`);
            return found[0];
        };

        it("runs on merges to main", () => {
            assert.deepEqual(deploy().on.push, { branches: ["main"] });
        });

        it("updates each stack from one job, one update at a time, never cancelling one in progress", () => {
            const groups = stackNames(ROOT).map((stack) => {
                const [name, job] = jobFor(stack);
                assert.ok(job.concurrency?.group.includes(stack), `${name}: concurrency group names the stack`);
                assert.equal(job.concurrency?.["cancel-in-progress"], false, `${name}: an update in progress is never cancelled`);
                assert.equal(environmentOf(job), stack, `${name}: runs in the ${stack} environment`);
                const up = steps(job, "pulumi/actions").find((s) => s.with?.command === "up");
                assert.equal(up?.with?.policyPackConfigs, `stacks/policy-pack/config.${stack}.json`);
                return job.concurrency?.group;
            });
            assert.equal(new Set(groups).size, groups.length);
        });

        it("updates prod only after staging, once prod's file holds staging's lock, in the protected environment", () => {
            const [stagingJob] = jobFor("staging");
            const [, prod] = jobFor("prod");
            assert.deepEqual([prod.needs].flat(), [stagingJob]);
            assert.equal(environmentOf(prod), "prod");
            assert.match(String(prod.if), new RegExp(`needs\\.${stagingJob}\\.outputs\\.prod-lock-matches == 'true'`));
            const check = deploy().jobs[stagingJob].steps.find((step) => step.run?.includes("promote"));
            assert.match(String(check?.run), /npm run -s promote -- staging prod --check/);
        });
    });
});
