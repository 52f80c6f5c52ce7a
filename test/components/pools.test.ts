// Karpenter pools of every kind the stack file may declare: GPU pools (NVIDIA only, tainted, with
// the device plugin installed before them) and arm64 pools, from the stack file to the NodePool.
import * as assert from "node:assert/strict";
import { DEVICE_PLUGIN } from "../../components/addons/karpenter/device-plugin";
import { NodePools, nodePoolSpec } from "../../components/addons/karpenter/nodepools";
import { resolveStackConfig, type StackConfig } from "../../stacks/config/config";
import { GPU_NODE_LABEL, GPU_RESOURCE, GPU_TAINT } from "../../stacks/config/catalog";
import type { RecordedResource } from "../../stacks/plan/resources";
import { type Settings, inputs, ofType, one, rawConfig, settingsOf } from "../fixtures";
import { evaluateComponent, names, testCluster } from "./harness";

/** Staging's stack file with a GPU pool and an arm64 pool added. */
function withPools(change: (pools: Settings) => void = () => {}): StackConfig {
    const settings = structuredClone(settingsOf("staging"));
    settings.karpenter.nodeClasses.bottlerocket = { os: "bottlerocket" };
    settings.versions.bottlerocketRelease = "1.49.0";
    Object.assign(settings.karpenter.pools, {
        gpu: {
            capacityType: "on-demand",
            categories: ["g"],
            minFamilies: 2,
            sizes: ["xlarge", "2xlarge"],
            limits: { cpu: 64, memoryGiB: 256, gpus: 4 },
        },
        graviton: {
            capacityType: "spot",
            architectures: ["arm64"],
            families: ["c7g", "m7g", "r7g"],
            minFamilies: 2,
            limits: { cpu: 64, memoryGiB: 256 },
            weight: 50,
        },
    });
    change(settings.karpenter.pools);
    return resolveStackConfig(rawConfig(settings));
}

const requirement = (spec: ReturnType<typeof nodePoolSpec<string[]>>, key: string) =>
    spec.template.spec.requirements.find((r) => r.key === key);

describe("Karpenter pools of every kind", () => {
    it("makes a GPU pool NVIDIA-only and tainted for GPU workloads, labelled for the device plugin, with its GPUs capped", () => {
        const { karpenter } = withPools();
        const spec = nodePoolSpec({ name: "gpu", pool: karpenter.pools.gpu, os: "al2023", expireAfter: karpenter.expireAfter });
        assert.deepEqual(requirement(spec, "karpenter.k8s.aws/instance-category")?.values, ["g"]);
        assert.deepEqual(requirement(spec, "karpenter.k8s.aws/instance-gpu-manufacturer")?.values, ["nvidia"]);
        assert.deepEqual(spec.template.spec.taints, [GPU_TAINT]);
        assert.equal(spec.template.metadata.labels[GPU_NODE_LABEL], "true");
        assert.equal((spec.limits as Record<string, string>)[GPU_RESOURCE], "4");
        // Bottlerocket's NVIDIA variant runs its own device plugin: no label for the platform's.
        const bottlerocket = nodePoolSpec({ name: "gpu", pool: karpenter.pools.gpu, os: "bottlerocket", expireAfter: "720h" });
        assert.equal(bottlerocket.template.metadata.labels[GPU_NODE_LABEL], undefined);
        assert.deepEqual(bottlerocket.template.spec.taints, [GPU_TAINT]);
    });

    it("keeps CPU pools free of GPU requirements, taints and labels, and asks arm64 pools for arm64 only", () => {
        const { karpenter } = withPools();
        for (const [name, pool] of Object.entries(karpenter.pools).filter(([n]) => n !== "gpu")) {
            const spec = nodePoolSpec({ name, pool, os: "al2023", expireAfter: karpenter.expireAfter });
            assert.equal(requirement(spec, "karpenter.k8s.aws/instance-gpu-manufacturer"), undefined, name);
            assert.ok(!spec.template.spec.taints.some((t) => t.key === GPU_TAINT.key), name);
            assert.equal(spec.template.metadata.labels[GPU_NODE_LABEL], undefined, name);
        }
        const graviton = nodePoolSpec({ name: "graviton", pool: karpenter.pools.graviton, os: "al2023", expireAfter: "720h" });
        assert.deepEqual(requirement(graviton, "kubernetes.io/arch")?.values, ["arm64"]);
        assert.deepEqual(requirement(graviton, "karpenter.k8s.aws/instance-family")?.values, ["c7g", "m7g", "r7g"]);
    });

    describe("in a cluster", () => {
        const build = (config: StackConfig) =>
            evaluateComponent((p) => {
                const cluster = testCluster(p.aws);
                new NodePools(
                    "pools",
                    {
                        cluster: cluster.handle,
                        settings: config.karpenter,
                        nodeRoleName: names.roles.karpenterNode,
                        amiAliases: { al2023: "al2023@v20260714", bottlerocket: "bottlerocket@v1.49.0" },
                        devicePluginVersion: config.versions.charts["nvidia-device-plugin"],
                        volumesKeyArn: "arn:aws:kms:eu-west-1:444455556666:key/volumes",
                        dependsOn: [],
                    },
                    { providers: { aws: p.aws } },
                );
            });
        let gpu: RecordedResource[];
        let none: RecordedResource[];
        before(async () => {
            gpu = await build(withPools());
            none = await build(withPools((pools) => delete pools.gpu));
        });

        it("installs the NVIDIA device plugin, privileged, before the GPU pool, and only where a GPU pool runs AL2023", () => {
            const release = ofType(gpu, "kubernetes:helm.sh/v3:Release").find((r) => inputs(r).name === DEVICE_PLUGIN.release);
            assert.ok(release, "the device plugin is installed");
            assert.equal(inputs(release).repositoryOpts.repo, "https://nvidia.github.io/k8s-device-plugin");
            assert.equal(inputs(release).version, withPools().versions.charts["nvidia-device-plugin"]);
            const namespace = one(gpu, "kubernetes:core/v1:Namespace");
            assert.equal(inputs(namespace).metadata.labels["pod-security.kubernetes.io/enforce"], "privileged");
            assert.ok(release.dependencies.includes(namespace.urn));
            const pools = ofType(gpu, "kubernetes:karpenter.sh/v1:NodePool");
            const gpuPool = pools.find((p) => inputs(p).metadata.name === "gpu") as RecordedResource;
            assert.ok(gpuPool.dependencies.includes(release.urn), "the GPU pool waits for the plugin, and is deleted before it");
            for (const pool of pools.filter((p) => p !== gpuPool)) assert.ok(!pool.dependencies.includes(release.urn), pool.name);

            assert.equal(ofType(none, "kubernetes:helm.sh/v3:Release").length, 0, "no GPU pool, no plugin");
            const onBottlerocket = withPools((pools) => (pools.gpu.nodeClass = "bottlerocket"));
            return build(onBottlerocket).then((resources) =>
                assert.equal(ofType(resources, "kubernetes:helm.sh/v3:Release").length, 0, "Bottlerocket brings its own plugin"),
            );
        });
    });
});
