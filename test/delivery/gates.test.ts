// The deploy-time checks against what is already running.
import * as assert from "node:assert/strict";
import { StackConfigError } from "../../stacks/config/config";
import { type DeployedState, deploymentProblems, promotionProblems, upgradeProblems } from "../../stacks/delivery/gates";
import { kubernetesMinor } from "../../stacks/config/lock";
import { evaluate, EvaluationError } from "../../stacks/plan/offline";
import { readStackConfig } from "../../stacks/plan/stack-input";
import type { VersionLock } from "../../stacks/config/schema";
import { ENTRY, render, ROOT } from "../fixtures";
import { bump, configOf } from "./harness";

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

    it("let a preview of a stack waiting for its promotion pass with a warning, and refuse its update", async () => {
        const config = configOf("prod");
        const from = config.promotion.from as string;
        const deployed = (lock: VersionLock): DeployedState => ({
            clusters: async () => [],
            deployedLock: async () => ({ reference: `org/platform/${from}`, lock }),
        });
        const ahead = structuredClone(lock) as VersionLock & { charts: Record<string, string> };
        ahead.charts.velero = bump(lock.charts.velero);
        const warnings: string[] = [];
        const preview = { preview: true, warn: (message: string) => void warnings.push(message) };

        // The source has deployed a newer lock: prod waits for `npm run promote`.
        assert.deepEqual(await deploymentProblems(config, deployed(ahead), preview), []);
        assert.equal(warnings.length, 1);
        assert.match(warnings[0], new RegExp(`charts\\.velero: ${lock.charts.velero} -> ${ahead.charts.velero}`));
        assert.ok(warnings[0].includes(`npm run promote -- ${from} ${config.stack}`), warnings[0]);
        assert.deepEqual(
            (await deploymentProblems(config, deployed(ahead))).map((p) => p.path),
            ["versions"],
            "pulumi up refuses it",
        );

        // Prod ahead of what the source has deployed is refused in a preview too.
        warnings.length = 0;
        const older = structuredClone(lock) as VersionLock & { charts: Record<string, string> };
        older.charts.velero = "0.0.1";
        assert.deepEqual(
            (await deploymentProblems(config, deployed(older), preview)).map((p) => p.path),
            ["versions"],
        );
        assert.deepEqual(warnings, []);
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
