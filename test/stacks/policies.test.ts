// The whole program: protection, tags, network exposure and secret outputs per committed stack
// file; an invalid stack file that registers nothing; a region in an existing VPC.
import * as assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { StackConfigError } from "../../stacks/config/config";
import { EvaluationError, evaluate } from "../../stacks/plan/offline";
import { readStackConfig } from "../../stacks/plan/stack-input";
import { ENTRY, ROOT, STACKS, ofType, one, rawConfig, settingsOf, type Inputs, inputs } from "../fixtures";
import { PIPELINE_PREVIEW_GROUP } from "../../components/eks/pipeline-access";
import { describeStack } from "./harness";

/** Whether an AWS resource type takes tags, read from the @pulumi/aws declaration of its arguments. */
const taggable = (() => {
    const cache = new Map<string, boolean>();
    return (type: string): boolean => {
        if (!cache.has(type)) {
            const [, module, name] = /^aws:([^/]+)\/([^:]+):(.+)$/.exec(type) ?? [];
            const file = path.join(ROOT, "node_modules", "@pulumi", "aws", module, `${name}.d.ts`);
            const args = readFileSync(file, "utf8").split(/export interface \w+Args \{/)[1] ?? "";
            cache.set(type, /^\s+tags\?:/m.test(args.split(/^}/m)[0]));
        }
        return cache.get(type) as boolean;
    };
})();

for (const stack of STACKS) {
    describeStack(stack, (program) => {
        it("tags every taggable AWS resource with environment, region and owner", () => {
            for (const region of program.config.regions) {
                for (const resource of program.inRegion(region.region).filter((r) => r.type.startsWith("aws:") && taggable(r.type))) {
                    const tags = inputs(resource).tags ?? {};
                    for (const key of ["environment", "region", "owner"]) {
                        assert.equal(tags[key], region.tags[key], `${resource.type} ${resource.name} lacks ${key}`);
                    }
                }
            }
            for (const provider of ofType(program.resources, "pulumi:providers:aws")) {
                assert.equal(JSON.parse(inputs(provider).defaultTags).tags.region, inputs(provider).region);
            }
        });

        it("lets the preview role read every object the program manages, and Secrets only where releases keep them", () => {
            const plural = (kind: string) =>
                kind
                    .toLowerCase()
                    .replace(/([^aeiou])y$/, "$1ie")
                    .replace(/s$/, "se") + "s";
            for (const region of program.config.regions) {
                const own = program.inRegion(region.region);
                const roles = ofType(own, "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole").map(inputs);
                const reader = roles.find((r) => r.metadata.name === PIPELINE_PREVIEW_GROUP) as Inputs;
                const readable = (group: string, resource: string) =>
                    reader.rules.some(
                        (rule: Inputs) =>
                            rule.apiGroups.includes(group) && rule.resources.includes(resource) && rule.verbs.includes("list"),
                    );
                for (const resource of own.filter((r) => r.custom && r.type.startsWith("kubernetes:"))) {
                    const [, groupVersion, kind] = resource.type.split(":");
                    if (kind === "Release" || kind === "Secret") continue;
                    const group = groupVersion.startsWith("core/") ? "" : groupVersion.split("/")[0];
                    assert.ok(readable(group, plural(kind)), `${region.region}: the preview cannot read ${resource.type}`);
                }
                assert.ok(!reader.rules.some((rule: Inputs) => rule.resources.includes("secrets") || rule.resources.includes("*")));
                const secretNamespaces = new Set(
                    ofType(own, "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding")
                        .map(inputs)
                        .filter((b) => b.roleRef.name === `${PIPELINE_PREVIEW_GROUP}-secrets`)
                        .map((b) => b.metadata.namespace as string),
                );
                for (const kept of [
                    ...ofType(own, "kubernetes:helm.sh/v3:Release"),
                    ...ofType(own, "kubernetes:core/v1:Secret").map((s) => ({ ...s, inputs: { namespace: inputs(s).metadata.namespace } })),
                ]) {
                    assert.ok(
                        secretNamespaces.has(inputs(kept).namespace),
                        `${region.region}: no Secret read in ${inputs(kept).namespace}`,
                    );
                }
            }
        });

        it("opens no security group to the internet, lets only HTTPS out to it, and grants no wildcard IAM action", () => {
            const groups = program.resources.filter((r) => /SecurityGroup/.test(r.type));
            const inbound = groups.filter((r) => r.type !== "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule");
            assert.ok(!JSON.stringify(inbound.map((r) => r.inputs)).includes("0.0.0.0/0"), "a security group admits 0.0.0.0/0");
            for (const rule of ofType(groups, "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule")) {
                const { cidrIpv4, ipProtocol, fromPort, toPort } = inputs(rule);
                if (cidrIpv4 === "0.0.0.0/0") assert.deepEqual([ipProtocol, fromPort, toPort], ["tcp", 443, 443], rule.name);
            }
            for (const policy of ofType(program.resources, "aws:iam/rolePolicy:RolePolicy")) {
                for (const statement of JSON.parse(inputs(policy).policy).Statement as Inputs[]) {
                    const actions: string[] = [].concat(statement.Action);
                    assert.ok(
                        actions.every((a) => a !== "*" && !a.endsWith(":*")),
                        `${policy.name} grants ${actions.join(", ")}`,
                    );
                }
            }
        });

        it("exports each cluster's kubeconfig as a secret", async () => {
            const clusters = program.evaluation.exports.clusters as Record<string, { kubeconfig: pulumi.Output<string> }>;
            assert.deepEqual(Object.keys(clusters).sort(), program.config.regions.map((r) => r.region).sort());
            for (const cluster of Object.values(clusters)) assert.equal(await pulumi.isSecret(cluster.kubeconfig), true);
        });
    });
}

