// The plan's entry points defer what @pulumi/pulumi loads at start but a mock run never uses;
// anything that does reach a deferred module must still get the real one.
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as path from "node:path";

/** Loads the SDK after the deferral in a fresh process; reports what was loaded before and after `touch`. */
function loaded(touch: string): { before: string[]; after: string[]; touched: string } {
    const script = `
        require(${JSON.stringify(path.join(__dirname, "..", "..", "stacks", "plan", "defer.js"))});
        const pulumi = require("@pulumi/pulumi");
        const files = () => Object.keys(require.cache).map((file) => file.split("node_modules/").pop());
        const before = files();
        const touched = typeof (${touch});
        console.log(JSON.stringify({ before, after: files(), touched }));`;
    const run = spawnSync(process.execPath, ["-e", script], { encoding: "utf8", cwd: path.join(__dirname, "..", "..") });
    assert.equal(run.status, 0, run.stderr);
    return JSON.parse(run.stdout) as { before: string[]; after: string[]; touched: string };
}

const isLoaded = (files: string[], module: string) => files.some((file) => file.startsWith(`${module}/`));

describe("deferred start-up modules", () => {
    it("loads neither TypeScript, Arborist nor the Automation API with the SDK, and each on first use", () => {
        const automation = loaded("pulumi.automation.LocalWorkspace");
        for (const module of ["typescript", "@npmcli/arborist", "@pulumi/pulumi/automation", "execa"]) {
            assert.equal(isLoaded(automation.before, module), false, `${module} loaded at start`);
        }
        assert.equal(automation.touched, "function");
        assert.equal(isLoaded(automation.after, "@pulumi/pulumi/automation"), true);
    });
});
