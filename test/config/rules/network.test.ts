// The network rules, one broken property at a time: CIDR blocks, regions and zones.
import { expectProblem, problems } from "../../fixtures";

describe("stack file validation", () => {
    describe("CIDR blocks", () => {
        for (const [bad, why] of [
            ["10.0.0.0/33", "prefix"],
            ["10.0.0.1/16", "host bits"],
            ["10.0.0/16", "not an IPv4 CIDR"],
            ["010.0.0.0/16", "not an IPv4 CIDR"],
        ]) {
            it(`rejects the malformed VPC CIDR ${bad}`, () => {
                expectProblem(
                    problems("staging", (s) => (s.regions[0].vpcCidr = bad)),
                    "regions[0].vpcCidr",
                    why,
                    bad,
                );
            });
        }

        it("rejects VPC CIDRs that overlap across the stack's regions", () => {
            const found = problems("prod", (s) => (s.regions[1].vpcCidr = "10.20.128.0/17"));
            expectProblem(found, "regions[1].vpcCidr", "10.20.128.0/17 overlaps regions[0].vpcCidr 10.20.0.0/16");
        });

        it("rejects a VPC too small to hold pod addresses, or outside private ranges", () => {
            expectProblem(
                problems("staging", (s) => (s.regions[0].vpcCidr = "10.10.0.0/22")),
                "regions[0].vpcCidr",
                "/16 to /19",
            );
            expectProblem(
                problems("staging", (s) => (s.regions[0].vpcCidr = "52.10.0.0/16")),
                "regions[0].vpcCidr",
                "not a private range",
            );
        });

        it("rejects a service range that overlaps a VPC of the stack", () => {
            const found = problems("prod", (s) => (s.regions[0].serviceCidr = "10.30.0.0/16"));
            expectProblem(found, "regions[0].serviceCidr", "overlaps regions[1].vpcCidr 10.30.0.0/16");
        });

        it("rejects service ranges EKS refuses and service ranges shared by two regions", () => {
            expectProblem(
                problems("staging", (s) => (s.regions[0].serviceCidr = "100.64.0.0/16")),
                "regions[0].serviceCidr",
                "10.0.0.0/8",
            );
            expectProblem(
                problems("staging", (s) => (s.regions[0].serviceCidr = "172.16.0.0/28")),
                "regions[0].serviceCidr",
                "/12 to /24",
            );
            expectProblem(
                problems("prod", (s) => (s.regions[1].serviceCidr = "172.20.0.0/16")),
                "regions[1].serviceCidr",
                "overlaps regions[0].serviceCidr",
            );
        });
    });

    describe("regions and zones", () => {
        it("rejects unknown and duplicate regions", () => {
            expectProblem(
                problems("staging", (s) => (s.regions[0].region = "us-east-9")),
                "regions[0].region",
                '"us-east-9"',
                "not an AWS commercial region",
            );
            const found = problems("prod", (s) => (s.regions[1].region = "us-east-1"));
            expectProblem(found, "regions[1].region", '"us-east-1" is already regions[0].region');
        });

        it("rejects fewer than two zones and fewer than the stack's minimum", () => {
            expectProblem(
                problems("staging", (s) => (s.network.availabilityZones = 1)),
                "network.availabilityZones",
                "1 Availability Zone(s)",
                "at least 2",
            );
            expectProblem(
                problems("staging", (s) => (s.network.minAvailabilityZones = 1)),
                "network.minAvailabilityZones",
                "at least 2",
            );
            const found = problems("prod", (s) => (s.regions[1].availabilityZones = 2));
            expectProblem(found, "regions[1].availabilityZones", "2 Availability Zone(s)", "at least 3");
        });

        it("rejects more zones than EKS can use in the region", () => {
            const found = problems("staging", (s) => {
                s.regions[0].region = "us-west-1";
                s.network.availabilityZones = 3;
            });
            expectProblem(found, "network.availabilityZones", "EKS can use 2 in us-west-1");
        });

        it("rejects Cilium cluster IDs outside 1..127 or used twice", () => {
            expectProblem(
                problems("staging", (s) => (s.regions[0].ciliumClusterId = 200)),
                "regions[0].ciliumClusterId",
                "200",
                "ENI",
            );
            expectProblem(
                problems("prod", (s) => (s.regions[1].ciliumClusterId = 11)),
                "regions[1].ciliumClusterId",
                "11 is already used by regions[0].ciliumClusterId",
            );
        });

        it("rejects an existing VPC with fewer private subnets than the zone minimum", () => {
            const found = problems(
                "prod",
                (s) =>
                    (s.regions[0].existingVpc = {
                        vpcId: "vpc-0123456789abcdef0",
                        privateSubnetIds: ["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"],
                    }),
            );
            expectProblem(found, "regions[0].existingVpc.privateSubnetIds", "2 Availability Zone(s)", "at least 3");
        });
    });
});
