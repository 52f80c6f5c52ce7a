// The offline evaluation answers registrations itself: what it records and what it hands back to
// the program must be what the SDK's mock runtime would have recorded and handed back.
import * as assert from "node:assert/strict";
import { existsSync, readFileSync, readdirSync, readlinkSync } from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import { specialSecretSig, specialSigKey } from "@pulumi/pulumi/runtime/rpc";
import { run } from "../../stacks/plan/offline";
import { OFFLINE_ACCOUNT } from "../../stacks/plan/mocks";

const secret = (value: unknown) => ({ [specialSigKey]: specialSecretSig, value });
/** A custom resource of a made-up package: its inputs come back as its outputs. */
class Thing extends pulumi.CustomResource {
    constructor(name: string, props: pulumi.Inputs, opts?: pulumi.CustomResourceOptions) {
        super("test:index:Thing", name, props, opts);
    }
}
/** TCP sockets this process listens on (Linux: its socket descriptors among the LISTEN rows of /proc/net/tcp*). */
function listeningSockets(): number {
    const inodes = new Set(
        readdirSync("/proc/self/fd").flatMap((fd) => {
            try {
                return [/^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/self/fd/${fd}`))?.[1]].filter((inode) => inode !== undefined);
            } catch {
                return []; // closed since the listing
            }
        }),
    );
    return ["/proc/self/net/tcp", "/proc/self/net/tcp6"]
        .filter((table) => existsSync(table))
        .flatMap((table) => readFileSync(table, "utf8").trim().split("\n").slice(1))
        .map((row) => row.trim().split(/\s+/))
        .filter((columns) => columns[3] === "0A" && inodes.has(columns[9])).length;
}

const resolved = <T>(output: pulumi.Output<T>) => new Promise<T>((resolve) => output.apply(resolve));

describe("offline evaluation", () => {
    it("records inputs as the engine sees them, and hands the program the state the mocks return", async () => {
        const seen: Record<string, unknown> = {};
        const evaluation = await run("test", { project: "offline", config: {}, secretKeys: [] }, async () => {
            const provider = new aws.Provider("eu", { region: "eu-west-1" });
            const role = new aws.iam.Role("role", { assumeRolePolicy: "{}" }, { provider });
            const thing = new Thing("thing", {
                role,
                token: pulumi.secret("s3cr3t"),
                list: ["a", pulumi.secret("b")],
                map: { plain: "x", hidden: pulumi.secret("y") },
                nested: { list: [{ value: "z" }] },
            });
            const outputs = thing as unknown as Record<string, pulumi.Output<unknown>>;
            seen.arn = await resolved(role.arn);
            seen.token = await resolved(outputs.token);
            seen.tokenSecret = await pulumi.isSecret(outputs.token);
            seen.map = await resolved(outputs.map);
            seen.mapSecret = await pulumi.isSecret(outputs.map);
            seen.nested = await resolved(outputs.nested);
            return {};
        });
        const role = evaluation.resources.find((r) => r.type === "aws:iam/role:Role");
        const thing = evaluation.resources.find((r) => r.type === "test:index:Thing");
        assert.ok(role && thing);
        // A resource passed as an input is its URN; a secret stays marked, and lifts its list or map.
        assert.equal(thing.inputs.role, role.urn);
        assert.deepEqual(thing.inputs.token, secret("s3cr3t"));
        assert.deepEqual(thing.inputs.list, secret(["a", "b"]));
        assert.deepEqual(thing.inputs.map, secret({ plain: "x", hidden: "y" }));
        assert.deepEqual(thing.inputs.nested, { list: [{ value: "z" }] });
        // The program sees what the mocks return: the role's ARN in its provider's region's account,
        // the inputs echoed back, secrets still secret.
        assert.equal(seen.arn, `arn:aws:iam::${OFFLINE_ACCOUNT}:role/${String(role.inputs.name ?? role.outputs?.id)}`);
        assert.equal(role.outputs?.arn, seen.arn);
        assert.equal(seen.token, "s3cr3t");
        assert.equal(seen.tokenSecret, true);
        assert.deepEqual(seen.map, { plain: "x", hidden: "y" });
        // Keys come back in the order a protobuf Struct hands them over (sorted), as from an engine.
        assert.deepEqual(Object.keys(seen.map as object), ["hidden", "plain"]);
        assert.deepEqual(Object.keys(thing.inputs), [...Object.keys(thing.inputs)].sort());
        assert.equal(seen.mapSecret, true);
        assert.deepEqual(seen.nested, { list: [{ value: "z" }] });
        const stack = evaluation.resources.find((r) => r.type === "pulumi:pulumi:Stack");
        assert.equal(thing.parent, stack?.urn);
        assert.equal(thing.urn, `urn:pulumi:test::offline::pulumi:pulumi:Stack$test:index:Thing::thing`);
    });

    it("leaves the SDK's runtime as it found it, after a program that fails too", async () => {
        // eslint-disable-next-line @typescript-eslint/no-require-imports -- internal module, no typings
        const debuggable = require("@pulumi/pulumi/runtime/debuggable") as { debuggablePromise: unknown };
        // eslint-disable-next-line @typescript-eslint/no-require-imports -- internal module, no typings
        const state = require("@pulumi/pulumi/runtime/state") as { getStore(): { callbacks: unknown } };
        const resource = pulumi.Resource as unknown as { stackTrace: unknown };
        // google-protobuf as the SDK loads it (a dependency of the SDK, not of this project).
        const sdk = path.dirname(require.resolve("@pulumi/pulumi"));
        // eslint-disable-next-line @typescript-eslint/no-require-imports -- resolved from the SDK
        const { Struct } = require(require.resolve("google-protobuf/google/protobuf/struct_pb", { paths: [sdk] })) as {
            Struct: { fromJavaScript: unknown };
        };
        const now = () => [debuggable.debuggablePromise, resource.stackTrace, state.getStore().callbacks, Struct.fromJavaScript];
        const before = now();
        assert.ok(before.slice(0, 2).every((f) => typeof f === "function"));
        await assert.rejects(
            run("test", { project: "offline", config: {}, secretKeys: [] }, () => {
                throw new Error("broken program");
            }),
            /broken program/,
        );
        assert.deepEqual(now(), before);
    });

    it("registers a resource with transforms without opening a port for the engine to call back", async function () {
        if (!existsSync("/proc/self/net/tcp")) this.skip();
        const before = listeningSockets();
        const evaluation = await run("test", { project: "offline", config: {}, secretKeys: [] }, () => {
            new Thing("transformed", { size: 1 }, { transforms: [(args) => ({ props: { ...args.props, size: 2 }, opts: args.opts })] });
            return {};
        });
        assert.ok(evaluation.resources.some((r) => r.name === "transformed"));
        assert.equal(listeningSockets(), before);
    });
});
