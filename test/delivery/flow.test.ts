// The README's flow, step by step, on a scratch copy of the stack files: a bump of staging's lock
// only (a chart, an add-on and an image, as a version bot proposes them), its merge (staging
// deploys, prod waits), the promotion, and its merge (prod deploys). Every step passes what CI
// checks: the stack files validate, prod is never ahead of staging, the delivery plan builds.
import * as assert from "node:assert/strict";
import { aheadOf, formatChange, kubernetesStep, lockChanges } from "../../stacks/config/lock";
import { deliveryPlan } from "../../stacks/delivery/delivery";
import { stackNames } from "../../stacks/plan/plan";
import { render } from "../fixtures";
import { bump, promoteCommandFor, runPromote, type Scratch, scratchCopy, setLine } from "./harness";

describe("the documented flow: bump staging, deploy staging, promote prod", () => {
    const command = promoteCommandFor("staging", "prod");
    let scratch: Scratch;
    let bumped: string[];

    /** What CI checks of the stack files at every step: each validates, and prod is never ahead of staging. */
    const checks = () => {
        const configs = new Map(stackNames(scratch.dir).map((stack) => [stack, scratch.config(stack)]));
        const [staging, prod] = [configs.get("staging"), configs.get("prod")];
        assert.ok(staging && prod);
        const ahead = aheadOf({ name: "staging", lock: staging.versions }, { name: "prod", lock: prod.versions });
        assert.deepEqual(ahead, [], render(ahead));
        assert.equal(kubernetesStep(prod.versions.kubernetes, staging.versions.kubernetes), undefined);
        return { staging, prod };
    };

    before(() => (scratch = scratchCopy({ promoted: true })));
    after(() => scratch.dispose());

    it("starts from stacks in sync: staging deploys, then prod, and promote --check exits 0", () => {
        checks();
        const plan = deliveryPlan(scratch.dir);
        assert.deepEqual(
            plan.promoted.map((e) => e.stack),
            ["prod"],
        );
        const check = runPromote(scratch.dir, "staging", "prod", "--check");
        assert.equal(check.code, 0, check.stderr);
        assert.match(check.stdout, /prod already runs staging's lock/);
    });

    it("1. bumps a chart, an add-on and an image in Pulumi.staging.yaml only, and every stack file still validates", () => {
        const { staging } = checks();
        const prodBefore = scratch.read("prod");
        const edits = {
            cilium: bump(staging.versions.charts.cilium),
            coredns: bump(staging.versions.addons.coredns),
            restoreDrill: bump(staging.versions.images.restoreDrill),
        };
        scratch.edit("staging", (text) => Object.entries(edits).reduce((next, [key, value]) => setLine(key, value)(next), text));
        const after = checks();
        bumped = lockChanges(staging.versions, after.staging.versions).map(formatChange);
        assert.deepEqual(bumped.sort(), [
            `addons.coredns: ${staging.versions.addons.coredns} -> ${edits.coredns}`,
            `charts.cilium: ${staging.versions.charts.cilium} -> ${edits.cilium}`,
            `images.restoreDrill: ${staging.versions.images.restoreDrill} -> ${edits.restoreDrill}`,
        ]);
        assert.equal(scratch.read("prod"), prodBefore, "a bump touches staging's stack file only");
    });

    it("2. on merge, previews both, deploys staging and holds prod waiting with the exact changes and the promote command", () => {
        const plan = deliveryPlan(scratch.dir);
        assert.deepEqual(plan.all.map((e) => e.stack).sort(), stackNames(scratch.dir));
        assert.ok(
            plan.first.some((e) => e.stack === "staging"),
            "staging deploys first",
        );
        assert.deepEqual(plan.promoted, [], "prod deploys only once it holds staging's lock");
        assert.deepEqual(
            plan.waiting.map((w) => ({ stack: w.stack, from: w.from, changes: [...w.changes].sort(), command: w.command })),
            [{ stack: "prod", from: "staging", changes: bumped, command }],
        );
    });

    it("2. while prod waits, promote --check exits 1 with what it would change, and writes nothing", () => {
        const before = scratch.read("prod");
        const check = runPromote(scratch.dir, "staging", "prod", "--check");
        assert.equal(check.code, 1, "--check exits 1 while a promotion is pending");
        assert.match(check.stdout, /would promote staging -> prod/);
        for (const change of bumped) assert.ok(check.stdout.includes(change), `--check names ${change}`);
        assert.equal(scratch.read("prod"), before);
    });

    it("3. npm run promote -- staging prod writes those changes into Pulumi.prod.yaml, and nothing else", () => {
        const before = scratch.read("prod").split("\n");
        const run = runPromote(scratch.dir, "staging", "prod");
        assert.equal(run.code, 0, run.stderr);
        assert.match(run.stdout, /promoted staging -> prod/);
        const now = scratch.read("prod").split("\n");
        assert.equal(now.length, before.length);
        assert.equal(
            now.filter((line, i) => line !== before[i]).length,
            bumped.length,
            "one line per change, the rest of the file as it was",
        );
        const { staging, prod } = checks();
        assert.deepEqual(lockChanges(prod.versions, staging.versions), []);
    });

    it("4. on merge of the promotion, prod deploys after staging, and promote --check exits 0 again", () => {
        const plan = deliveryPlan(scratch.dir);
        assert.deepEqual(
            plan.promoted.map((e) => e.stack),
            ["prod"],
            `prod waits for a promotion: run \`${command}\``,
        );
        assert.deepEqual(plan.waiting, []);
        const check = runPromote(scratch.dir, "staging", "prod", "--check");
        assert.equal(check.code, 0, check.stdout);
    });
});
