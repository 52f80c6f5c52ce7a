import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { SubnetLayout } from "../../stacks/config/layout";
import { EKS_UNSUPPORTED_ZONE_IDS, PARTITION } from "../../stacks/config/catalog";
import { type Scope, serviceTrustPolicy } from "../shared/iam";
import { flowLogsPolicy } from "./policies";
import { createRole } from "../shared/roles";

export interface NetworkArgs {
    /** Cluster name, for subnet discovery tags. */
    readonly cluster: string;
    readonly vpcCidr: string;
    /** Subnet CIDRs per zone; the zone count is the length of the lists. */
    readonly subnets: SubnetLayout;
    /** One NAT gateway per zone (a zone outage cuts only that zone's egress) or one for all. */
    readonly natGateways: "perAz" | "single";
    readonly flowLogGroup: string;
    readonly flowLogsRoleName: string;
    readonly flowLogRetentionDays: number;
    readonly logsKeyArn: pulumi.Input<string>;
    readonly scope: pulumi.Input<Scope>;
    readonly tags: Readonly<Record<string, string>>;
    readonly protect: boolean;
    /** Routes to the stack's other VPCs over peering connections, in every private route table. */
    readonly peerRoutes?: pulumi.Input<PeerRoute[]>;
}

/** A route to another VPC of the stack, through the peering connection to it. */
export interface PeerRoute {
    readonly cidrBlock: string;
    readonly vpcPeeringConnectionId: pulumi.Input<string>;
}

/** Subnet tags that tell load balancer controllers and Karpenter which subnets to use. */
export function subnetTags(tier: "public" | "private", cluster: string): Record<string, string> {
    return tier === "public"
        ? { "platform/subnet": "public", "kubernetes.io/role/elb": "1" }
        : { "platform/subnet": "private", "kubernetes.io/role/internal-elb": "1", "karpenter.sh/discovery": cluster };
}

/**
 * A VPC laid out for EKS with Cilium ENI IPAM: large private subnets that hold nodes and pods,
 * small public subnets for NAT gateways and load balancers, an S3 gateway endpoint, and flow
 * logs of all traffic into an encrypted log group.
 */
export class Network extends pulumi.ComponentResource {
    readonly vpcId: pulumi.Output<string>;
    /** The private subnets' routes through NAT: nodes need them to pull images and join the cluster. */
    readonly egress: pulumi.Resource[];
    /** The private route tables, peer routes included once those exist. */
    readonly routeTables: pulumi.Resource[];
    readonly privateSubnetIds: pulumi.Output<string>[];
    readonly publicSubnetIds: pulumi.Output<string>[];
    /** The zones of the subnets, in subnet order. */
    readonly zones: pulumi.Output<string[]>;

