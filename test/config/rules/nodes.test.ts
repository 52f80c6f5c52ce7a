// The node rules, one broken property at a time: managed node groups and Karpenter pools.
import * as assert from "node:assert/strict";
import { expectProblem, problems } from "../../fixtures";

describe("stack file validation", () => {
    describe("node groups", () => {
        it("rejects sizes out of order", () => {
            expectProblem(
                problems("staging", (s) => Object.assign(s.nodeGroups.general, { minSize: 3, desiredSize: 2, maxSize: 6 })),
                "nodeGroups.general",
                "minSize <= desiredSize <= maxSize",
                "3 / 2 / 6",
            );
            expectProblem(
                problems("staging", (s) => Object.assign(s.nodeGroups.memory, { minSize: 1, desiredSize: 4, maxSize: 3 })),
                "nodeGroups.memory",
                "1 / 4 / 3",
            );
        });

        it("rejects non-positive sizes", () => {
            expectProblem(
                problems("staging", (s) => (s.nodeGroups.memory.minSize = 0)),
                "nodeGroups.memory.minSize",
                "0 must be positive",
            );
            expectProblem(
                problems("staging", (s) => (s.nodeGroups.general.maxSize = -1)),
                "nodeGroups.general.maxSize",
                "-1 must be positive",
            );
        });

        it("requires an on-demand system group of at least two nodes", () => {
            expectProblem(
                problems("staging", (s) => (s.nodeGroups.system.capacityType = "SPOT")),
                "nodeGroups.system.capacityType",
                "ON_DEMAND",
            );
            expectProblem(
                problems("staging", (s) => Object.assign(s.nodeGroups.system, { minSize: 1, desiredSize: 1 })),
                "nodeGroups.system.minSize",
                "at least 2 nodes",
            );
        });

        for (const bad of ["m5large", "M5.large", "m.large", "m7i.huge"]) {
            it(`rejects the malformed instance type ${bad}`, () => {
                expectProblem(
                    problems("staging", (s) => (s.nodeGroups.general.instanceTypes = [bad])),
                    "nodeGroups.general.instanceTypes[0]",
                    bad,
                );
            });
        }

        it("rejects a memory group that is not memory-optimised, and mixed architectures", () => {
            expectProblem(
                problems("staging", (s) => (s.nodeGroups.memory.instanceTypes = ["m7i.xlarge"])),
                "nodeGroups.memory.instanceTypes[0]",
                "not memory-optimised",
            );
            expectProblem(
                problems("staging", (s) => (s.nodeGroups.general.instanceTypes = ["m7i.xlarge", "m7g.xlarge"])),
                "nodeGroups.general.instanceTypes[1]",
                '"m7g.xlarge" is not an x86_64 instance type',
            );
        });
    });

    describe("Karpenter pools", () => {
        it("rejects a spot pool with fewer than two instance families", () => {
            expectProblem(
                problems("prod", (s) => (s.karpenter.pools["spot-general"].families = ["m7i"])),
                "karpenter.pools.spot-general.families",
                "at least two instance families",
            );
            expectProblem(
                problems("prod", (s) => (s.karpenter.pools["spot-general"].minFamilies = 1)),
                "karpenter.pools.spot-general.minFamilies",
                "at least two instance families",
            );
        });

        it("rejects families outside the pool's categories or generations, and more required families than listed", () => {
            const found = problems("prod", (s) =>
                Object.assign(s.karpenter.pools["spot-general"], { families: ["c7i", "t3", "m5"], minFamilies: 4 }),
            );
            expectProblem(found, "karpenter.pools.spot-general.families[1]", '"t3" is not in the pool\'s categories');
            expectProblem(found, "karpenter.pools.spot-general.families[2]", '"m5" is older than minGeneration 6');
            expectProblem(found, "karpenter.pools.spot-general.minFamilies", "4 is more than the 3 families listed");
        });

        it("takes any category it knows, GPU categories only on a pool of their own, and families of the pool's architecture", () => {
            const gpu = { capacityType: "on-demand", categories: ["g", "p"], minFamilies: 2, limits: { cpu: 96, memoryGiB: 768, gpus: 8 } };
            const arm = {
                capacityType: "spot",
                categories: ["c", "m", "r", "t"],
                architectures: ["arm64"],
                families: ["c7g", "m8g", "r7g"],
                minFamilies: 2,
                limits: { cpu: 64, memoryGiB: 256 },
                weight: 50,
            };
            assert.deepEqual(
                problems("staging", (s) => Object.assign(s.karpenter.pools, { gpu, arm })),
                [],
            );
            const found = problems("staging", (s) =>
                Object.assign(s.karpenter.pools, {
                    gpu: { ...gpu, categories: ["g", "c"] },
                    arm: { ...arm, families: ["c7g", "m7i"] },
                    cpu: { ...arm, architectures: ["amd64"], families: ["c7i", "m7i"], limits: { cpu: 8, memoryGiB: 32, gpus: 1 } },
                }),
            );
            expectProblem(found, "karpenter.pools.gpu.categories", "mixes GPU categories (g) with others");
            expectProblem(found, "karpenter.pools.arm.families[1]", '"m7i" is an amd64 family, not one of the pool\'s architectures');
            expectProblem(
                problems("staging", (s) => Object.assign(s.karpenter.pools, { inferentia: { ...gpu, categories: ["inf"] } })),
                "karpenter.pools.inferentia.categories[0]",
                'expected one of "c"',
            );
            expectProblem(found, "karpenter.pools.cpu.limits.gpus", "only a GPU pool");
        });

        for (const bad of ["30d", "1w", "720"]) {
            it(`rejects expireAfter "${bad}"`, () => {
                expectProblem(
                    problems("prod", (s) => (s.karpenter.expireAfter = bad)),
                    "karpenter.expireAfter",
                    bad,
                    "no days",
                );
                expectProblem(
                    problems("prod", (s) => (s.karpenter.pools["spot-batch"].expireAfter = bad)),
                    "karpenter.pools.spot-batch.expireAfter",
                    bad,
                );
            });
        }

        it("rejects limits below one node of the pool", () => {
            const found = problems("staging", (s) => (s.karpenter.pools["spot-general"].limits = { cpu: 1, memoryGiB: 2 }));
            expectProblem(found, "karpenter.pools.spot-general.limits.cpu", "1 vCPUs is less than the pool's smallest node (2 vCPUs)");
            expectProblem(found, "karpenter.pools.spot-general.limits.memoryGiB", "2 GiB is less than the pool's smallest node (4 GiB)");
        });

        it("rejects a pool that would take system workloads", () => {
            expectProblem(
                problems("prod", (s) => (s.karpenter.pools["spot-general"].labels = { "platform/node-group": "system" })),
                'karpenter.pools.spot-general.labels["platform/node-group"]',
                "system workloads",
            );
            const tainted = problems(
                "prod",
                (s) => (s.karpenter.pools["spot-batch"].taints = [{ key: "CriticalAddonsOnly", effect: "NoSchedule" }]),
            );
            expectProblem(tainted, "karpenter.pools.spot-batch.taints[0]", "system workloads");
        });

        it("rejects labels in reserved domains, unknown node classes and an on-demand pool ranked above spot", () => {
            expectProblem(
                problems("prod", (s) => (s.karpenter.pools["spot-general"].labels = { "karpenter.sh/capacity-type": "spot" })),
                'karpenter.pools.spot-general.labels["karpenter.sh/capacity-type"]',
                "reserves",
            );
            expectProblem(
                problems("prod", (s) => (s.karpenter.pools["spot-general"].nodeClass = "gpu")),
                "karpenter.pools.spot-general.nodeClass",
                '"gpu" is not a node class',
            );
            expectProblem(
                problems("prod", (s) => (s.karpenter.pools["on-demand-fallback"].weight = 100)),
                "karpenter.pools.on-demand-fallback.weight",
                "at or above spot pool spot-general",
            );
        });

        it("refuses, in an HA stack, a spot pool without an on-demand pool of the same taints tried after it", () => {
            const withoutBatchFallback = problems("prod", (s) => delete s.karpenter.pools["on-demand-batch"]);
            expectProblem(
                withoutBatchFallback,
                "karpenter.pools.spot-batch",
                "no on-demand pool of the same taints",
                "platform/workload=batch:NoSchedule",
            );
            const allSpot = problems("prod", (s) => {
                delete s.karpenter.pools["on-demand-batch"];
                delete s.karpenter.pools["on-demand-fallback"];
            });
            expectProblem(allSpot, "karpenter.pools.spot-general", "no on-demand pool");
            expectProblem(allSpot, "karpenter.pools.spot-batch", "no on-demand pool");
            // A fallback tried first is no fallback.
            expectProblem(
                problems("prod", (s) => (s.karpenter.pools["on-demand-batch"].weight = s.karpenter.pools["spot-batch"].weight)),
                "karpenter.pools.spot-batch",
                "lower weight",
            );
            // Without HA, spot alone is the stack's choice.
            assert.deepEqual(
                problems("prod", (s) => {
                    s.highAvailability = false;
                    delete s.karpenter.pools["on-demand-batch"];
                }).filter((p) => p.path.startsWith("karpenter")),
                [],
            );
        });

        it("requires a pinned release for Bottlerocket node classes", () => {
            expectProblem(
                problems("prod", (s) => (s.karpenter.nodeClasses.default.os = "bottlerocket")),
                "karpenter.nodeClasses.default.os",
                "versions.bottlerocketRelease",
            );
            assert.deepEqual(
                problems("prod", (s) => {
                    s.karpenter.nodeClasses.default.os = "bottlerocket";
                    s.versions.bottlerocketRelease = "1.49.0";
                }),
                [],
            );
        });

        it("rejects a quiet-hours window that is not a cron schedule and duration", () => {
            const found = problems("prod", (s) => (s.karpenter.quietHours = { schedule: "weekdays", duration: "1d" }));
            expectProblem(found, "karpenter.quietHours.schedule", "cron");
            expectProblem(found, "karpenter.quietHours.duration", "no days");
        });
    });
});
