// Promotion of the version lock from stack to stack, and the gate that keeps prod from getting
// ahead of staging.
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { KUBERNETES_SUPPORT } from "../../stacks/config/catalog";
import { aheadOf, compareVersions, formatChange, kubernetesMinor, kubernetesStep, lockChanges } from "../../stacks/config/lock";
import { promote } from "../../stacks/delivery/promote";
import type { VersionLock } from "../../stacks/config/schema";
import { problems, render, ROOT, settingsOf, STACKS } from "../fixtures";
import { bump, configOf, promoteCommandFor, promotions, type Scratch, scratchCopy, setLine } from "./harness";

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
    let scratch: Scratch;
    const edit = (stack: string, change: (text: string) => string) => scratch.edit(stack, change);

    // Prod holds staging's lock, as right after a promotion; each test moves from there.
    beforeEach(() => (scratch = scratchCopy({ promoted: true })));
    afterEach(() => scratch.dispose());

    it("copies staging's lock into prod and changes nothing else in the file, comments and secrets included", () => {
        const staging = scratch.config("staging").versions;
        const [cilium, coredns] = [bump(staging.charts.cilium), bump(staging.addons.coredns)];
        edit("staging", (text) => setLine("coredns", coredns)(setLine("cilium", cilium)(text)));
        // A secret and a comment of prod's own must survive.
        edit("prod", (text) => `${text}  other:apiKey:\n    secure: v1:AAAABBBBCCCC\n# prod's trailing comment\n`);
        const before = scratch.read("prod");

        const result = promote(scratch.dir, "staging", "prod");
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
        assert.deepEqual(promote(scratch.dir, "staging", "prod"), { status: "unchanged" });
    });

    it("refuses a lock that skips a Kubernetes minor relative to prod", () => {
        const prod = scratch.config("prod").versions;
        const older = `1.${kubernetesMinor(prod.kubernetes) - 2}`;
        edit("prod", (text) =>
            setLine("nodeAmiRelease", prod.nodeAmiRelease.replace(prod.kubernetes, older))(setLine("kubernetes", `"${older}"`)(text)),
        );
        const result = promote(scratch.dir, "staging", "prod");
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
        edit("staging", setLine("cilium", bump(scratch.config("staging").versions.charts.cilium)));
        const before = scratch.read("prod");
        const result = promote(scratch.dir, "staging", "prod");
        assert.equal(result.status, "refused");
        if (result.status === "refused")
            assert.match(
                render(result.problems),
                /prod: karpenter\.nodeClasses\.default\.os: "bottlerocket" needs versions\.bottlerocketRelease/,
            );
        assert.equal(scratch.read("prod"), before);
    });

    it("refuses a source lock that does not validate", () => {
        edit("staging", setLine("karpenter", "9.99.0"));
        const result = promote(scratch.dir, "staging", "prod");
        assert.equal(result.status, "refused");
        if (result.status === "refused") assert.match(render(result.problems), /staging: versions\.charts\.karpenter: "9\.99\.0"/);
    });

    it("refuses to promote against the declared direction", () => {
        const result = promote(scratch.dir, "prod", "staging");
        assert.equal(result.status, "refused");
        if (result.status === "refused")
            assert.match(render(result.problems), /staging: promotion\.from: staging takes its lock from no stack/);
    });

    it("from the command line, --check on the committed files exits 0 in sync, or 1 naming the pending promotion, never refusing", () => {
        for (const { stack, from } of promotions) {
            const run = spawnSync(
                process.execPath,
                [path.join(__dirname, "..", "..", "stacks", "delivery", "promote.js"), from, stack, "--check"],
                {
                    encoding: "utf8",
                },
            );
            const result = promote(ROOT, from, stack);
            const command = promoteCommandFor(from, stack);
            assert.notEqual(result.status, "refused", `${command} refuses:\n${run.stderr}`);
            if (result.status === "unchanged") {
                assert.equal(run.status, 0, run.stderr);
                assert.match(run.stdout, new RegExp(`${stack} already runs ${from}'s lock`));
            } else if (result.status === "promoted") {
                assert.equal(run.status, 1, `${stack} waits for a promotion: --check exits 1 until \`${command}\` is merged`);
                assert.match(run.stdout, new RegExp(`would promote ${from} -> ${stack}`));
                for (const change of result.changes) assert.ok(run.stdout.includes(formatChange(change)), formatChange(change));
            }
        }
    });
});
