// Network alone, under the offline mocks.
import * as assert from "node:assert/strict";
import { Network } from "../../components/network/network";
import { subnetLayout } from "../../stacks/config/layout";
import { ofType, one, inputs } from "../fixtures";
import { evaluateComponent, names, scope, tags } from "./harness";

describe("components", () => {
    describe("Network", () => {
        const build = (natGateways: "perAz" | "single") =>
            evaluateComponent((p) => {
                new Network(
                    "net",
                    {
                        cluster: names.cluster,
                        vpcCidr: "10.40.0.0/16",
                        subnets: subnetLayout("10.40.0.0/16", 3),
                        natGateways,
                        flowLogGroup: names.flowLogGroup,
                        flowLogsRoleName: names.roles.flowLogs,
                        flowLogRetentionDays: 90,
                        logsKeyArn: "arn:aws:kms:eu-west-1:444455556666:key/logs",
                        scope,
                        tags,
                        protect: true,
                    },
                    { providers: { aws: p.aws } },
                );
            });

        it("builds a VPC with DNS, tagged private and public subnets and no public addresses", async () => {
            const resources = await build("perAz");
            const vpc = inputs(one(resources, "aws:ec2/vpc:Vpc"));
            assert.equal(vpc.enableDnsSupport, true);
            assert.equal(vpc.enableDnsHostnames, true);
            const subnets = ofType(resources, "aws:ec2/subnet:Subnet").map(inputs);
            const privateOnes = subnets.filter((s) => s.tags["platform/subnet"] === "private");
            const publicOnes = subnets.filter((s) => s.tags["platform/subnet"] === "public");
            assert.deepEqual(
                privateOnes.map((s) => s.cidrBlock),
                subnetLayout("10.40.0.0/16", 3).private,
            );
            assert.ok(
                privateOnes.every(
                    (s) => s.tags["kubernetes.io/role/internal-elb"] === "1" && s.tags["karpenter.sh/discovery"] === names.cluster,
                ),
            );
            assert.ok(publicOnes.every((s) => s.tags["kubernetes.io/role/elb"] === "1"));
            assert.ok(subnets.every((s) => s.mapPublicIpOnLaunch === false));
            assert.deepEqual(new Set(privateOnes.map((s) => s.availabilityZone)).size, 3, "one private subnet per zone");
        });

        it("puts one NAT gateway per zone, or one for all, as asked", async () => {
            assert.equal(ofType(await build("perAz"), "aws:ec2/natGateway:NatGateway").length, 3);
            const single = await build("single");
            assert.equal(ofType(single, "aws:ec2/natGateway:NatGateway").length, 1);
            const routes = ofType(single, "aws:ec2/routeTable:RouteTable")
                .map(inputs)
                .filter((t) => t.routes[0].natGatewayId);
            assert.equal(routes.length, 3, "every zone still routes through the NAT gateway");
        });

        it("logs all traffic to an encrypted, retained, protected log group and locks the default security group", async () => {
            const resources = await build("perAz");
            const flowLog = inputs(one(resources, "aws:ec2/flowLog:FlowLog"));
            assert.equal(flowLog.trafficType, "ALL");
            assert.equal(flowLog.logDestinationType, "cloud-watch-logs");
            const group = one(resources, "aws:cloudwatch/logGroup:LogGroup");
            assert.equal(inputs(group).name, names.flowLogGroup);
            assert.equal(inputs(group).retentionInDays, 90);
            assert.equal(inputs(group).kmsKeyId, "arn:aws:kms:eu-west-1:444455556666:key/logs");
            assert.equal(group.protect, true);
            const defaultSg = inputs(one(resources, "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup"));
            assert.equal(defaultSg.ingress, undefined);
            assert.equal(defaultSg.egress, undefined);
            const endpoint = inputs(one(resources, "aws:ec2/vpcEndpoint:VpcEndpoint"));
            assert.equal(endpoint.serviceName, "com.amazonaws.eu-west-1.s3");
            assert.equal(endpoint.routeTableIds.length, 3);
        });
    });
});
