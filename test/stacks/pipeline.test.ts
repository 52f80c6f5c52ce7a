// The pipeline's way in, per committed stack file: a CodeBuild-hosted runner in each region's
// private subnets, networks peered so that any region's runner reaches every cluster, and every
// cluster admitting the runners before the first Kubernetes object is applied.
import * as assert from "node:assert/strict";
import { evaluate, EvaluationError } from "../../stacks/plan/offline";
import { readStackConfig } from "../../stacks/plan/stack-input";
import { ENTRY, ROOT, STACKS, ofType, one, type Inputs, inputs, rawConfig, settingsOf } from "../fixtures";
import { configOf } from "../delivery/harness";
import { notable } from "../../stacks/plan/summary";
import { resolveStackConfig } from "../../stacks/config/config";
import { describeStack } from "./harness";

const PROJECT = "aws:codebuild/project:Project";
const INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule";

for (const stack of STACKS) {
    describeStack(stack, (program) => {
        it("runs a runner in each region's private subnets, for this repository, through the GitHub connection", () => {
            for (const region of program.config.regions) {
                const own = program.inRegion(region.region);
                const project = inputs(one(own, PROJECT));
                assert.equal(project.name, region.names.runnerProject);
                assert.deepEqual(project.source, {
                    type: "GITHUB",
                    location: program.config.pipeline.repository,
                    auth: { type: "CODECONNECTIONS", resource: program.config.pipeline.connectionArn },
                });
                assert.equal(project.environment.privilegedMode, false);
                assert.match(project.vpcConfig.vpcId, /^vpc-/);
                assert.equal(
                    project.vpcConfig.subnets.length,
                    ofType(own, "aws:ec2/subnet:Subnet").length / 2,
                    "one private subnet per zone",
                );
                const [group] = project.vpcConfig.securityGroupIds;
                const egress = ofType(own, "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule").map(inputs);
                assert.deepEqual(
                    egress.filter((rule) => rule.securityGroupId === group).map((rule) => [rule.ipProtocol, rule.fromPort, rule.toPort]),
                    [["tcp", 443, 443]],
                    "the runner goes out on HTTPS only",
                );
                const webhook = inputs(one(own, "aws:codebuild/webhook:Webhook"));
                assert.equal(webhook.projectName, region.names.runnerProject);
                assert.deepEqual(webhook.filterGroups, [{ filters: [{ type: "EVENT", pattern: "WORKFLOW_JOB_QUEUED" }] }]);

                // Its role: its logs, interfaces in exactly its subnets, the connection; nothing of the platform.
                const policy = JSON.parse(inputs(one(own, "aws:iam/rolePolicy:RolePolicy", `${region.region}-runner-role-runner`)).policy);
                const statements = policy.Statement as Inputs[];
                const attach = statements.find((s) => [].concat(s.Action).includes("ec2:CreateNetworkInterfacePermission" as never));
                assert.deepEqual(
                    attach?.Condition.ArnEquals["ec2:Subnet"].map((arn: string) => arn.split("/").pop()),
                    project.vpcConfig.subnets,
                );
                const actions = statements.flatMap((s) => [].concat(s.Action) as string[]);
                assert.ok(
                    actions.every((a) => /^(logs|ec2|codeconnections|codestar-connections):/.test(a)),
                    `runner actions: ${actions.join(", ")}`,
                );
                assert.ok(!actions.some((a) => /^(eks|iam|sts|s3|kms):/.test(a)), "the runner role holds nothing a job could use");
                const trust = JSON.parse(inputs(one(own, "aws:iam/role:Role", `${region.region}-runner-role`)).assumeRolePolicy);
                assert.match(trust.Statement[0].Condition.ArnLike["aws:SourceArn"], new RegExp(`:project/${region.names.runnerProject}$`));
            }
        });

        it("peers the runner region's network with every other, and routes each pair both ways through the accepted connection", () => {
            const regions = program.config.regions;
            const hub = regions.find((r) => r.region === program.config.pipeline.runnerRegion);
            assert.ok(hub);
            const connections = ofType(program.resources, "aws:ec2/vpcPeeringConnection:VpcPeeringConnection").map(inputs);
            assert.deepEqual(
                connections.map((c) => c.peerRegion).sort(),
                regions
                    .filter((r) => r !== hub)
                    .map((r) => r.region)
                    .sort(),
                "one peering per other region, from the runner region",
            );
            for (const region of regions) {
                const tables = ofType(program.inRegion(region.region), "aws:ec2/routeTable:RouteTable")
                    .map(inputs)
                    .filter((t) => t.routes.some((r: Inputs) => r.natGatewayId));
                assert.ok(tables.length > 0);
                const expected: string[] = region === hub ? regions.filter((r) => r !== hub).map((r) => r.vpcCidr) : [hub.vpcCidr];
                for (const table of tables) {
                    const peered = table.routes.filter((r: Inputs) => r.vpcPeeringConnectionId).map((r: Inputs) => r.cidrBlock);
                    assert.deepEqual(peered.sort(), expected.sort());
                }
            }
            for (const accepter of ofType(program.resources, "aws:ec2/vpcPeeringConnectionAccepter:VpcPeeringConnectionAccepter")) {
                assert.equal(inputs(accepter).autoAccept, true);
            }
        });

        it("admits its own region's runner, and the runner region's VPC, to each API on 443, before any Kubernetes object", () => {
            const hub = program.config.regions.find((r) => r.region === program.config.pipeline.runnerRegion);
            assert.ok(hub);
            for (const region of program.config.regions) {
                const own = program.inRegion(region.region);
                const runnerGroup = inputs(one(own, PROJECT)).vpcConfig.securityGroupIds[0];
                const rules = ofType(own, INGRESS).map(inputs);
                assert.ok(rules.every((rule) => rule.ipProtocol === "tcp" && rule.fromPort === 443 && rule.toPort === 443));
                assert.deepEqual(
                    rules.filter((rule) => rule.referencedSecurityGroupId).map((rule) => rule.referencedSecurityGroupId),
                    [runnerGroup],
                );
                assert.deepEqual(
                    rules.filter((rule) => rule.cidrIpv4).map((rule) => rule.cidrIpv4),
                    region === hub ? [] : [hub.vpcCidr],
                );
                const provider = one(own, "pulumi:providers:kubernetes", `${region.region}-cluster-k8s`);
                for (const rule of ofType(own, INGRESS)) assert.ok(provider.dependencies.includes(rule.urn), `${rule.name} comes first`);
                const tables = [region, hub].flatMap((r) =>
                    ofType(program.inRegion(r.region), "aws:ec2/routeTable:RouteTable").filter((t) => /private/.test(t.name)),
                );
                for (const table of tables) assert.ok(provider.dependencies.includes(table.urn), `${table.name} (peer routes) comes first`);
            }
        });

        it("exports which runner runs the stack, and the runner of every region", () => {
            const pipeline = program.evaluation.outputs.pipeline as { runnerRegion: string; runners: Record<string, string> };
            assert.equal(pipeline.runnerRegion, program.config.pipeline.runnerRegion);
            assert.deepEqual(pipeline.runners, Object.fromEntries(program.config.regions.map((r) => [r.region, r.names.runnerProject])));
        });
    });
}

