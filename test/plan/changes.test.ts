// The change set between two evaluations, on records built by hand: what is created, updated,
// replaced and deleted, why, and how a replacement ripples through what takes its outputs.
import * as assert from "node:assert/strict";
import { MASK, changeSet, diffInputs } from "../../stacks/plan/changes";
import { REPLACEMENT_RULES, forcingPaths, replacementRule } from "../../stacks/plan/replacement";
import type { RecordedResource } from "../../stacks/plan/resources";
import { recorded } from "../fixtures";

const resource = (type: string, name: string, inputs: Record<string, unknown>, extra: Partial<RecordedResource> = {}): RecordedResource =>
    recorded({ urn: `urn:pulumi:s::p::${type}::${name}`, type, name, inputs, outputs: { id: `${name}-id` }, ...extra });

const vpc = (cidr: string) =>
    resource("aws:ec2/vpc:Vpc", "vpc", { cidrBlock: cidr, tags: { Name: "vpc" } }, { outputs: { id: "vpc-0123456789" } });
const subnet = (cidr: string) =>
    resource(
        "aws:ec2/subnet:Subnet",
        "subnet",
        { vpcId: "vpc-0123456789", cidrBlock: cidr },
        { dependencies: [vpc("").urn], outputs: { id: "subnet-0a1b2c3d" } },
    );
const gateway = resource("aws:ec2/internetGateway:InternetGateway", "igw", { vpcId: "vpc-0123456789" }, { dependencies: [vpc("").urn] });
const key = resource("aws:kms/key:Key", "key", { description: "secrets" });
const release = (version: string, values: Record<string, unknown> = {}) =>
    resource("kubernetes:helm.sh/v3:Release", "cilium", { name: "cilium", chart: "cilium", version, values });

describe("change set", () => {
    it("reports nothing when nothing changed", () => {
        const stack = [vpc("10.0.0.0/16"), subnet("10.0.0.0/19"), key, release("1.20.0")];
        assert.deepEqual(changeSet(stack, stack), []);
    });

    it("updates a chart bump in place, with the version and only it", () => {
        const [change] = changeSet([key, release("1.20.0")], [key, release("1.20.1")]);
        assert.deepEqual([change.action, change.properties], ["update", ["version"]]);
        assert.deepEqual(change.values?.version, { from: "1.20.0", to: "1.20.1" });
    });

    it("creates what is new and deletes what is gone", () => {
        const pool = resource("kubernetes:karpenter.sh/v1:NodePool", "pool-new", { metadata: { name: "new" } });
        assert.deepEqual(
            changeSet([key], [key, pool]).map((c) => [c.name, c.action]),
            [["pool-new", "create"]],
        );
        assert.deepEqual(
            changeSet([key, pool], [key]).map((c) => [c.name, c.action]),
            [["pool-new", "delete"]],
        );
    });

    it("replaces a VPC whose CIDR changes, and drags along what takes its ID", () => {
        // The subnet keeps its own range here: only the VPC's replacement moves it.
        const changes = changeSet(
            [vpc("10.0.0.0/16"), subnet("10.0.0.0/19"), gateway, key],
            [vpc("10.1.0.0/16"), subnet("10.0.0.0/19"), gateway, key],
        );
        const by = Object.fromEntries(changes.map((c) => [c.name, c]));
        assert.deepEqual([by.vpc.action, by.vpc.replaceReasons], ["replace", ["cidrBlock"]]);
        assert.deepEqual([by.subnet.action, by.subnet.replaceReasons], ["replace", ["vpcId (from vpc, replaced)"]]);
        // An internet gateway re-attaches to another VPC in place.
        assert.deepEqual([by.igw.action, by.igw.properties], ["update", ["vpcId"]]);
        assert.equal(by.key, undefined, "the key takes nothing from the VPC");
    });

    it("replaces everything a replaced provider serves", () => {
        const cluster = resource(
            "eks:index:Cluster",
            "cluster",
            { name: "c", vpcId: "vpc-0123456789" },
            { custom: false, remote: true, dependencies: [vpc("").urn], outputs: { id: "c-id" } },
        );
        const provider = resource("pulumi:providers:kubernetes", "k8s", { kubeconfig: "endpoint" }, { dependencies: [cluster.urn] });
        const object = resource(
            "kubernetes:core/v1:Namespace",
            "ns",
            { metadata: { name: "ns" } },
            { provider: `${provider.urn}::k8s-id` },
        );
        const changes = changeSet([vpc("10.0.0.0/16"), cluster, provider, object], [vpc("10.1.0.0/16"), cluster, provider, object]);
        assert.deepEqual(changes.map((c) => [c.name, c.action]).sort(), [
            ["cluster", "replace"],
            ["k8s", "replace"],
            ["ns", "replace"],
            ["vpc", "replace"],
        ]);
    });

    it("masks secrets and compares JSON documents by structure", () => {
        assert.deepEqual(diffInputs({ clientSecret: "a" }, { clientSecret: "b" }), { clientSecret: { from: MASK, to: MASK } });
        const policy = (action: string) => JSON.stringify({ Statement: [{ Effect: "Allow", Action: action }] });
        assert.deepEqual(Object.keys(diffInputs({ policy: policy("s3:GetObject") }, { policy: policy("s3:PutObject") })), [
            "policy.Statement[0].Action",
        ]);
    });
});

describe("replacement rules", () => {
    for (const [type, rule] of Object.entries(REPLACEMENT_RULES)) {
        it(`${type}: replaced by a change of ${rule.paths.join(", ")} (${rule.source})`, () => {
            for (const path of rule.paths) {
                assert.deepEqual(forcingPaths(replacementRule(type), [path]), [path]);
                assert.deepEqual(forcingPaths(replacementRule(type), [`${path}.nested`]), [`${path}.nested`], "and anything under it");
            }
            assert.deepEqual(forcingPaths(replacementRule(type), ["tags.owner"]), [], "tags update in place");
        });
    }

    it("names a source for every rule, and forces replacement only on the paths it lists", () => {
        for (const [type, rule] of Object.entries(REPLACEMENT_RULES)) {
            assert.ok(rule.source.length > 20, `${type} cites where its rule comes from`);
            assert.ok(rule.paths.length > 0, type);
        }
        assert.deepEqual(forcingPaths(replacementRule("aws:ec2/vpc:Vpc"), ["cidrBlock", "tags.Name"]), ["cidrBlock"]);
        assert.deepEqual(forcingPaths(replacementRule("aws:eks/nodeGroup:NodeGroup"), ["scalingConfig.maxSize", "subnetIds[1]"]), [
            "subnetIds[1]",
        ]);
        assert.deepEqual(forcingPaths(replacementRule("kubernetes:apps/v1:Deployment"), ["metadata.name", "spec.replicas"]), [
            "metadata.name",
        ]);
        assert.deepEqual(
            forcingPaths(replacementRule("aws:kms/key:Key"), ["description", "enableKeyRotation"]),
            [],
            "a key's policy and rotation update in place",
        );
    });
});
