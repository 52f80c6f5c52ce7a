// `npm run plan -- --base <ref>` end to end, in a scratch repository with the project's files and
// a few commits of the staging stack file: a chart bump, a pool's limit and a new pool, then a
// VPC range. The base revision is checked out, built and evaluated as a user's run would.
import * as assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { cpSync, mkdtempSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { evaluate } from "../../stacks/plan/offline";
import { type StackPreview, baseConfig, changesJson, previewStack, renderPreview } from "../../stacks/plan/preview";
import { rawStackConfig, readStackConfig } from "../../stacks/plan/stack-input";
import { resolveStackConfig } from "../../stacks/config/config";
import { ROOT } from "../fixtures";

const git = (cwd: string, ...args: string[]) =>
    execFileSync("git", ["-c", "user.email=test@example.com", "-c", "user.name=test", ...args], { cwd, encoding: "utf8" });

function edit(dir: string, change: (text: string) => string): void {
    const file = path.join(dir, "Pulumi.staging.yaml");
    const before = readFileSync(file, "utf8");
    const after = change(before);
    assert.notEqual(after, before, "the edit applies");
    writeFileSync(file, after);
    git(dir, "commit", "-qam", "change staging");
}

/** The working tree's change set against `base`, and against itself (the commit just made). */
async function preview(dir: string, stack: string, againstItself = false): Promise<{ previous: StackPreview; itself?: StackPreview }> {
    execFileSync("npm", ["run", "-s", "build"], { cwd: dir, stdio: "ignore" });
    const input = readStackConfig(dir, stack);
    const after = {
        config: resolveStackConfig(rawStackConfig(input, stack)),
        evaluation: await evaluate(path.join(dir, ".build", "index.js"), stack, input),
    };
    const previous = await previewStack(dir, "HEAD~1", stack, after);
    return { previous, ...(againstItself ? { itself: await previewStack(dir, "HEAD", stack, after) } : {}) };
}

describe("change preview against a base revision", function () {
    this.timeout(180_000);
    let dir = "";
    const previews: Record<string, StackPreview> = {};

    before(async () => {
        dir = mkdtempSync(path.join(tmpdir(), "plan-preview-"));
        const files = execFileSync("git", ["ls-files"], { cwd: ROOT, encoding: "utf8" }).split("\n").filter(Boolean);
        for (const file of files) {
            mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
            cpSync(path.join(ROOT, file), path.join(dir, file));
        }
        symlinkSync(path.join(ROOT, "node_modules"), path.join(dir, "node_modules"), "dir");
        git(dir, "init", "-q");
        writeFileSync(path.join(dir, ".git", "info", "exclude"), "node_modules\n.build/\n.plan/\n");
        git(dir, "add", "-A");
        git(dir, "commit", "-qm", "base");
        edit(dir, (text) => {
            const pool = text.indexOf("      spot-general:");
            const limits = text.indexOf("limits: { cpu: ", pool);
            const bumped = `${text.slice(0, limits)}${text.slice(limits).replace(/limits: \{ cpu: (\d+)/, (_, cpu) => `limits: { cpu: ${Number(cpu) + 100}`)}`;
            return bumped
                .replace(/(\n {6}velero: )12\.1\.0/, "$112.2.0")
                .replace(
                    "      spot-general:",
                    "      spot-extra:\n        capacityType: spot\n        categories: [c, m]\n        minFamilies: 2\n        sizes: [xlarge, 2xlarge]\n        limits: { cpu: 50, memoryGiB: 200 }\n        weight: 50\n      spot-general:",
                );
        });
        const first = await preview(dir, "staging", true);
        previews.staging = first.previous;
        previews.unchanged = first.itself as StackPreview;
        edit(dir, (text) => text.replace(/vpcCidr: 10\.10\.0\.0\/16/, "vpcCidr: 10.11.0.0/16"));
        previews.vpc = (await preview(dir, "staging")).previous;
    });

    after(() => {
        if (dir) rmSync(dir, { recursive: true, force: true });
    });

    it("reports a chart bump and a pool's limit as updates, a new pool as a create, and nothing else", () => {
        const changes = previews.staging.changes.map((c) => [c.action, c.name, c.properties.join(",")]);
        assert.deepEqual(changes.sort(), [
            ["create", "us-east-1-pools-pool-spot-extra", ""],
            ["update", "us-east-1-backups-release", "version"],
            ["update", "us-east-1-pools-pool-spot-general", "spec.limits.cpu"],
        ]);
        assert.ok(previews.staging.cost.after > previews.staging.cost.before, "a new pool costs more");
    });

    it("reports no changes where there are none", () => {
        assert.deepEqual(previews.unchanged.changes, []);
        assert.match(renderPreview([previews.unchanged], "text"), /no changes/);
    });

    it("replaces the VPC whose range changes, names the property, and drags its subnets and cluster along", () => {
        const by = (name: string) => previews.vpc.changes.find((c) => c.name === name);
        assert.deepEqual([by("us-east-1-network-vpc")?.action, by("us-east-1-network-vpc")?.replaceReasons], ["replace", ["cidrBlock"]]);
        assert.equal(by("us-east-1-network-private-0")?.action, "replace");
        assert.equal(by("us-east-1-cluster-eks")?.action, "replace");
        assert.ok(!previews.vpc.changes.some((c) => c.type === "aws:kms/key:Key"), "the keys are untouched");
        const json = changesJson(previews.vpc);
        assert.equal(json.stack, "staging");
        assert.ok(json.changes.every((c) => ["create", "update", "replace", "delete"].includes(c.action)));
        const markdown = renderPreview([previews.vpc], "markdown");
        assert.match(markdown, /<details open><summary>⚠️ staging/);
        assert.ok(markdown.indexOf("DESTRUCTIVE") < markdown.indexOf("UPDATE"), "destructive changes come first");
    });
});

describe("change preview of a base the current schema rejects", () => {
    let dir = "";
    before(() => {
        dir = mkdtempSync(path.join(tmpdir(), "plan-base-config-"));
        for (const file of ["Pulumi.yaml", "Pulumi.staging.yaml"]) cpSync(path.join(ROOT, file), path.join(dir, file));
    });
    after(() => {
        if (dir) rmSync(dir, { recursive: true, force: true });
    });

    const current = () => resolveStackConfig(rawStackConfig(readStackConfig(ROOT, "staging"), "staging"));

    it("reads the base's own settings when the schema accepts them", () => {
        const file = path.join(dir, "Pulumi.staging.yaml");
        writeFileSync(file, readFileSync(file, "utf8").replace(/vpcCidr: 10\.10\.0\.0\/16/, "vpcCidr: 10.11.0.0/16"));
        const after = current();
        const base = baseConfig(dir, "staging", after);
        assert.notEqual(base, after);
        assert.equal(base.regions[0].vpcCidr, "10.11.0.0/16");
    });

    it("takes the working tree's settings for the estimates when the base's stack file no longer validates", () => {
        const file = path.join(dir, "Pulumi.staging.yaml");
        writeFileSync(file, readFileSync(file, "utf8").replace(/\n {6}velero: [^\n]+/, ""));
        const after = current();
        assert.equal(baseConfig(dir, "staging", after), after);
    });

    it("says when the base's first deploy cannot be estimated instead of failing", () => {
        const text = renderPreview(
            [
                {
                    stack: "staging",
                    base: "0".repeat(40),
                    changes: [],
                    cost: { before: 1, after: 1 },
                    deploy: { "us-east-1": { after: 600 } },
                    regionOf: {},
                },
            ],
            "text",
        );
        assert.match(text, /first pulumi up us-east-1: \(not estimable at the base\) -> /);
    });
});