describe("whole program: bootstrap mode", () => {
    const bootstrapInput = (stack: string) => {
        const settings = settingsOf(stack);
        settings.pipeline = { ...settings.pipeline, bootstrap: true };
        const raw = rawConfig(settings, { stack });
        return { project: raw.project, config: { ...readStackConfig(ROOT, stack).config, ...raw.config }, secretKeys: [] };
    };

    it("builds keys, networks, peering and runners, and no cluster, nor a lock other stacks could take", async () => {
        const evaluation = await evaluate(ENTRY, "prod", bootstrapInput("prod"));
        const types = new Set(evaluation.resources.map((r) => r.type));
        for (const type of [PROJECT, "aws:ec2/vpc:Vpc", "aws:kms/key:Key", "aws:ec2/vpcPeeringConnection:VpcPeeringConnection"])
            assert.ok(types.has(type), `${type} is built`);
        assert.ok(!types.has("eks:index:Cluster"));
        assert.deepEqual(
            [...types].filter((type) => type.startsWith("kubernetes:")),
            [],
        );
        assert.equal(evaluation.outputs.bootstrap, true);
        assert.equal(evaluation.outputs.versions, undefined, "promoted stacks must not take a lock nothing runs");
        assert.equal(evaluation.outputs.clusters, undefined);
        // The networks keep their peer routes: leaving bootstrap mode changes no route.
        const routes = ofType(evaluation.resources, "aws:ec2/routeTable:RouteTable").flatMap((t) => inputs(t).routes as Inputs[]);
        assert.ok(routes.some((route) => route.vpcPeeringConnectionId));
        // The plan says so first.
        const settings = settingsOf("prod");
        settings.pipeline = { ...settings.pipeline, bootstrap: true };
        const [first] = notable(resolveStackConfig(rawConfig(settings, { stack: "prod" })), evaluation.resources);
        assert.match(first, /^BOOTSTRAP MODE: .*no cluster; CI does not run this stack/);
    });

    it("is refused once a cluster of the stack exists, before anything is registered", async () => {
        const config = configOf("staging");
        const cluster = config.regions[0];
        await assert.rejects(
            evaluate(ENTRY, "staging", bootstrapInput("staging"), {
                deployedClusters: { [cluster.region]: { [cluster.names.cluster]: config.versions.kubernetes } },
            }),
            (error: unknown) => {
                assert.ok(error instanceof EvaluationError);
                assert.match(
                    error.message,
                    new RegExp(`pipeline\\.bootstrap: .*would delete ${cluster.names.cluster} \\(${cluster.region}\\)`),
                );
                assert.deepEqual([...new Set(error.resources.map((r) => r.type))].sort(), ["pulumi:providers:aws", "pulumi:pulumi:Stack"]);
                return true;
            },
        );
    });
});
