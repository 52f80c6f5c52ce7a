// The control plane, the network of each region, and promotion between stacks.
import { z } from "zod";
import { cidr, described, retentionDays } from "./common";

export const roleArn = z
    .string()
    .regex(
        /^arn:aws[a-z-]*:iam::\d{12}:role\/([\w+=,.@-]+\/)*[\w+=,.@-]{1,64}$/,
        "not an IAM role ARN (arn:aws:iam::<account>:role/<path/><name>)",
    );

const endpoint = z.discriminatedUnion("public", [
    z.strictObject({ public: z.literal(false) }),
    z.strictObject({
        public: z.literal(true),
        allowedCidrs: described(
            z.array(cidr).min(1, "a public endpoint needs an explicit CIDR allowlist"),
            "CIDRs allowed to reach the public endpoint",
        ),
    }),
]);

export const cluster = z.strictObject({
    endpoint: described(
        endpoint.default({ public: false }),
        "API endpoint: { public: false } (private only) or { public: true, allowedCidrs: [...] }; the private endpoint is always on",
    ),
    logRetentionDays: described(retentionDays.default(365), "Retention of the control-plane log group"),
    deletionProtection: described(z.boolean().default(true), "EKS deletion protection on the cluster"),
    supportType: described(
        z.enum(["STANDARD", "EXTENDED"]).default("STANDARD"),
        "EKS upgrade policy: STANDARD upgrades at end of standard support; EXTENDED pays for extended support",
    ),
    access: described(
        z
            .strictObject({
                admins: described(z.array(roleArn).default([]), "IAM roles granted AmazonEKSClusterAdminPolicy"),
                viewers: described(z.array(roleArn).default([]), "IAM roles granted AmazonEKSViewPolicy"),
                deployRole: described(
                    roleArn.optional(),
                    "The pipeline's deploy role, which CI assumes for pulumi up: granted AmazonEKSClusterAdminPolicy; required by npm run delivery",
                ),
                previewRole: described(
                    roleArn.optional(),
                    "The pipeline's preview role, which CI assumes for pulumi preview --refresh: AmazonEKSViewPolicy plus read access to what the platform manages; required by npm run delivery",
                ),
            })
            .prefault({}),
        "Access entries (API authentication mode; nothing is mapped to system:masters)",
    ),
});

export const natGateways = z.enum(["perAz", "single"]);

export const network = z.strictObject({
    availabilityZones: described(z.number().int().min(1).max(6).default(3), "Availability Zones per region"),
    minAvailabilityZones: described(z.number().int().min(2, "must be at least 2").default(2), "Fewest Availability Zones a region may use"),
    natGateways: described(natGateways.default("perAz"), "perAz (one NAT gateway per zone) or single"),
    flowLogRetentionDays: described(retentionDays.default(365), "Retention of the VPC flow log group"),
});

const subnetId = z.string().regex(/^subnet-[0-9a-f]{8,17}$/, "not a subnet ID");

const existingVpc = z.strictObject({
    vpcId: described(z.string().regex(/^vpc-[0-9a-f]{8,17}$/, "not a VPC ID"), "ID of the VPC"),
    privateSubnetIds: described(z.array(subnetId).min(1), "Private subnets for nodes, pods and the control plane, one per zone"),
    publicSubnetIds: described(z.array(subnetId).default([]), "Public subnets for internet-facing load balancers"),
});

export const region = z.strictObject({
    region: described(z.string(), "AWS region code"),
    vpcCidr: described(cidr, "VPC CIDR (/16 to /19). Pods take addresses from it (Cilium ENI mode)"),
    serviceCidr: described(cidr, "Kubernetes service range: RFC 1918, /12 to /24, outside every VPC of the stack"),
    ciliumClusterId: described(z.number().int(), "Cilium cluster ID, 1..127, unique across the fleet"),
    clusterName: described(z.string().optional(), "EKS cluster name; default name-environment-region"),
    availabilityZones: described(z.number().int().min(1).max(6).optional(), "Overrides network.availabilityZones"),
    natGateways: described(natGateways.optional(), "Overrides network.natGateways"),
    existingVpc: described(existingVpc.optional(), "Use this VPC instead of creating one (vpcCidr must be its primary CIDR)"),
});

/** A stack name as `pulumi stack` accepts it. */
const stackName = z.string().regex(/^[A-Za-z0-9_.-]+$/, "must be a stack name such as staging");

export const promotion = z.strictObject({
    from: described(
        stackName.optional(),
        "Stack whose version lock this stack takes (npm run promote -- <from> <this>); this stack may never pin what that one does not run",
    ),
    requireDeployedLock: described(
        z.boolean().default(true),
        "At pulumi up/preview, refuse to run unless the `from` stack's deployed lock (its `versions` output) equals this stack's lock. Not checked offline",
    ),
    stackReference: described(
        z
            .string()
            .regex(/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/, "must be organization/project/stack")
            .optional(),
        "Fully qualified name of the `from` stack; default <this stack's organization>/<project>/<from>",
    ),
});