    constructor(name: string, args: NetworkArgs, opts?: pulumi.ComponentResourceOptions) {
        super("platform:network:Network", name, {}, opts);
        const parent = { parent: this };
        const tagged = (suffix: string, extra: Record<string, string> = {}) => ({
            ...args.tags,
            Name: `${args.cluster}-${suffix}`,
            ...extra,
        });
        const scope = pulumi.output(args.scope);

        const vpc = new aws.ec2.Vpc(
            `${name}-vpc`,
            {
                cidrBlock: args.vpcCidr,
                enableDnsSupport: true,
                enableDnsHostnames: true,
                tags: tagged("vpc"),
            },
            // Everything of the region lives in it: a change that would replace or delete it stops.
            { parent: this, protect: args.protect },
        );

        // Takes over the VPC's default security group and leaves it without rules, so nothing can
        // use it by accident (CIS AWS 5.4).
        new aws.ec2.DefaultSecurityGroup(`${name}-default-sg`, { vpcId: vpc.id, tags: tagged("default-deny") }, parent);

        const zones = aws.getAvailabilityZonesOutput(
            {
                state: "available",
                excludeZoneIds: [...EKS_UNSUPPORTED_ZONE_IDS],
                filters: [{ name: "opt-in-status", values: ["opt-in-not-required"] }],
            },
            parent,
        );
        const zone = (i: number) =>
            zones.names.apply((names) => {
                if (names.length <= i)
                    throw new Error(`${name}: the region offers ${names.length} usable Availability Zones, the stack asks for ${i + 1}`);
                return names[i];
            });

        const igw = new aws.ec2.InternetGateway(`${name}-igw`, { vpcId: vpc.id, tags: tagged("igw") }, parent);
        const publicRoutes = new aws.ec2.RouteTable(
            `${name}-public`,
            {
                vpcId: vpc.id,
                routes: [{ cidrBlock: "0.0.0.0/0", gatewayId: igw.id }],
                tags: tagged("public"),
            },
            parent,
        );

        const publicSubnets = args.subnets.public.map((cidrBlock, i) => {
            const subnet = new aws.ec2.Subnet(
                `${name}-public-${i}`,
                {
                    vpcId: vpc.id,
                    cidrBlock,
                    availabilityZone: zone(i),
                    // NAT gateways use Elastic IPs and load balancers get their own; nothing else in
                    // these subnets may receive a public address.
                    mapPublicIpOnLaunch: false,
                    tags: tagged(`public-${i}`, subnetTags("public", args.cluster)),
                },
                parent,
            );
            new aws.ec2.RouteTableAssociation(`${name}-public-${i}`, { subnetId: subnet.id, routeTableId: publicRoutes.id }, parent);
            return subnet;
        });

        const natCount = args.natGateways === "perAz" ? publicSubnets.length : 1;
        const nats = publicSubnets.slice(0, natCount).map((subnet, i) => {
            const eip = new aws.ec2.Eip(`${name}-nat-${i}`, { domain: "vpc", tags: tagged(`nat-${i}`) }, parent);
            return new aws.ec2.NatGateway(
                `${name}-nat-${i}`,
                {
                    allocationId: eip.id,
                    subnetId: subnet.id,
                    tags: tagged(`nat-${i}`),
                },
                { parent: this, dependsOn: [igw] },
            );
        });

        const privateRouteTables: aws.ec2.RouteTable[] = [];
        const egress: aws.ec2.RouteTableAssociation[] = [];
        const privateSubnets = args.subnets.private.map((cidrBlock, i) => {
            const subnet = new aws.ec2.Subnet(
                `${name}-private-${i}`,
                {
                    vpcId: vpc.id,
                    cidrBlock,
                    availabilityZone: zone(i),
                    mapPublicIpOnLaunch: false,
                    tags: tagged(`private-${i}`, subnetTags("private", args.cluster)),
                },
                parent,
            );
            // Pods keep their VPC addresses on the way out (no masquerading in ENI mode), so the
            // NAT gateway route must cover the pod subnets too: these are the same subnets.
            const routes = new aws.ec2.RouteTable(
                `${name}-private-${i}`,
                {
                    vpcId: vpc.id,
                    routes: pulumi
                        .all([nats[Math.min(i, nats.length - 1)].id, pulumi.output(args.peerRoutes ?? [])])
                        .apply(([natGatewayId, peers]) => [{ cidrBlock: "0.0.0.0/0", natGatewayId }, ...peers]),
                    tags: tagged(`private-${i}`),
                },
                parent,
            );
            egress.push(
                new aws.ec2.RouteTableAssociation(`${name}-private-${i}`, { subnetId: subnet.id, routeTableId: routes.id }, parent),
            );
            privateRouteTables.push(routes);
            return subnet;
        });

        new aws.ec2.VpcEndpoint(
            `${name}-s3`,
            {
                vpcId: vpc.id,
                serviceName: scope.apply((s) => `com.amazonaws.${s.region}.s3`),
                vpcEndpointType: "Gateway",
                routeTableIds: privateRouteTables.map((table) => table.id),
                tags: tagged("s3"),
            },
            parent,
        );

        const logGroup = new aws.cloudwatch.LogGroup(
            `${name}-flow-logs`,
            {
                name: args.flowLogGroup,
                retentionInDays: args.flowLogRetentionDays,
                kmsKeyId: args.logsKeyArn,
                tags: tagged("flow-logs"),
            },
            { parent: this, protect: args.protect },
        );
        const { role } = createRole(
            `${name}-flow-logs`,
            {
                roleName: args.flowLogsRoleName,
                description: `Delivers VPC flow logs of ${args.cluster}`,
                trust: scope.apply((s) =>
                    serviceTrustPolicy("vpc-flow-logs.amazonaws.com", s, {
                        sourceArn: `arn:${s.partition}:ec2:${s.region}:${s.accountId}:vpc-flow-log/*`,
                    }),
                ),
                policies: { "deliver-flow-logs": scope.apply((s) => flowLogsPolicy(s, args.flowLogGroup)) },
                partition: PARTITION,
                tags: tagged("flow-logs"),
            },
            this,
        );
        new aws.ec2.FlowLog(
            `${name}-flow-logs`,
            {
                vpcId: vpc.id,
                trafficType: "ALL",
                logDestinationType: "cloud-watch-logs",
                logDestination: logGroup.arn,
                iamRoleArn: role.arn,
                maxAggregationInterval: 60,
                tags: tagged("flow-logs"),
            },
            parent,
        );

        this.zones = zones.names.apply((names) => names.slice(0, args.subnets.private.length));
        this.vpcId = vpc.id;
        this.privateSubnetIds = privateSubnets.map((subnet) => subnet.id);
        this.publicSubnetIds = publicSubnets.map((subnet) => subnet.id);
        this.egress = egress;
        this.routeTables = privateRouteTables;
        this.registerOutputs({
            vpcId: this.vpcId,
            privateSubnetIds: this.privateSubnetIds,
            publicSubnetIds: this.publicSubnetIds,
            zones: this.zones,
        });
    }
}
