// Promotion of the version lock from stack to stack, the gate that keeps prod from getting ahead
// of staging, and the deploy-time checks against what is already running.
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { parseDocument } from "yaml";
import { KUBERNETES_SUPPORT } from "../../stacks/config/catalog";
import { StackConfigError, resolveStackConfig, type StackConfig } from "../../stacks/config/config";
import { type DeployedState, deploymentProblems, promotionProblems, upgradeProblems } from "../../stacks/delivery/gates";
import { aheadOf, compareVersions, kubernetesMinor, kubernetesStep, lockChanges } from "../../stacks/config/lock";
import { EvaluationError, evaluate } from "../../stacks/plan/offline";
import { readStackConfig } from "../../stacks/plan/stack-input";
import { deliveryPlan, fleetProblems } from "../../stacks/delivery/delivery";
import { promote } from "../../stacks/delivery/promote";
import type { VersionLock } from "../../stacks/config/schema";
import { ENTRY, ROOT, STACKS, problems, rawConfig, render, settingsOf } from "../fixtures";

const configOf = (stack: string): StackConfig => resolveStackConfig(rawConfig(settingsOf(stack), { stack }));

/** The next patch (or build) of a version: the last number in it, plus one. */
const bump = (version: string): string => version.replace(/(\d+)(?!.*\d)/, (n) => String(Number(n) + 1));

/** Stacks whose stack file names another as the source of its lock. */
const promotions = STACKS.map((stack) => ({ stack, from: configOf(stack).promotion.from })).filter(
    (p): p is { stack: (typeof STACKS)[number]; from: string } => p.from !== undefined,
);

describe("version lock", () => {
    it("orders versions numerically, per entry kind, and refuses to order what differs in kind", () => {
        assert.ok((compareVersions("1.9.0", "1.10.0") as number) < 0);
        assert.ok((compareVersions("v1.14.3-eksbuild.10", "v1.14.3-eksbuild.9") as number) > 0);
        assert.ok((compareVersions("1.35.6-20260714", "1.35.6-20260601") as number) > 0);
        assert.ok((compareVersions("velero/velero-plugin-for-aws:v1.14.0", "velero/velero-plugin-for-aws:v1.13.2") as number) > 0);
        assert.equal(compareVersions("1.35", "1.35"), 0);
        assert.equal(compareVersions("velero/velero-plugin-for-aws:v1.14.0", "example/velero-plugin-for-aws:v1.14.0"), undefined);
        assert.equal(compareVersions("1.2.3", "1.2.3-rc.1"), undefined);
        assert.equal(compareVersions("alpine/k8s@sha256:" + "a".repeat(64), "alpine/k8s@sha256:" + "b".repeat(64)), undefined);
    });

    it("lists what a promotion changes, entry by entry", () => {
        const lock = configOf("staging").versions;
        const next = structuredClone(lock) as { charts: Record<string, string>; addons: Record<string, string> };
        next.charts.cilium = bump(lock.charts.cilium);
        next.addons.coredns = bump(lock.addons.coredns);
        assert.deepEqual(lockChanges(lock, next as VersionLock), [
            { path: "charts.cilium", from: lock.charts.cilium, to: next.charts.cilium },
            { path: "addons.coredns", from: lock.addons.coredns, to: next.addons.coredns },
        ]);
        assert.deepEqual(lockChanges(lock, lock), []);
    });

    it("moves Kubernetes one minor at a time, never backwards", () => {
        assert.equal(kubernetesStep("1.34", "1.34"), undefined);
        assert.equal(kubernetesStep("1.34", "1.35"), undefined);
        assert.match(kubernetesStep("1.33", "1.35") as string, /skips 1 minor\(s\) from 1\.33.*1\.33 -> 1\.34 first/);
        assert.match(kubernetesStep("1.35", "1.34") as string, /downgrade/);
    });
});

