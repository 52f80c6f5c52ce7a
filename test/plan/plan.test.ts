// The offline plan as a reviewer reads it: per region tree, version lock, notable settings, the
// JSON written beside it, and a clear refusal of an invalid stack file.
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { stringify } from "yaml";
import { resolveStackConfig } from "../../stacks/config/config";
import { planStack, writeJsonLines } from "../../stacks/plan/plan";
import { syntheticFleet } from "../../stacks/plan/bench";
import { rawStackConfig, readStackConfig } from "../../stacks/plan/stack-input";
import { ROOT, rawConfig, settingsOf } from "../fixtures";

describe("offline plan", () => {
    let out: string;
    before(() => (out = mkdtempSync(path.join(tmpdir(), "plan-test-"))));
    after(() => rmSync(out, { recursive: true, force: true }));

    it("shows each region's tree, the version lock and what is notable, and writes the JSON", async () => {
        const settings = settingsOf("prod");
        const config = resolveStackConfig(rawConfig(settings));
        const result = await planStack(ROOT, "prod", out);
        assert.equal(result.ok, true);
        for (const region of config.regions) {
            assert.match(result.text, new RegExp(`region ${region.region}: cluster ${region.names.cluster}, \\d+ resources`));
        }
        assert.match(result.text, new RegExp(`kubernetes\\s+${settings.versions.kubernetes.replace(".", "\\.")}`));
        assert.match(result.text, new RegExp(`chart cilium\\s+${settings.versions.charts.cilium.replace(/\./g, "\\.")}`));
        assert.match(result.text, new RegExp(`EKS deletion protection ${settings.cluster.deletionProtection ? "on" : "OFF"}`));
        assert.match(result.text, /API endpoint private only/);
        assert.match(result.text, /protected from deletion by Pulumi: .*aws\.kms\.Key/);
        const json = JSON.parse(readFileSync(path.join(out, "prod.json"), "utf8"));
        assert.equal(json.resources.length, result.resources);
        for (const region of config.regions) assert.equal(json.outputs.clusters[region.region].kubeconfig, "[secret]");
    });

    it("refuses an invalid stack file with every problem and registers nothing", async () => {
        const project = mkdtempSync(path.join(tmpdir(), "plan-project-"));
        try {
            copyFileSync(path.join(ROOT, "Pulumi.yaml"), path.join(project, "Pulumi.yaml"));
            const broken = settingsOf("staging");
            broken.regions[0].vpcCidr = "10.10.0.0/33";
            broken.nodeGroups.system.capacityType = "SPOT";
            const config = Object.fromEntries(Object.entries(broken).map(([key, value]) => [`platform:${key}`, value]));
            writeFileSync(path.join(project, "Pulumi.broken.yaml"), stringify({ config }));
            const result = await planStack(project, "broken", out);
            assert.equal(result.ok, false);
            assert.equal(result.resources, 0);
            assert.match(result.text, /regions\[0\]\.vpcCidr: prefix length must be 0\.\.32 \(got "10\.10\.0\.0\/33"\)/);
            assert.match(result.text, /nodeGroups\.system\.capacityType: "SPOT"/);
        } finally {
            rmSync(project, { recursive: true, force: true });
        }
    });

    it("benchmarks valid fleets: each synthetic fleet is a stack file the program accepts", () => {
        for (const count of [2, 10, 20]) {
            const input = readStackConfig(ROOT, "prod", syntheticFleet(ROOT, count));
            const config = resolveStackConfig(rawStackConfig(input, `fleet-${count}`));
            assert.equal(config.regions.length, count);
        }
    });

    it("writes the plan's JSON a resource at a time, as JSON.stringify would write it whole", () => {
        const head = { project: "p", stack: "s", outputs: { nested: { list: [1, "two\nlines"] }, empty: {} }, invokes: [] };
        const resources = [{ urn: "a", inputs: { values: { deep: [{ x: 1 }, []] } } }, { urn: "b", inputs: {} }, "c"];
        for (const list of [resources, resources.slice(0, 1), []]) {
            const file = path.join(out, "lines.json");
            writeJsonLines(file, head, list);
            assert.equal(readFileSync(file, "utf8"), `${JSON.stringify({ ...head, resources: list }, null, 1)}\n`);
        }
    });

    it("exits non-zero for a stack without a stack file", () => {
        const run = spawnSync(process.execPath, [path.join(__dirname, "..", "..", "stacks", "plan", "plan.js"), "nosuchstack"], {
            encoding: "utf8",
        });
        assert.equal(run.status, 2);
        assert.match(run.stderr, /no stack file for nosuchstack/);
    });
});
