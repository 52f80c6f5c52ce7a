// What the plan tells a reviewer beyond the tree: the difference between two stacks, the monthly
// cost, the duration of a first `pulumi up` and its critical path, and the diagram.
import * as assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { resolveStackConfig, type StackConfig } from "../../stacks/config/config";
import { estimateCost, renderCost } from "../../stacks/plan/cost";
import { fallbacksOf } from "../../stacks/config/fields/nodes";
import { createSeconds, estimateRegion, minutes, schedule } from "../../stacks/plan/deploytime";
import { renderDiagram } from "../../stacks/plan/diagram";
import { settingsDiff } from "../../stacks/plan/diff";
import { type Evaluation, evaluate } from "../../stacks/plan/offline";
import { type RecordedResource, resourcesByRegion, waitsFor } from "../../stacks/plan/resources";
import { readStackConfig } from "../../stacks/plan/stack-input";
import { REGION_PRICES, HOURS_PER_MONTH } from "../../stacks/plan/prices";
import { DIAGRAM_DIR } from "../../stacks/plan/plan";
import { ENTRY, ROOT, STACKS, type Settings, evaluated, inputs, rawConfig, recorded, settingsOf } from "../fixtures";

const configOf = (settings: Settings, stack: string): StackConfig => resolveStackConfig(rawConfig(settings, { stack }));

/** Replaces every occurrence of `from` in the string values of `value`. */
function substitute(value: unknown, from: RegExp, to: string): unknown {
    if (typeof value === "string") return value.replace(from, to);
    if (Array.isArray(value)) return value.map((item) => substitute(item, from, to));
    if (value !== null && typeof value === "object")
        return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substitute(v, from, to)]));
    return value;
}