describe("the promotion gate (CI): no stack pins what its source stack does not run", () => {
    it("has prod promoted from staging", () => {
        assert.deepEqual(
            promotions.map((p) => `${p.from} -> ${p.stack}`),
            ["staging -> prod"],
        );
    });

    for (const { stack, from } of promotions) {
        it(`${stack} is never ahead of ${from}`, () => {
            const problems = aheadOf({ name: from, lock: configOf(from).versions }, { name: stack, lock: configOf(stack).versions });
            assert.deepEqual(problems, [], render(problems));
        });

        it(`${from} leads ${stack} by at most one Kubernetes minor, so the next promotion skips none`, () => {
            const step = kubernetesStep(configOf(stack).versions.kubernetes, configOf(from).versions.kubernetes);
            assert.equal(step, undefined, step);
        });
    }

    it("fails when prod pins a newer version, or one it cannot order, or one staging lacks", () => {
        const staging = configOf("staging").versions;
        const prod = structuredClone(configOf("prod").versions) as VersionLock & {
            charts: Record<string, string>;
            images: Record<string, string>;
        };
        prod.charts.karpenter = bump(staging.charts.karpenter);
        prod.images.restoreDrill = `example.com/other:${staging.images.restoreDrill.split(":").pop()}`;
        prod.bottlerocketRelease = "1.49.0";
        const found = aheadOf({ name: "staging", lock: staging }, { name: "prod", lock: prod });
        assert.deepEqual(found.map((p) => p.path).sort(), [
            "versions.bottlerocketRelease",
            "versions.charts.karpenter",
            "versions.images.restoreDrill",
        ]);
        assert.match(render(found), /versions\.charts\.karpenter: ".+" in prod is ahead of ".+" in staging/);
    });

    it("lets prod lag behind staging while a promotion is pending", () => {
        const prod = configOf("prod").versions;
        const staging = structuredClone(prod) as { charts: Record<string, string> };
        staging.charts.cilium = bump(prod.charts.cilium);
        assert.deepEqual(aheadOf({ name: "staging", lock: staging as VersionLock }, { name: "prod", lock: prod }), []);
    });
});

describe("compatibility of the lock", () => {
    const karpenter = KUBERNETES_SUPPORT.karpenter as NonNullable<typeof KUBERNETES_SUPPORT.karpenter>;

    it("refuses a Karpenter release that does not support the locked Kubernetes minor", () => {
        const kubernetes = settingsOf("prod").versions.kubernetes as string;
        const [line, range] =
            Object.entries(karpenter.releases).find(([, r]) => kubernetesMinor(r.max) < kubernetesMinor(kubernetes)) ?? [];
        assert.ok(line && range, "the table has a release too old for the locked Kubernetes");
        const found = problems("prod", (s) => (s.versions.charts.karpenter = `${line}.0`));
        assert.match(
            render(found),
            new RegExp(
                `versions\\.charts\\.karpenter: "${line}\\.0" supports Kubernetes ${range.min}\\.\\.${range.max}, not ${kubernetes}`,
            ),
        );
    });

    it("refuses a Karpenter release line the table does not know", () => {
        const found = problems("prod", (s) => (s.versions.charts.karpenter = "9.99.0"));
        assert.match(
            render(found),
            /versions\.charts\.karpenter: "9\.99\.0": release line 9\.99 is not in the platform's compatibility table/,
        );
    });

    it("accepts every committed lock", () => {
        for (const stack of STACKS)
            assert.deepEqual(
                problems(stack, () => undefined),
                [],
            );
    });

    it("refuses a stack promoted from itself", () => {
        const found = problems("prod", (s) => (s.promotion.from = "prod"), { stack: "prod" });
        assert.match(render(found), /promotion\.from: "prod" is this stack/);
    });
});

