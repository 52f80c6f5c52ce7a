// AWS list prices the cost estimate uses: USD, Linux, on-demand, for the regions the stack files
// use. Kept in the repository, dated, so that an estimate is reproducible and a price change is a
// reviewed diff. Update them from the sources below when a stack adds a region or an instance type
// (the plan names every price it is missing).

/** When the prices below were published by their sources. */
export const PRICES_AS_OF = "2026-07";

export const PRICE_SOURCES = [
    "EC2 us-east-1: aws/karpenter-provider-aws v1.14.1, pkg/providers/pricing/zz_generated.pricing_aws.go (generated 2026-07-06 from the AWS Price List), Graviton and GPU types included",
    "EC2 eu-west-1: skypilot-org/skypilot-catalog catalogs/v8/aws/vms.csv @ 00148f2 (its us-east-1 rows match the line above)",
    "EKS, NAT gateway, EBS gp3, KMS, Network Load Balancer, S3: aws.amazon.com/eks/pricing, /vpc/pricing, /ebs/pricing, /kms/pricing, /elasticloadbalancing/pricing, /s3/pricing, as listed in the AWS Price List (2024-2026)",
    "Spot discount: AWS Spot Instance Advisor, 30-day average savings of m/c/r 6th-7th generation types, large-8xlarge (data of 2025-06)",
] as const;

export interface RegionPrices {
    /** On-demand price per hour, by instance type. */
    readonly instances: Readonly<Record<string, number>>;
    readonly natGatewayHour: number;
    /** Per GB processed: not estimated (it depends on traffic), shown as an assumption. */
    readonly natGatewayGb: number;
    readonly ebsGp3GbMonth: number;
    /** A Network Load Balancer per hour; its capacity units (NLCU) depend on traffic and are not estimated. */
    readonly nlbHour: number;
    /** S3 Standard and S3 Glacier Instant Retrieval per GB-month (first 50 TB); undefined where not yet listed here. */
    readonly s3StandardGbMonth: number;
    readonly s3GlacierIrGbMonth?: number;
    readonly nlcuHour: number;
    /** Average Spot saving against on-demand for the instance families Karpenter's pools use. */
    readonly spotDiscount: number;
}

export const REGION_PRICES: Readonly<Record<string, RegionPrices>> = {
    "us-east-1": {
        instances: {
            "m7i.large": 0.1008,
            "m7i.xlarge": 0.2016,
            "m7i.2xlarge": 0.4032,
            "m7i.4xlarge": 0.8064,
            "m6i.large": 0.096,
            "m6i.xlarge": 0.192,
            "m6i.2xlarge": 0.384,
            "m7a.xlarge": 0.23184,
            "m7a.2xlarge": 0.46368,
            "r7i.large": 0.1323,
            "r7i.xlarge": 0.2646,
            "r7i.2xlarge": 0.5292,
            "r6i.large": 0.126,
            "r6i.2xlarge": 0.504,
            "c7i.xlarge": 0.1785,
            "c7i.2xlarge": 0.357,
            "c6i.xlarge": 0.17,
            // References of the other categories and of Graviton (CATEGORY_REFERENCE).
            "c7g.xlarge": 0.145,
            "m7g.xlarge": 0.1632,
            "r7g.xlarge": 0.2142,
            "t3.xlarge": 0.1664,
            "t4g.xlarge": 0.1344,
            "x2iedn.xlarge": 0.83363,
            "x2gd.xlarge": 0.334,
            "z1d.xlarge": 0.372,
            "i4i.xlarge": 0.343,
            "i4g.xlarge": 0.30888,
            "d3.xlarge": 0.499,
            "g6.xlarge": 0.8048,
            "g5g.xlarge": 0.42,
            "p5.48xlarge": 55.04,
        },
        natGatewayHour: 0.045,
        natGatewayGb: 0.045,
        ebsGp3GbMonth: 0.08,
        nlbHour: 0.0225,
        s3StandardGbMonth: 0.023,
        s3GlacierIrGbMonth: 0.004,
        nlcuHour: 0.006,
        spotDiscount: 0.6,
    },
    "eu-west-1": {
        instances: {
            "m7i.large": 0.11235,
            "m7i.xlarge": 0.2247,
            "m7i.2xlarge": 0.4494,
            "m7i.4xlarge": 0.8988,
            "m6i.large": 0.107,
            "m6i.xlarge": 0.214,
            "m6i.2xlarge": 0.428,
            "m7a.xlarge": 0.2584,
            "m7a.2xlarge": 0.5168,
            "r7i.large": 0.14805,
            "r7i.xlarge": 0.2961,
            "r7i.2xlarge": 0.5922,
            "r6i.large": 0.141,
            "r6i.2xlarge": 0.564,
            "c7i.xlarge": 0.19152,
            "c7i.2xlarge": 0.38304,
            "c6i.xlarge": 0.1824,
        },
        natGatewayHour: 0.048,
        natGatewayGb: 0.048,
        ebsGp3GbMonth: 0.088,
        nlbHour: 0.0252,
        s3StandardGbMonth: 0.023,
        nlcuHour: 0.006,
        spotDiscount: 0.54,
    },
};

/** EKS control plane per cluster-hour, by upgrade policy (extended support adds $0.50). */
export const EKS_CLUSTER_HOUR = { STANDARD: 0.1, EXTENDED: 0.6 } as const;
/** A customer managed KMS key per month (API requests not included). */
export const KMS_KEY_MONTH = 1;
/** Hours in the average month, as AWS bills them. */
export const HOURS_PER_MONTH = 730;

/**
 * The instance type whose on-demand price per vCPU stands for each Karpenter category, by
 * architecture: the current generation's xlarge (Intel on amd64, Graviton on arm64; the GPU
 * categories' smallest current NVIDIA type). Pools mix families and sizes; this is the assumption
 * the plan states. A category without a reference on an architecture is reported, not guessed.
 */
export const CATEGORY_REFERENCE: Readonly<Record<"amd64" | "arm64", Readonly<Record<string, { type: string; vcpus: number }>>>> = {
    amd64: {
        c: { type: "c7i.xlarge", vcpus: 4 },
        m: { type: "m7i.xlarge", vcpus: 4 },
        r: { type: "r7i.xlarge", vcpus: 4 },
        t: { type: "t3.xlarge", vcpus: 4 },
        x: { type: "x2iedn.xlarge", vcpus: 4 },
        z: { type: "z1d.xlarge", vcpus: 4 },
        i: { type: "i4i.xlarge", vcpus: 4 },
        d: { type: "d3.xlarge", vcpus: 4 },
        g: { type: "g6.xlarge", vcpus: 4 },
        p: { type: "p5.48xlarge", vcpus: 192 },
    },
    arm64: {
        c: { type: "c7g.xlarge", vcpus: 4 },
        m: { type: "m7g.xlarge", vcpus: 4 },
        r: { type: "r7g.xlarge", vcpus: 4 },
        t: { type: "t4g.xlarge", vcpus: 4 },
        x: { type: "x2gd.xlarge", vcpus: 4 },
        i: { type: "i4g.xlarge", vcpus: 4 },
        g: { type: "g5g.xlarge", vcpus: 4 },
    },
};