describe("environment diff", () => {
    it("finds nothing between a stack and itself", () => {
        const config = configOf(settingsOf("prod"), "prod");
        assert.deepEqual(settingsDiff(config, config).differences, []);
    });

    it("lists exactly the settings changed, and no renaming of environment, account or region", () => {
        const base = settingsOf("staging");
        // Another environment in another account: every name and ARN differs, nothing else.
        const renamed = substitute(substitute(structuredClone(base), /staging/g, "qa"), /\d{12}/g, "999988887777") as Settings;
        assert.notDeepEqual(renamed.secrets, base.secrets);
        renamed.nodeGroups.general.maxSize = base.nodeGroups.general.maxSize + 4;
        renamed.policies.requireProbes = base.policies.requireProbes === "Audit" ? "Enforce" : "Audit";
        renamed.regions[0].vpcCidr = "10.99.0.0/16";
        const diff = settingsDiff(configOf(base, "staging"), configOf(renamed, "qa"));
        assert.deepEqual(diff.differences.map((d) => `${d.scope} ${d.path} ${JSON.stringify(d.from)} -> ${JSON.stringify(d.to)}`).sort(), [
            `every region nodeGroups.general.maxSize ${base.nodeGroups.general.maxSize} -> ${base.nodeGroups.general.maxSize + 4}`,
            `every region policies.requireProbes "${base.policies.requireProbes}" -> "${renamed.policies.requireProbes}"`,
            `${base.regions[0].region} vpcCidr "${base.regions[0].vpcCidr}" -> "10.99.0.0/16"`,
        ]);
        assert.ok(diff.substitutions > 5, `${diff.substitutions} renamed values were recognised as such`);
    });

    it("between staging and prod, reports each differing setting with each file's value", () => {
        const [staging, prod] = [configOf(settingsOf("staging"), "staging"), configOf(settingsOf("prod"), "prod")];
        const diff = settingsDiff(staging, prod);
        const valueAt = (config: StackConfig, scope: string, pathText: string) => {
            const root = scope === "every region" ? config.settings : config.settings.regions.find((r) => r.region === scope);
            // formatPath's syntax: dotted keys, [index], and ["key"] for keys with dots or spaces.
            const segments = [...pathText.matchAll(/\["([^"]+)"\]|\[(\d+)\]|([^.[\]]+)/g)].map((m) => m[1] ?? m[2] ?? m[3]);
            return segments.reduce<unknown>((node, key) => (node as Record<string, unknown> | undefined)?.[key], root);
        };
        for (const d of diff.differences) {
            assert.deepEqual(d.from, valueAt(staging, d.scope, d.path), `${d.scope} ${d.path} (staging)`);
            assert.deepEqual(d.to, valueAt(prod, d.scope, d.path), `${d.scope} ${d.path} (prod)`);
        }
        const paths = diff.differences.map((d) => d.path);
        for (const group of ["system", "general", "memory"]) {
            const [a, b] = [
                staging.settings.nodeGroups[group as "system"].desiredSize,
                prod.settings.nodeGroups[group as "system"].desiredSize,
            ];
            assert.equal(paths.includes(`nodeGroups.${group}.desiredSize`), a !== b, group);
        }
        assert.deepEqual(
            diff.onlyIn,
            new Map(prod.regions.filter((r) => !staging.regions.some((s) => s.region === r.region)).map((r) => [r.region, "to"])),
        );
    });
});

describe("cost estimate", () => {
    const evaluations = new Map<string, Evaluation>();
    before(async () => {
        for (const stack of STACKS) evaluations.set(stack, await evaluated(stack));
    });
    const costOf = (evaluation: Evaluation) => estimateCost(resourcesByRegion(evaluation.resources));

    it("prices every line, and the lines sum to the total", () => {
        for (const [stack, evaluation] of evaluations) {
            const estimate = costOf(evaluation);
            const cents = (n: number) => Math.round(n * 100);
            assert.equal(
                estimate.lines.reduce((sum, line) => sum + cents(line.monthly), 0),
                cents(estimate.total),
                stack,
            );
            assert.equal(
                estimate.lines.reduce((sum, line) => sum + cents(line.onDemandMonthly), 0),
                cents(estimate.allOnDemand),
                stack,
            );
            const spot = estimate.lines.filter((line) => /Spot at/.test(line.basis));
            assert.ok(
                spot.every((line) => line.monthly < line.onDemandMonthly),
                `${stack}: Spot lines are cheaper than on-demand`,
            );
            const text = renderCost(estimate).join("\n");
            assert.match(text, /assumes AWS list prices of \d{4}-\d{2}/);
            assert.match(text, /20% of their CPU limit/);
            // Whatever the table lacks is named, and the total says it leaves it out.
            for (const item of estimate.missing) assert.ok(text.includes(`NOT PRICED: ${item}`), item);
            assert.equal(/INCOMPLETE/.test(text), estimate.missing.length > 0, `${stack}: the total says whether it is complete`);
        }
    });

    /** Staging with arm64, GPU and unpriceable pools, and its own estimate settings: evaluated once, priced twice. */
    let withPools: Promise<{ settings: Settings; evaluation: Evaluation }> | undefined;
    const poolsEvaluation = () =>
        (withPools ??= (async () => {
            const settings = structuredClone(settingsOf("staging"));
            settings.karpenter.estimate = { utilisation: 0.25, spotShortfall: 0.1 };
            Object.assign(settings.karpenter.pools, {
                gpu: {
                    capacityType: "on-demand",
                    categories: ["g"],
                    minFamilies: 2,
                    sizes: ["xlarge", "2xlarge"],
                    limits: { cpu: 32, memoryGiB: 128 },
                },
                graviton: {
                    capacityType: "spot",
                    architectures: ["arm64"],
                    categories: ["c", "m", "r"],
                    minFamilies: 2,
                    limits: { cpu: 40, memoryGiB: 160 },
                    weight: 50,
                },
                zeta: {
                    capacityType: "spot",
                    architectures: ["arm64"],
                    categories: ["z"],
                    minFamilies: 2,
                    limits: { cpu: 8, memoryGiB: 64 },
                    weight: 50,
                },
            });
            const input = readStackConfig(ROOT, "staging", { "platform:karpenter": settings.karpenter });
            return { settings, evaluation: await evaluate(ENTRY, "staging", input) };
        })());

    it("prices an on-demand fallback pool at the spot shortfall the stack file assumes, not at its limit", async () => {
        const { settings, evaluation } = await poolsEvaluation();
        const config = configOf(settings, "staging");
        const estimate = estimateCost(resourcesByRegion(evaluation.resources), undefined, config.karpenter.estimate);
        const pools = config.karpenter.pools;
        const fallbacks = fallbacksOf(Object.entries(pools));
        assert.ok(fallbacks.size > 0, "staging has a fallback pool");
        for (const [fallback, backed] of fallbacks) {
            const line = estimate.lines.find((l) => l.item === `Karpenter pool ${fallback}`) as { onDemandMonthly: number; basis: string };
            const spotVcpus = backed.reduce((sum, spot) => sum + pools[spot].limits.cpu * 0.25, 0);
            const vcpus = Math.min(pools[fallback].limits.cpu, spotVcpus * 0.1);
            const shown = (n: number) => Number(n.toFixed(2));
            const [, names, usage] = /^fallback for ([^:]+): (.*)$/.exec(line.basis) ?? [];
            assert.deepEqual(names?.split(", ").sort(), [...backed].sort(), line.basis);
            assert.ok(usage?.startsWith(`10% of spot's ${shown(spotVcpus)} vCPU = ${shown(vcpus)} vCPU`), line.basis);
            // Its usage, not its limit, is what it is priced at (the unit price is shown to five decimals).
            const perVcpuMonth = Number(/x \$([\d.]+)\/vCPU-h/.exec(line.basis)?.[1]) * HOURS_PER_MONTH;
            assert.ok(Math.abs(line.onDemandMonthly - vcpus * perVcpuMonth) <= 0.001 * line.onDemandMonthly, fallback);
            assert.ok(line.onDemandMonthly < pools[fallback].limits.cpu * 0.25 * perVcpuMonth, fallback);
        }
        assert.match(renderCost(estimate).join("\n"), /run only the 10% of their spot pools' capacity that spot cannot provide/);
    });

    it("prices arm64 and GPU pools at their own reference types, and names what it cannot price in the total", async () => {
        const { settings, evaluation } = await poolsEvaluation();
        // At the default assumptions (20% of each limit), not the stack file's.
        const estimate = estimateCost(resourcesByRegion(evaluation.resources));
        const region = settings.regions[0].region as string;
        const prices = REGION_PRICES[region].instances;
        const line = (pool: string) => estimate.lines.find((l) => l.item === `Karpenter pool ${pool}`);
        const graviton = ((prices["c7g.xlarge"] + prices["m7g.xlarge"] + prices["r7g.xlarge"]) / 3 / 4) * 40 * 0.2 * HOURS_PER_MONTH;
        assert.ok(Math.abs((line("graviton")?.onDemandMonthly ?? 0) - graviton) < 0.01, line("graviton")?.basis);
        assert.ok(Math.abs((line("gpu")?.onDemandMonthly ?? 0) - (prices["g6.xlarge"] / 4) * 32 * 0.2 * HOURS_PER_MONTH) < 0.01);
        // No Graviton z family: said so, left out of the total, and the total says it is incomplete.
        assert.equal(line("zeta"), undefined);
        assert.deepEqual(estimate.missing, [`${region} category z on arm64 (Karpenter pool zeta)`]);
        assert.match(renderCost(estimate).join("\n"), /INCOMPLETE: without the 1 item\(s\) NOT PRICED below/);
    });

    it("follows a node group's desired size in the stack file", async () => {
        const settings = settingsOf("staging");
        const grown = structuredClone(settings.nodeGroups);
        grown.general.desiredSize += 2;
        grown.general.maxSize = Math.max(grown.general.maxSize, grown.general.desiredSize);
        const input = readStackConfig(ROOT, "staging", { "platform:nodeGroups": grown });
        const [before, after] = [costOf(evaluations.get("staging") as Evaluation), costOf(await evaluate(ENTRY, "staging", input))];
        const region = settings.regions[0].region as string;
        const price = REGION_PRICES[region].instances[grown.general.instanceTypes[0]];
        const line = (estimate: ReturnType<typeof costOf>) =>
            estimate.lines.find((l) => l.item.endsWith("-general")) as { monthly: number };
        // Lines are rounded to cents, so the difference may be off by one.
        assert.ok(Math.abs(line(after).monthly - line(before).monthly - 2 * price * HOURS_PER_MONTH) <= 0.01);
        assert.ok(after.total > before.total);
    });

    it("names what it cannot price instead of guessing", () => {
        const [region, resources] = [...resourcesByRegion((evaluations.get("staging") as Evaluation).resources)][0];
        const elsewhere = estimateCost(new Map([["ap-southeast-7", resources]]));
        assert.deepEqual(elsewhere.missing, ["ap-southeast-7 (no prices for the region)"]);
        assert.equal(elsewhere.total, 0);
        assert.ok(region in REGION_PRICES);
    });
});

describe("deploy-time estimate", () => {
    const resource = (name: string, seconds: string, dependencies: string[] = [], parent = ""): RecordedResource =>
        recorded({ urn: name, type: "aws:ec2/natGateway:NatGateway", name, parent, custom: seconds !== "component", dependencies });

    it("starts each resource when all it waits for is done, components included", () => {
        const nat = createSeconds(resource("x", "custom"));
        const plan = schedule([
            resource("a", "custom"),
            resource("group", "component"),
            resource("b", "custom", ["a"], "group"),
            resource("c", "custom", ["group"]),
            resource("d", "custom"),
        ]);
        assert.deepEqual(
            [...plan.steps.values()].map((s) => `${s.resource.name} ${s.start}-${s.finish}`),
            [`a 0-${nat}`, `b ${nat}-${2 * nat}`, `c ${2 * nat}-${3 * nat}`, `d 0-${nat}`],
        );
        assert.equal(plan.total, 3 * nat);
        assert.deepEqual(
            plan.criticalPath.map((s) => s.resource.name),
            ["a", "b", "c"],
        );
    });

    for (const stack of STACKS) {
        it(`${stack}: the critical path is a chain of real resources, each waiting for the one before`, async () => {
            const evaluation = await evaluated(stack);
            const config = configOf(settingsOf(stack), stack);
            const byUrn = new Map(evaluation.resources.map((r) => [r.urn, r]));
            const contains = (container: string, urn: string): boolean => {
                for (let current = byUrn.get(urn); current; current = byUrn.get(current.parent)) if (current.urn === container) return true;
                return false;
            };
            for (const region of config.regions) {
                const estimate = estimateRegion(
                    region.region,
                    resourcesByRegion(evaluation.resources).get(region.region) ?? [],
                    region.names.nodeGroups.system,
                );
                const path = estimate.criticalPath;
                assert.equal(path[0].start, 0);
                assert.equal(path[path.length - 1].finish, estimate.total);
                for (let i = 1; i < path.length; i++) {
                    const [before, after] = [path[i - 1], path[i]];
                    assert.ok(byUrn.get(after.resource.urn) === after.resource, "a recorded resource");
                    assert.ok(
                        waitsFor(after.resource).some((urn) => urn === before.resource.urn || contains(urn, before.resource.urn)),
                        `${after.resource.name} waits for ${before.resource.name}`,
                    );
                    assert.equal(after.start, before.finish);
                }
                assert.ok(
                    path.some((s) => s.resource.type === "eks:index:Cluster"),
                    "the control plane is on the path",
                );
            }
        });

        it(`${stack}: a fresh region is within 10% of the floor (control plane + system nodes + slowest add-on)`, async () => {
            const evaluation = await evaluated(stack);
            const config = configOf(settingsOf(stack), stack);
            for (const region of config.regions) {
                const estimate = estimateRegion(
                    region.region,
                    resourcesByRegion(evaluation.resources).get(region.region) ?? [],
                    region.names.nodeGroups.system,
                );
                assert.equal(estimate.floor.systemNodes.resource.inputs.nodeGroupName, region.names.nodeGroups.system);
                assert.ok(
                    estimate.total <= estimate.floor.seconds * 1.1,
                    `${region.region}: ${estimate.total} s against a floor of ${estimate.floor.seconds} s`,
                );
            }
        });
    }
});

describe("README on plan insights", () => {
    it("states the first-deploy estimate and floor of a prod region that the plan computes", async () => {
        const evaluation = await evaluated("prod");
        const config = configOf(settingsOf("prod"), "prod");
        const region = config.regions[0];
        const estimate = estimateRegion(
            region.region,
            resourcesByRegion(evaluation.resources).get(region.region) ?? [],
            region.names.nodeGroups.system,
        );
        const readme = readFileSync(path.join(ROOT, "README.md"), "utf8").replace(/\s+/g, " ");
        assert.ok(
            readme.includes(`A prod region comes to ${minutes(estimate.total)} against a floor of ${minutes(estimate.floor.seconds)}`),
            "README states the current estimate",
        );
        // Links point at diagrams that exist; a new stack needs its diagram, not a README edit.
        const links = [...readme.matchAll(/\((stacks\/plan\/diagrams\/[\w-]+\.md)\)/g)].map((m) => m[1]);
        assert.ok(links.length > 0, "README links the diagrams");
        for (const link of links) assert.ok(existsSync(path.join(ROOT, link)), `README links ${link}, which does not exist`);
    });
});

describe("diagram", () => {
    for (const stack of STACKS) {
        it(`${stack}: the committed diagram is the one the plan draws`, async () => {
            const evaluation = await evaluated(stack);
            const committed = readFileSync(path.join(ROOT, DIAGRAM_DIR, `${stack}.md`), "utf8");
            assert.equal(
                renderDiagram(configOf(settingsOf(stack), stack), evaluation),
                committed,
                `${DIAGRAM_DIR}/${stack}.md is out of date: run npm run plan -- --diagram and commit it`,
            );
        });
    }

    it("stays the same when the lock moves, so that a version bump changes only the stack file", async () => {
        const evaluation = await evaluated("staging");
        const config = configOf(settingsOf("staging"), "staging");
        const bumped = evaluation.resources.map((r) =>
            r.type === "kubernetes:helm.sh/v3:Release" || r.type === "eks:index:Cluster"
                ? { ...r, inputs: { ...inputs(r), version: `${String(inputs(r).version)}-next` } }
                : r,
        );
        assert.ok(bumped.some((r, i) => r !== evaluation.resources[i]));
        assert.equal(
            renderDiagram(config, { ...evaluation, resources: bumped }),
            renderDiagram(config, evaluation),
            "a version in the diagram: keep versions in the plan's version lock, not in boxes",
        );
    });

    it("draws each region with its cluster, node groups, pools and add-ons, and the copies of backups", async () => {
        const evaluation = await evaluated("prod");
        const config = configOf(settingsOf("prod"), "prod");
        const text = renderDiagram(config, evaluation);
        assert.match(text, /^```mermaid\nflowchart LR$/m);
        for (const region of config.regions) {
            assert.ok(text.includes(`["${region.region}: ${region.names.cluster}"]`));
            for (const group of Object.values(region.names.nodeGroups)) assert.ok(text.includes(`node group ${group.split("-").pop()}`));
            for (const pool of Object.keys(config.karpenter.pools)) assert.ok(text.includes(`pool ${pool}`));
            const id = region.region.replace(/-/g, "_");
            assert.match(
                text,
                new RegExp(`${id}_Cilium --> ${id}_${region.names.nodeGroups.system.replace(/-/g, "_")}`),
                "nodes wait for Cilium",
            );
        }
        assert.equal((text.match(/-\. backups copied \.->/g) ?? []).length, config.backups.crossRegion ? config.regions.length : 0);
    });
});
