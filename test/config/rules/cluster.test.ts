// The version lock, derived physical names and cluster access, one broken property at a time.
import { KUBERNETES_WINDOW } from "../../../stacks/config/catalog";
import * as assert from "node:assert/strict";
import { expectProblem, problems } from "../../fixtures";

describe("stack file validation", () => {
    describe("version lock", () => {
        it("rejects an unquoted Kubernetes version that YAML read as a number", () => {
            expectProblem(
                problems("staging", (s) => (s.versions.kubernetes = 1.3)),
                "versions.kubernetes",
                "quoted",
                "1.3",
            );
        });

        it("rejects Kubernetes versions outside the supported window", () => {
            const tooOld = `1.${Number(KUBERNETES_WINDOW.oldest.split(".")[1]) - 1}`;
            const tooNew = `1.${Number(KUBERNETES_WINDOW.newest.split(".")[1]) + 1}`;
            for (const version of [tooOld, tooNew]) {
                const found = problems("staging", (s) => (s.versions.kubernetes = version));
                expectProblem(found, "versions.kubernetes", `"${version}" is outside the supported window`);
            }
            expectProblem(
                problems("staging", (s) => (s.versions.kubernetes = "latest")),
                "versions.kubernetes",
                "Kubernetes minor",
            );
        });

        it("rejects an AMI release of another Kubernetes minor", () => {
            expectProblem(
                problems("staging", (s) => (s.versions.nodeAmiRelease = "1.34.9-20260714")),
                "versions.nodeAmiRelease",
                "for Kubernetes 1.34, not 1.35",
            );
        });

        it("rejects ranges and latest for charts and add-ons, and missing pins", () => {
            expectProblem(
                problems("staging", (s) => (s.versions.charts.cilium = "^1.20.0")),
                "versions.charts.cilium",
                "exact",
                "^1.20.0",
            );
            expectProblem(
                problems("staging", (s) => (s.versions.addons.coredns = "latest")),
                "versions.addons.coredns",
                "exact",
                "latest",
            );
            expectProblem(
                problems("staging", (s) => delete s.versions.addons["aws-ebs-csi-driver"]),
                "versions.addons.aws-ebs-csi-driver",
                "required",
            );
        });
    });

    describe("derived physical names", () => {
        it("rejects a name that makes an IAM role name longer than 64 characters", () => {
            const found = problems("staging", (s) => (s.name = "a-very-long-platform-name-for-roles"));
            expectProblem(found, "regions[0]", "IAM role", "characters; IAM allows 64", "cilium-operator");
        });

        it("rejects an EKS cluster name longer than 100 characters", () => {
            const found = problems("staging", (s) => (s.regions[0].clusterName = "c".repeat(101)));
            expectProblem(found, "regions[0].clusterName", "EKS cluster names are 1-100");
        });

        it("rejects a cluster name that makes the backup bucket name invalid for S3", () => {
            const found = problems("staging", (s) => (s.regions[0].clusterName = "Platform-Staging"));
            expectProblem(found, "regions[0].clusterName", "backup bucket", "lowercase");
        });
    });

    describe("cluster access", () => {
        it("requires an allowlist for a public endpoint and never accepts the whole internet", () => {
            expectProblem(
                problems("staging", (s) => (s.cluster.endpoint = { public: true })),
                "cluster.endpoint.allowedCidrs",
            );
            expectProblem(
                problems("staging", (s) => (s.cluster.endpoint = { public: true, allowedCidrs: ["0.0.0.0/0"] })),
                "cluster.endpoint.allowedCidrs[0]",
                '"0.0.0.0/0"',
                "internet",
            );
        });

        it("accepts only public unicast blocks in the public endpoint's allowlist, each refusal naming the block", () => {
            const blocks = [
                ["10.0.0.0/8", "private 10.0.0.0/8"],
                ["172.20.0.0/16", "private 172.16.0.0/12"],
                ["192.168.1.0/24", "private 192.168.0.0/16"],
                ["127.0.0.1/32", "loopback"],
                ["169.254.169.254/32", "link-local"],
                ["100.64.0.0/10", "carrier-grade NAT"],
                ["224.0.0.0/4", "multicast"],
                ["240.0.0.0/4", "reserved"],
                ["203.0.113.0/24", "documentation"],
                ["8.0.0.0/6", "private 10.0.0.0/8"],
            ];
            const found = problems("staging", (s) => (s.cluster.endpoint = { public: true, allowedCidrs: blocks.map(([b]) => b) }));
            blocks.forEach(([block, range], i) =>
                expectProblem(found, `cluster.endpoint.allowedCidrs[${i}]`, `"${block}"`, "not public address space", range),
            );
            assert.deepEqual(
                problems("staging", (s) => (s.cluster.endpoint = { public: true, allowedCidrs: ["198.51.99.0/24", "52.94.76.0/22"] })),
                [],
            );
            const many = Array.from({ length: 41 }, (_, i) => `52.${i}.0.0/16`);
            expectProblem(
                problems("staging", (s) => (s.cluster.endpoint = { public: true, allowedCidrs: many })),
                "cluster.endpoint.allowedCidrs",
                "41 blocks",
                "at most 40",
            );
        });

        it("rejects malformed and doubly listed access roles", () => {
            expectProblem(
                problems("staging", (s) => (s.cluster.access.admins = ["arn:aws:iam::1234:role/x"])),
                "cluster.access.admins[0]",
                "not an IAM role ARN",
            );
            const found = problems("staging", (s) => (s.cluster.access.viewers = [...s.cluster.access.admins]));
            expectProblem(found, "cluster.access.viewers[0]", "is already cluster.access.admins[0]");
        });

        it("validates the pipeline's roles like the others, and never as a second entry for a role", () => {
            expectProblem(
                problems("staging", (s) => (s.cluster.access.deployRole = "platform-deploy")),
                "cluster.access.deployRole",
                "not an IAM role ARN",
            );
            expectProblem(
                problems("staging", (s) => (s.cluster.access.previewRole = s.cluster.access.deployRole)),
                "cluster.access.previewRole",
                "is already cluster.access.deployRole",
            );
            expectProblem(
                problems("staging", (s) => (s.cluster.access.deployRole = s.cluster.access.admins[0])),
                "cluster.access.deployRole",
                "is already cluster.access.admins[0]",
            );
        });
    });

    describe("pipeline", () => {
        it("requires the repository and the GitHub connection the runners register through", () => {
            const found = problems("staging", (s) => delete s.pipeline);
            expectProblem(found, "pipeline", "required");
        });

        it("rejects a repository, a connection or a runner region it cannot use, all at once", () => {
            const found = problems("prod", (s) => {
                s.pipeline.repository = "git@github.com:example-org/platform.git";
                s.pipeline.connectionArn = "arn:aws:secretsmanager:us-east-1:444455556666:secret:github";
                s.pipeline.runnerRegion = "ap-south-1";
            });
            expectProblem(found, "pipeline.repository", "https://github.com/<owner>/<repository>", "git@github.com");
            expectProblem(found, "pipeline.connectionArn", "CodeConnections", "secretsmanager");
            expectProblem(found, "pipeline.runnerRegion", '"ap-south-1" is not a region of this stack', "us-east-1");
        });

        it("accepts connections under the older codestar-connections prefix, and any region of the stack as runner region", () => {
            const found = problems("prod", (s) => {
                s.pipeline.connectionArn = s.pipeline.connectionArn.replace(":codeconnections:", ":codestar-connections:");
                s.pipeline.runnerRegion = s.regions[1].region;
            });
            assert.deepEqual(found, []);
        });
    });
});
