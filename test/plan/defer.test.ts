// The plan's entry points defer what the SDKs load at start but a mock run never uses; anything
// that does reach a deferred module must still get the real one.
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as path from "node:path";

/** Loads the SDKs after the deferral in a fresh process; reports what was loaded before and after `touch`. */
function loaded(touch: string): { before: string[]; after: string[]; touched: string } {
    const script = `
        require(${JSON.stringify(path.join(__dirname, "..", "..", "stacks", "plan", "defer.js"))});
        const pulumi = require("@pulumi/pulumi");
        const aws = require("@pulumi/aws");
        require("@pulumi/kubernetes");
        const files = () => Object.keys(require.cache).map((file) => file.split("node_modules/").pop());
        const before = files();
        const touched = typeof (${touch});
        console.log(JSON.stringify({ before, after: files(), touched }));`;
    const run = spawnSync(process.execPath, ["-e", script], { encoding: "utf8", cwd: path.join(__dirname, "..", "..") });
    assert.equal(run.status, 0, run.stderr);
    return JSON.parse(run.stdout) as { before: string[]; after: string[]; touched: string };
}

const isLoaded = (files: string[], module: string) => files.some((file) => file.startsWith(`${module}/`));
const DEFERRED = [
    "typescript",
    "@npmcli/arborist",
    "@pulumi/pulumi/automation",
    "execa",
    "normalize-package-data",
    "glob",
    "@grpc/grpc-js",
];

describe("deferred start-up modules", () => {
    it("loads none of them with the SDKs, and the real one on first use", () => {
        const automation = loaded("pulumi.automation.LocalWorkspace");
        for (const module of DEFERRED) assert.equal(isLoaded(automation.before, module), false, `${module} loaded at start`);
        // Of @pulumi/aws's services, none until used.
        assert.deepEqual(
            automation.before.filter((file) => /^@pulumi\/aws\/[a-z0-9]+\/index\.js$/.test(file)),
            [],
        );
        assert.equal(automation.touched, "function");
        assert.equal(isLoaded(automation.after, "@pulumi/pulumi/automation"), true);
    });

    it("loads an AWS service's module when the program first uses it, registering its resource types", () => {
        // The SDK resolves a reference to an aws:ec2/vpc:Vpc through the module registered for it.
        const ec2 = loaded(`aws.ec2.Vpc && require("@pulumi/pulumi/runtime/rpc").getResourceModule("aws", "ec2/vpc", undefined)`);
        assert.equal(isLoaded(ec2.before, "@pulumi/aws/ec2"), false);
        assert.equal(ec2.touched, "object");
        assert.equal(isLoaded(ec2.after, "@pulumi/aws/ec2"), true);
        // Listing a service's exports loads it as well.
        const iam = loaded(`Object.keys(aws.iam).includes("Role") || undefined`);
        assert.equal(isLoaded(iam.before, "@pulumi/aws/iam"), false);
        assert.equal(iam.touched, "boolean");
    });

    it("hands a CommonJS module imported as a default export over as that export", () => {
        // As @pulumi/pulumi's closure code imports npm's normalizer: `__importDefault(require(…)).default(…)`.
        const codePaths = `require.resolve("@pulumi/pulumi/runtime/closure/codePaths.js")`;
        const normalizer = loaded(`require("node:module").createRequire(${codePaths})("normalize-package-data").default`);
        assert.equal(isLoaded(normalizer.before, "normalize-package-data"), false);
        assert.equal(normalizer.touched, "function");
        assert.equal(isLoaded(normalizer.after, "normalize-package-data"), true);
    });
});