describe("npm run promote", () => {
    let scratch: string;
    const file = (stack: string) => path.join(scratch, `Pulumi.${stack}.yaml`);
    const edit = (stack: string, change: (text: string) => string) => writeFileSync(file(stack), change(readFileSync(file(stack), "utf8")));
    /** Replaces `key: value` on the first line that has it. */
    const setLine = (key: string, value: string) => (text: string) => text.replace(new RegExp(`^(\\s*${key}: ).*$`, "m"), `$1${value}`);

    beforeEach(() => {
        scratch = mkdtempSync(path.join(tmpdir(), "promote-"));
        for (const name of ["Pulumi.yaml", "Pulumi.staging.yaml", "Pulumi.prod.yaml"])
            copyFileSync(path.join(ROOT, name), path.join(scratch, name));
    });
    afterEach(() => rmSync(scratch, { recursive: true, force: true }));

    it("copies staging's lock into prod and changes nothing else in the file, comments and secrets included", () => {
        const staging = configOf("staging").versions;
        const [cilium, coredns] = [bump(staging.charts.cilium), bump(staging.addons.coredns)];
        edit("staging", (text) => setLine("coredns", coredns)(setLine("cilium", cilium)(text)));
        // A secret and a comment of prod's own must survive.
        edit("prod", (text) => `${text}  other:apiKey:\n    secure: v1:AAAABBBBCCCC\n# prod's trailing comment\n`);
        const before = readFileSync(file("prod"), "utf8");

        const result = promote(scratch, "staging", "prod");
        assert.equal(result.status, "promoted");
        if (result.status !== "promoted") return;
        assert.deepEqual(
            result.changes.map((c) => `${c.path} ${c.from} ${c.to}`),
            [`charts.cilium ${staging.charts.cilium} ${cilium}`, `addons.coredns ${staging.addons.coredns} ${coredns}`],
        );
        const [old, now] = [before.split("\n"), result.text.split("\n")];
        assert.equal(now.length, old.length);
        const changed = now.flatMap((line, i) => (line === old[i] ? [] : [`${old[i].trim()} => ${line.trim()}`]));
        assert.deepEqual(changed, [
            `cilium: ${staging.charts.cilium} => cilium: ${cilium}`,
            `coredns: ${staging.addons.coredns} => coredns: ${coredns}`,
        ]);
    });

    it("does nothing when prod already runs staging's lock", () => {
        assert.deepEqual(promote(scratch, "staging", "prod"), { status: "unchanged" });
    });

    it("refuses a lock that skips a Kubernetes minor relative to prod", () => {
        const prod = configOf("prod").versions;
        const older = `1.${kubernetesMinor(prod.kubernetes) - 2}`;
        edit("prod", (text) =>
            setLine("nodeAmiRelease", prod.nodeAmiRelease.replace(prod.kubernetes, older))(setLine("kubernetes", `"${older}"`)(text)),
        );
        const result = promote(scratch, "staging", "prod");
        assert.equal(result.status, "refused");
        if (result.status === "refused")
            assert.match(
                render(result.problems),
                new RegExp(`prod: versions\\.kubernetes: "${prod.kubernetes}" skips 1 minor\\(s\\) from ${older}`),
            );
    });

    it("refuses a lock the target stack file does not validate with", () => {
        // A Bottlerocket node class in prod needs a Bottlerocket release, which staging's lock lacks.
        edit("prod", (text) => text.replace(/^(\s+)os: al2023$/m, "$1os: bottlerocket"));
        edit("staging", setLine("cilium", bump(configOf("staging").versions.charts.cilium)));
        const before = readFileSync(file("prod"), "utf8");
        const result = promote(scratch, "staging", "prod");
        assert.equal(result.status, "refused");
        if (result.status === "refused")
            assert.match(
                render(result.problems),
                /prod: karpenter\.nodeClasses\.default\.os: "bottlerocket" needs versions\.bottlerocketRelease/,
            );
        assert.equal(readFileSync(file("prod"), "utf8"), before);
    });

    it("refuses a source lock that does not validate", () => {
        edit("staging", setLine("karpenter", "9.99.0"));
        const result = promote(scratch, "staging", "prod");
        assert.equal(result.status, "refused");
        if (result.status === "refused") assert.match(render(result.problems), /staging: versions\.charts\.karpenter: "9\.99\.0"/);
    });

    it("refuses to promote against the declared direction", () => {
        const result = promote(scratch, "prod", "staging");
        assert.equal(result.status, "refused");
        if (result.status === "refused")
            assert.match(render(result.problems), /staging: promotion\.from: staging takes its lock from no stack/);
    });

    it("from the command line, --check exits 0 when the committed files agree", () => {
        const run = spawnSync(
            process.execPath,
            [path.join(__dirname, "..", "..", "stacks", "delivery", "promote.js"), "staging", "prod", "--check"],
            {
                encoding: "utf8",
            },
        );
        assert.equal(run.status, 0, run.stderr);
        assert.match(run.stdout, /prod already runs staging's lock/);
    });
});

describe("deploy-time gates", () => {
    const lock = configOf("prod").versions;
    const minor = kubernetesMinor(lock.kubernetes);

    it("let an existing cluster stay on its minor or move up one, and refuse anything else", () => {
        const at = (version: string) => [{ region: "us-east-1", name: "c1", version }];
        assert.deepEqual(upgradeProblems(lock, at(lock.kubernetes)), []);
        assert.deepEqual(upgradeProblems(lock, at(`1.${minor - 1}`)), []);
        assert.match(
            render(upgradeProblems(lock, at(`1.${minor - 2}`))),
            /versions\.kubernetes: .* skips 1 minor\(s\).*cluster c1 in us-east-1 runs/,
        );
        assert.match(render(upgradeProblems(lock, at(`1.${minor + 1}`))), /downgrade/);
    });

    it("require the source stack to have deployed exactly this lock", () => {
        assert.deepEqual(promotionProblems(lock, { name: "org/platform/staging", lock }), []);
        const other = structuredClone(lock) as { charts: Record<string, string> };
        other.charts.velero = bump(lock.charts.velero);
        assert.match(
            render(promotionProblems(lock, { name: "org/platform/staging", lock: other as VersionLock })),
            new RegExp(
                `versions: differs from the lock stack org/platform/staging has deployed \\(charts\\.velero: ${other.charts.velero} -> ${lock.charts.velero}\\)`,
            ),
        );
        assert.match(
            render(promotionProblems(lock, { name: "org/platform/staging", lock: undefined })),
            /promotion\.from: stack org\/platform\/staging has no deployed `versions` output/,
        );
    });

    it("ask the source stack only when the stack file requires it, and report every problem at once", async () => {
        const config = configOf("prod");
        const asked: string[] = [];
        const state = (deployed: VersionLock | "unavailable"): DeployedState => ({
            clusters: async () => [{ region: config.regions[0].region, name: config.regions[0].names.cluster, version: `1.${minor - 3}` }],
            deployedLock: async ({ from, stackReference }) => {
                asked.push(stackReference ?? from);
                return deployed === "unavailable" ? deployed : { reference: `org/platform/${from}`, lock: deployed };
            },
        });
        const other = { ...lock, kubernetes: `1.${minor - 1}` } as VersionLock;
        assert.deepEqual(
            (await deploymentProblems(config, state(other))).map((p) => p.path),
            ["versions.kubernetes", "versions"],
        );
        assert.deepEqual(
            (await deploymentProblems(config, state("unavailable"))).map((p) => p.path),
            ["versions.kubernetes"],
        );
        const off = { ...config, promotion: { ...config.promotion, requireDeployedLock: false } };
        asked.length = 0;
        assert.deepEqual(
            (await deploymentProblems(off, state(other))).map((p) => p.path),
            ["versions.kubernetes"],
        );
        assert.deepEqual(asked, []);
    });

    it("stop `pulumi up` before any platform resource when a deployed cluster would skip a minor", async () => {
        const config = configOf("staging");
        const cluster = config.regions[0];
        const input = readStackConfig(ROOT, "staging");
        await assert.rejects(
            evaluate(ENTRY, "staging", input, {
                deployedClusters: { [cluster.region]: { [cluster.names.cluster]: `1.${kubernetesMinor(config.versions.kubernetes) - 2}` } },
            }),
            (error: unknown) => {
                assert.ok(error instanceof EvaluationError);
                assert.ok(error.cause instanceof StackConfigError);
                assert.match(
                    error.message,
                    new RegExp(`versions\\.kubernetes: .*cluster ${cluster.names.cluster} in ${cluster.region} runs`),
                );
                assert.deepEqual([...new Set(error.resources.map((r) => r.type))].sort(), ["pulumi:providers:aws", "pulumi:pulumi:Stack"]);
                return true;
            },
        );
    });

    it("let `pulumi up` upgrade a deployed cluster by one minor", async () => {
        const config = configOf("staging");
        const cluster = config.regions[0];
        const evaluation = await evaluate(ENTRY, "staging", readStackConfig(ROOT, "staging"), {
            deployedClusters: { [cluster.region]: { [cluster.names.cluster]: `1.${kubernetesMinor(config.versions.kubernetes) - 1}` } },
        });
        assert.ok(evaluation.invokes.includes("aws:eks/getCluster:getCluster"));
        assert.ok(evaluation.resources.some((r) => r.type === "eks:index:Cluster"));
    });
});

describe("delivery plan and fleet", () => {
    let scratch: string;
    const file = (stack: string) => path.join(scratch, `Pulumi.${stack}.yaml`);
    /** Rewrites a scratch stack file through the YAML document model (comments survive). */
    const rewrite = (stack: string, change: (doc: ReturnType<typeof parseDocument>) => void, as = stack) => {
        const doc = parseDocument(readFileSync(file(stack), "utf8"));
        change(doc);
        writeFileSync(file(as), doc.toString());
    };
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

    beforeEach(() => {
        scratch = mkdtempSync(path.join(tmpdir(), "delivery-"));
        for (const name of ["Pulumi.yaml", "Pulumi.staging.yaml", "Pulumi.prod.yaml"])
            copyFileSync(path.join(ROOT, name), path.join(scratch, name));
    });
    afterEach(() => rmSync(scratch, { recursive: true, force: true }));

    it("previews every stack, deploys staging first and prod after it while prod holds staging's lock", () => {
        const plan = deliveryPlan(ROOT);
        assert.deepEqual(plan.all.map((e) => e.stack).sort(), [...STACKS].sort());
        assert.deepEqual(
            plan.first.map((e) => e.stack),
            STACKS.filter((s) => !configOf(s).promotion.from),
        );
        assert.deepEqual(
            plan.promoted.map((e) => e.stack),
            promotions.map((p) => p.stack),
        );
        assert.deepEqual(plan.waiting, []);
        for (const entry of plan.all) assert.equal(entry.previewRole, `AWS_PREVIEW_ROLE_${entry.environment.toUpperCase()}`);
    });

    it("holds prod back, saying what a promotion would change, once staging's lock moves", () => {
        const cilium = configOf("staging").versions.charts.cilium;
        rewrite("staging", (doc) => doc.setIn(["config", "platform:versions", "charts", "cilium"], bump(cilium)));
        const plan = deliveryPlan(scratch);
        assert.deepEqual(plan.promoted, []);
        assert.deepEqual(
            plan.waiting.map((w) => [w.stack, w.from, w.changes]),
            [["prod", "staging", [`charts.cilium: ${cilium} -> ${bump(cilium)}`]]],
        );
    });

    it("runs a fleet split into one stack per region, each promoted and deployed on its own", () => {
        const names = splitProd();
        const plan = deliveryPlan(scratch);
        assert.deepEqual(plan.promoted.map((e) => e.stack).sort(), [...names].sort());
        assert.ok(plan.promoted.every((e) => e.environment === "prod"));

        const cilium = bump(configOf("staging").versions.charts.cilium);
        rewrite("staging", (doc) => doc.setIn(["config", "platform:versions", "charts", "cilium"], cilium));
        for (const name of names) {
            const result = promote(scratch, "staging", name);
            assert.equal(result.status, "promoted", name);
            if (result.status === "promoted") writeFileSync(file(name), result.text);
        }
        assert.deepEqual(
            deliveryPlan(scratch)
                .promoted.map((e) => e.stack)
                .sort(),
            [...names].sort(),
        );
    });

    it("refuses a fleet whose stacks of one environment pin different locks, or share a cluster or a Cilium ID", () => {
        const names = splitProd();
        rewrite(names[1], (doc) =>
            doc.setIn(["config", "platform:versions", "charts", "velero"], bump(configOf("prod").versions.charts.velero)),
        );
        rewrite(names[0], (doc) =>
            doc.setIn(["config", "platform:regions", 0, "ciliumClusterId"], settingsOf("staging").regions[0].ciliumClusterId),
        );
        assert.throws(
            () => deliveryPlan(scratch),
            (error: Error) => {
                assert.match(error.message, new RegExp(`${names[1]}: its lock differs from prod's, a stack of the same environment prod`));
                assert.match(error.message, /(staging|prod) us-east-1: ciliumClusterId \d+ is also (prod|staging) us-east-1's/);
                return true;
            },
        );
        const config = (stack: string) => {
            const input = readStackConfig(scratch, stack);
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
        assert.throws(() => deliveryPlan(scratch), /canary: prod is itself promoted from staging/);
    });
});