describe("whole program: invalid stack file", () => {
    it("fails before registering a single resource", async () => {
        const settings = settingsOf("prod");
        const cidr = settings.regions[0].vpcCidr as string;
        settings.regions[1].vpcCidr = cidr;
        const raw = rawConfig(settings, { stack: "prod" });
        const input = { project: raw.project, config: { ...readStackConfig(ROOT, "prod").config, ...raw.config }, secretKeys: [] };
        await assert.rejects(evaluate(ENTRY, "prod", input), (error: unknown) => {
            assert.ok(error instanceof EvaluationError);
            assert.ok(error.cause instanceof StackConfigError);
            // The language host prints a RunError's message and nothing else: that message is what
            // `pulumi preview` shows under the stack, every problem on a line with its path.
            assert.ok(pulumi.RunError.isInstance(error.cause), "a user error, printed without a stack trace");
            assert.equal(
                error.cause.message,
                `stack prod: 1 problem(s) in the stack file:\n  regions[1].vpcCidr: ${cidr} overlaps regions[0].vpcCidr ${cidr}`,
            );
            assert.deepEqual(
                error.resources.map((r) => r.type),
                ["pulumi:pulumi:Stack"],
            );
            return true;
        });
    });
});

describe("whole program: a region in an existing VPC", () => {
    it("creates no network, and points the cluster, nodes and Cilium at the given VPC", async () => {
        const settings = settingsOf("staging");
        const existing = {
            vpcId: "vpc-0123456789abcdef0",
            privateSubnetIds: ["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"],
            publicSubnetIds: [],
        };
        settings.regions[0].existingVpc = existing;
        const raw = rawConfig(settings, { stack: "staging" });
        const input = { project: raw.project, config: { ...readStackConfig(ROOT, "staging").config, ...raw.config }, secretKeys: [] };
        const { resources } = await evaluate(ENTRY, "staging", input);
        assert.equal(ofType(resources, "platform:network:Network").length, 0);
        assert.equal(ofType(resources, "aws:ec2/vpc:Vpc").length, 0);
        assert.deepEqual(inputs(one(resources, "eks:index:Cluster")).privateSubnetIds, existing.privateSubnetIds);
        for (const group of ofType(resources, "aws:eks/nodeGroup:NodeGroup"))
            assert.deepEqual(inputs(group).subnetIds, existing.privateSubnetIds);
        assert.match(
            inputs(one(resources, "aws:iam/rolePolicy:RolePolicy", "us-east-1-cilium-operator-eni-ipam")).policy,
            /vpc\/vpc-0123456789abcdef0/,
        );
    });
});
