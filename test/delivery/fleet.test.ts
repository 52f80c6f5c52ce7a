// The delivery plan CI builds its matrices from, for the committed stacks and for a fleet split
// into one stack per region.
import * as assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import * as path from "node:path";
import { resolveStackConfig } from "../../stacks/config/config";
import { formatChange } from "../../stacks/config/lock";
import { readStackConfig } from "../../stacks/plan/stack-input";
import { deliveryPlan, fleetProblems, POLICY_PACK } from "../../stacks/delivery/delivery";
import { promote } from "../../stacks/delivery/promote";
import { render, ROOT, settingsOf, STACKS } from "../fixtures";
import { bump, configOf, promoteCommandFor, promotions, type Scratch, scratchCopy } from "./harness";

describe("delivery plan and fleet", () => {
    let scratch: Scratch;
    const rewrite: Scratch["rewrite"] = (...args) => scratch.rewrite(...args);
    /** Splits prod into one stack per region: prod keeps the first region, prod-<n> each other one. */
    const splitProd = (): string[] => {
        const regions = (settingsOf("prod").regions as Array<{ region: string }>).map((r) => r.region);
        const names = regions.map((_, i) => (i === 0 ? "prod" : `prod-${i}`));
        for (let i = regions.length - 1; i >= 0; i--) {
            rewrite(
                "prod",
                (doc) => {
                    const all = doc.getIn(["config", "platform:regions"]) as { items: unknown[] };
                    all.items = [all.items[i]];
                    // Cross-region copies need both regions in one stack.
                    doc.setIn(["config", "platform:backups", "crossRegion"], false);
                },
                names[i],
            );
        }
        return names;
    };

    // Every promotion applied: the state right after a promotion is merged.
    beforeEach(() => (scratch = scratchCopy({ promoted: true })));
    afterEach(() => scratch.dispose());

    it("previews every stack, deploys staging first and prod after it while prod holds staging's lock", () => {
        const plan = deliveryPlan(scratch.dir);
        assert.deepEqual(plan.all.map((e) => e.stack).sort(), [...STACKS].sort());
        assert.deepEqual(
            plan.first.map((e) => e.stack),
            STACKS.filter((s) => !configOf(s).promotion.from),
        );
        for (const { stack, from } of promotions) {
            const waiting = plan.waiting.find((w) => w.stack === stack);
            assert.ok(
                !waiting,
                `${stack} still waits for a promotion after \`${promoteCommandFor(from, stack)}\`: ${waiting?.changes.join("; ")}`,
            );
        }
        assert.deepEqual(
            plan.promoted.map((e) => e.stack),
            promotions.map((p) => p.stack),
        );
        assert.deepEqual(plan.waiting, []);
        assert.deepEqual(plan.bootstrapping, []);
    });

    it("finds the committed stack files in sync, or a stack waiting for the one promotion `npm run promote` makes", () => {
        const plan = deliveryPlan(ROOT);
        for (const { stack, from } of promotions) {
            if (plan.promoted.some((e) => e.stack === stack)) continue;
            const command = promoteCommandFor(from, stack);
            const waiting = plan.waiting.find((w) => w.stack === stack);
            assert.ok(waiting, `${stack} is neither deployed nor waiting for a promotion from ${from}`);
            assert.equal(waiting.command, command);
            const result = promote(ROOT, from, stack);
            assert.notEqual(
                result.status,
                "refused",
                `${stack} waits for a promotion that \`${command}\` refuses; fix ${from}'s lock:\n${result.status === "refused" ? render(result.problems) : ""}`,
            );
            if (result.status === "promoted")
                assert.deepEqual(waiting.changes, result.changes.map(formatChange), `the delivery plan and ${command} disagree`);
        }
    });

    it("previews a new environment's stack and deploys it first, under the default enforcement until it has its own", () => {
        const used = STACKS.flatMap((stack) => configOf(stack).regions.map((region) => region.ciliumClusterId));
        rewrite(
            "staging",
            (doc) => {
                doc.setIn(["config", "platform:environment"], "dev");
                doc.setIn(["config", "platform:regions", 0, "vpcCidr"], "10.60.0.0/16");
                doc.setIn(["config", "platform:regions", 0, "ciliumClusterId"], Math.max(...used) + 1);
            },
            "dev",
        );
        const plan = deliveryPlan(scratch.dir);
        const dev = plan.all.find((e) => e.stack === "dev");
        assert.ok(dev, "dev is previewed on pull requests");
        assert.ok(
            plan.first.some((e) => e.stack === "dev"),
            "dev takes its lock from no other stack: it deploys in the first stage",
        );
        assert.equal(dev.policyPackConfig, `${POLICY_PACK}/config.default.json`);
        for (const entry of plan.all.filter((e) => e.stack !== "dev"))
            assert.equal(entry.policyPackConfig, `${POLICY_PACK}/config.${entry.environment}.json`, entry.stack);
        writeFileSync(path.join(scratch.dir, POLICY_PACK, "config.dev.json"), "{}");
        assert.equal(deliveryPlan(scratch.dir).all.find((e) => e.stack === "dev")?.policyPackConfig, `${POLICY_PACK}/config.dev.json`);
    });

    it("sends each stack's jobs to the runner of its runner region, with the roles its clusters admit", () => {
        for (const entry of deliveryPlan(ROOT).all) {
            const config = configOf(entry.stack);
            const region = config.regions.find((r) => r.region === config.pipeline.runnerRegion);
            assert.equal(entry.runner, region?.names.runnerProject);
            assert.equal(entry.runnerRegion, config.pipeline.runnerRegion);
            assert.equal(entry.deployRole, config.cluster.access.deployRole);
            assert.equal(entry.previewRole, config.cluster.access.previewRole);
        }
        // Another region's runner takes over when the stack file says so.
        const regions = (settingsOf("prod").regions as Array<{ region: string }>).map((r) => r.region);
        rewrite("prod", (doc) => doc.setIn(["config", "platform:pipeline", "runnerRegion"], regions[1]));
        const prod = deliveryPlan(scratch.dir).all.find((e) => e.stack === "prod");
        assert.equal(prod?.runnerRegion, regions[1]);
        assert.match(String(prod?.runner), new RegExp(`-${regions[1]}-pipeline$`));
    });

    it("leaves a stack in bootstrap mode to its operator, and holds back what is promoted from it", () => {
        rewrite("staging", (doc) => doc.setIn(["config", "platform:pipeline", "bootstrap"], true));
        const plan = deliveryPlan(scratch.dir);
        assert.deepEqual(
            plan.bootstrapping.map((e) => e.stack),
            ["staging"],
        );
        assert.ok(!plan.all.some((e) => e.stack === "staging"), "no preview of a stack without runners");
        assert.ok(!plan.first.some((e) => e.stack === "staging"), "no deploy of a stack without runners");
        assert.deepEqual(
            plan.waiting.map((w) => [w.stack, w.changes.join(), w.command]),
            [["prod", "staging is in bootstrap mode: it deploys no lock yet", undefined]],
        );
    });

    it("refuses a stack without the roles CI assumes", () => {
        rewrite("staging", (doc) => doc.deleteIn(["config", "platform:cluster", "access", "previewRole"]));
        assert.throws(() => deliveryPlan(scratch.dir), /staging: cluster\.access\.previewRole is required/);
    });

    it("holds prod back, saying what a promotion would change, once staging's lock moves", () => {
        const cilium = scratch.config("staging").versions.charts.cilium;
        rewrite("staging", (doc) => doc.setIn(["config", "platform:versions", "charts", "cilium"], bump(cilium)));
        const plan = deliveryPlan(scratch.dir);
        assert.deepEqual(plan.promoted, []);
        assert.deepEqual(
            plan.waiting.map((w) => [w.stack, w.from, w.changes, w.command]),
            [["prod", "staging", [`charts.cilium: ${cilium} -> ${bump(cilium)}`], promoteCommandFor("staging", "prod")]],
        );
    });

    it("runs a fleet split into one stack per region, each promoted and deployed on its own", () => {
        const names = splitProd();
        const plan = deliveryPlan(scratch.dir);
        assert.deepEqual(plan.promoted.map((e) => e.stack).sort(), [...names].sort());
        assert.ok(plan.promoted.every((e) => e.environment === "prod"));

        const cilium = bump(scratch.config("staging").versions.charts.cilium);
        rewrite("staging", (doc) => doc.setIn(["config", "platform:versions", "charts", "cilium"], cilium));
        for (const name of names) {
            const result = promote(scratch.dir, "staging", name);
            assert.equal(result.status, "promoted", name);
            if (result.status === "promoted") scratch.edit(name, () => result.text);
        }
        assert.deepEqual(
            deliveryPlan(scratch.dir)
                .promoted.map((e) => e.stack)
                .sort(),
            [...names].sort(),
        );
    });

    it("refuses a fleet whose stacks of one environment pin different locks, or share a cluster or a Cilium ID", () => {
        const names = splitProd();
        rewrite(names[1], (doc) =>
            doc.setIn(["config", "platform:versions", "charts", "velero"], bump(scratch.config("prod").versions.charts.velero)),
        );
        rewrite(names[0], (doc) =>
            doc.setIn(["config", "platform:regions", 0, "ciliumClusterId"], settingsOf("staging").regions[0].ciliumClusterId),
        );
        assert.throws(
            () => deliveryPlan(scratch.dir),
            (error: Error) => {
                assert.match(error.message, new RegExp(`${names[1]}: its lock differs from prod's, a stack of the same environment prod`));
                assert.match(error.message, /(staging|prod) us-east-1: ciliumClusterId \d+ is also (prod|staging) us-east-1's/);
                return true;
            },
        );
        const config = (stack: string) => {
            const input = readStackConfig(scratch.dir, stack);
            return resolveStackConfig({ project: input.project, stack, config: input.config, isSecret: () => true });
        };
        assert.match(fleetProblems([config("prod"), config("prod")]).join("\n"), /cluster .* is also prod/);
    });

    it("refuses a promotion chain longer than the two stages deploy.yml runs", () => {
        rewrite(
            "prod",
            (doc) => {
                doc.setIn(["config", "platform:promotion", "from"], "prod");
                doc.setIn(["config", "platform:environment"], "canary");
                doc.setIn(["config", "platform:regions", 0, "ciliumClusterId"], 99);
                doc.setIn(["config", "platform:regions", 1, "ciliumClusterId"], 98);
            },
            "canary",
        );
        assert.throws(() => deliveryPlan(scratch.dir), /canary: prod is itself promoted from staging/);
    });
});
