// Every validation rule of the stack file, one broken property at a time, plus the promise that
// all problems are reported together, each with its path and offending value.
import * as assert from "node:assert/strict";
import { resolveStackConfig } from "../../stacks/config/config";
import { KUBERNETES_WINDOW } from "../../stacks/config/catalog";
import type { Problem } from "../../stacks/config/problems";
import { STACKS, type Settings, problems, rawConfig, render, settingsOf } from "../fixtures";

/** Asserts a problem at exactly `path` whose message mentions every fragment. */
function expectProblem(found: readonly Problem[], path: string, ...fragments: string[]): void {
    const match = found.find((p) => p.path === path && fragments.every((f) => p.message.includes(f)));
    assert.ok(match, `expected a problem at ${path} mentioning ${fragments.join(" & ")}; got:\n${render(found)}`);
}

describe("stack file validation", () => {
    for (const stack of STACKS) {
        it(`accepts the ${stack} stack file as committed`, () => {
            const config = resolveStackConfig(rawConfig(settingsOf(stack)));
            assert.equal(config.environment, stack);
            assert.ok(config.regions.length > 0);
        });
    }

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

    describe("node groups", () => {
        it("rejects sizes out of order", () => {
            expectProblem(
                problems("staging", (s) => Object.assign(s.nodeGroups.general, { minSize: 3, desiredSize: 2, maxSize: 6 })),
                "nodeGroups.general",
                "minSize <= desiredSize <= maxSize",
                "3 / 2 / 6",
            );
            expectProblem(
                problems("staging", (s) => Object.assign(s.nodeGroups.memory, { minSize: 1, desiredSize: 4, maxSize: 3 })),
                "nodeGroups.memory",
                "1 / 4 / 3",
            );
        });

        it("rejects non-positive sizes", () => {
            expectProblem(
                problems("staging", (s) => (s.nodeGroups.memory.minSize = 0)),
                "nodeGroups.memory.minSize",
                "0 must be positive",
            );
            expectProblem(
                problems("staging", (s) => (s.nodeGroups.general.maxSize = -1)),
                "nodeGroups.general.maxSize",
                "-1 must be positive",
            );
        });

        it("requires an on-demand system group of at least two nodes", () => {
            expectProblem(
                problems("staging", (s) => (s.nodeGroups.system.capacityType = "SPOT")),
                "nodeGroups.system.capacityType",
                "ON_DEMAND",
            );
            expectProblem(
                problems("staging", (s) => Object.assign(s.nodeGroups.system, { minSize: 1, desiredSize: 1 })),
                "nodeGroups.system.minSize",
                "at least 2 nodes",
            );
        });

        for (const bad of ["m5large", "M5.large", "m.large", "m7i.huge"]) {
            it(`rejects the malformed instance type ${bad}`, () => {
                expectProblem(
                    problems("staging", (s) => (s.nodeGroups.general.instanceTypes = [bad])),
                    "nodeGroups.general.instanceTypes[0]",
                    bad,
                );
            });
        }

        it("rejects a memory group that is not memory-optimised, and mixed architectures", () => {
            expectProblem(
                problems("staging", (s) => (s.nodeGroups.memory.instanceTypes = ["m7i.xlarge"])),
                "nodeGroups.memory.instanceTypes[0]",
                "not memory-optimised",
            );
            expectProblem(
                problems("staging", (s) => (s.nodeGroups.general.instanceTypes = ["m7i.xlarge", "m7g.xlarge"])),
                "nodeGroups.general.instanceTypes[1]",
                '"m7g.xlarge" is not an x86_64 instance type',
            );
        });
    });

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

        it("rejects malformed and doubly listed access roles", () => {
            expectProblem(
                problems("staging", (s) => (s.cluster.access.admins = ["arn:aws:iam::1234:role/x"])),
                "cluster.access.admins[0]",
                "not an IAM role ARN",
            );
            const found = problems("staging", (s) => (s.cluster.access.viewers = [...s.cluster.access.admins]));
            expectProblem(found, "cluster.access.viewers[0]", "is already cluster.access.admins[0]");
        });
    });

    describe("Karpenter pools", () => {
        it("rejects a spot pool with fewer than two instance families", () => {
            expectProblem(
                problems("prod", (s) => (s.karpenter.pools["spot-general"].families = ["m7i"])),
                "karpenter.pools.spot-general.families",
                "at least two instance families",
            );
            expectProblem(
                problems("prod", (s) => (s.karpenter.pools["spot-general"].minFamilies = 1)),
                "karpenter.pools.spot-general.minFamilies",
                "at least two instance families",
            );
        });

        it("rejects families outside the pool's categories or generations, and more required families than listed", () => {
            const found = problems("prod", (s) =>
                Object.assign(s.karpenter.pools["spot-general"], { families: ["c7i", "t3", "m5"], minFamilies: 4 }),
            );
            expectProblem(found, "karpenter.pools.spot-general.families[1]", '"t3" is not in the pool\'s categories');
            expectProblem(found, "karpenter.pools.spot-general.families[2]", '"m5" is older than minGeneration 6');
            expectProblem(found, "karpenter.pools.spot-general.minFamilies", "4 is more than the 3 families listed");
        });

        for (const bad of ["30d", "1w", "720"]) {
            it(`rejects expireAfter "${bad}"`, () => {
                expectProblem(
                    problems("prod", (s) => (s.karpenter.expireAfter = bad)),
                    "karpenter.expireAfter",
                    bad,
                    "no days",
                );
                expectProblem(
                    problems("prod", (s) => (s.karpenter.pools["spot-batch"].expireAfter = bad)),
                    "karpenter.pools.spot-batch.expireAfter",
                    bad,
                );
            });
        }

        it("rejects limits below one node of the pool", () => {
            const found = problems("staging", (s) => (s.karpenter.pools["spot-general"].limits = { cpu: 1, memoryGiB: 2 }));
            expectProblem(found, "karpenter.pools.spot-general.limits.cpu", "1 vCPUs is less than the pool's smallest node (2 vCPUs)");
            expectProblem(found, "karpenter.pools.spot-general.limits.memoryGiB", "2 GiB is less than the pool's smallest node (4 GiB)");
        });

        it("rejects a pool that would take system workloads", () => {
            expectProblem(
                problems("prod", (s) => (s.karpenter.pools["spot-general"].labels = { "platform/node-group": "system" })),
                'karpenter.pools.spot-general.labels["platform/node-group"]',
                "system workloads",
            );
            const tainted = problems(
                "prod",
                (s) => (s.karpenter.pools["spot-batch"].taints = [{ key: "CriticalAddonsOnly", effect: "NoSchedule" }]),
            );
            expectProblem(tainted, "karpenter.pools.spot-batch.taints[0]", "system workloads");
        });

        it("rejects labels in reserved domains, unknown node classes and an on-demand pool ranked above spot", () => {
            expectProblem(
                problems("prod", (s) => (s.karpenter.pools["spot-general"].labels = { "karpenter.sh/capacity-type": "spot" })),
                'karpenter.pools.spot-general.labels["karpenter.sh/capacity-type"]',
                "reserves",
            );
            expectProblem(
                problems("prod", (s) => (s.karpenter.pools["spot-general"].nodeClass = "gpu")),
                "karpenter.pools.spot-general.nodeClass",
                '"gpu" is not a node class',
            );
            expectProblem(
                problems("prod", (s) => (s.karpenter.pools["on-demand-fallback"].weight = 100)),
                "karpenter.pools.on-demand-fallback.weight",
                "at or above spot pool spot-general",
            );
        });

        it("requires a pinned release for Bottlerocket node classes", () => {
            expectProblem(
                problems("prod", (s) => (s.karpenter.nodeClasses.default.os = "bottlerocket")),
                "karpenter.nodeClasses.default.os",
                "versions.bottlerocketRelease",
            );
            assert.deepEqual(
                problems("prod", (s) => {
                    s.karpenter.nodeClasses.default.os = "bottlerocket";
                    s.versions.bottlerocketRelease = "1.49.0";
                }),
                [],
            );
        });

        it("rejects a quiet-hours window that is not a cron schedule and duration", () => {
            const found = problems("prod", (s) => (s.karpenter.quietHours = { schedule: "weekdays", duration: "1d" }));
            expectProblem(found, "karpenter.quietHours.schedule", "cron");
            expectProblem(found, "karpenter.quietHours.duration", "no days");
        });
    });

    describe("GitOps, secrets and policies", () => {
        it("requires SSO where the stack file asks for it", () => {
            expectProblem(
                problems("prod", (s) => delete s.gitops.sso),
                "gitops.sso",
                "single sign-on",
            );
            assert.deepEqual(
                problems("staging", (s) => delete s.gitops.sso),
                [],
                "staging does not require SSO",
            );
        });

        it("rejects secret names External Secrets may not read", () => {
            const found = problems("prod", (s) => (s.gitops.repository.credentialsSecretName = "staging/argocd/gitops-repository"));
            expectProblem(found, "gitops.repository.credentialsSecretName", '"staging/argocd/gitops-repository" is outside "prod/"');
            expectProblem(
                problems("prod", (s) => (s.gitops.sso.clientSecretName = "shared/oidc")),
                "gitops.sso.clientSecretName",
                "outside",
            );
        });

        it("rejects a plain-text client secret in place of its Secrets Manager name", () => {
            const found = problems("prod", (s) => (s.gitops.sso.clientSecret = "0oa1b2c3d4e5f6g7h8i9"));
            expectProblem(found, "gitops.sso.clientSecret", "plain text");
            expectProblem(found, "gitops.sso.clientSecret", "unknown setting");
        });

        it("rejects team access to any repository, bad namespace patterns, registries with scheme or wildcard, unknown actions", () => {
            expectProblem(
                problems("prod", (s) => (s.gitops.teams.sourceRepos = ["*"])),
                "gitops.teams.sourceRepos[0]",
                "any repository",
            );
            expectProblem(
                problems("prod", (s) => (s.secrets.allowedNamespacePatterns = ["^team-("])),
                "secrets.allowedNamespacePatterns[0]",
                "not a regular expression",
            );
            expectProblem(
                problems("prod", (s) => (s.policies.allowedRegistries.registries = ["https://docker.io"])),
                "policies.allowedRegistries.registries[0]",
                "without scheme",
            );
            expectProblem(
                problems("prod", (s) => (s.policies.allowedRegistries.registries = ["*"])),
                "policies.allowedRegistries.registries[0]",
                "wildcard",
            );
            expectProblem(
                problems("prod", (s) => (s.policies.requireProbes = "Warn")),
                "policies.requireProbes",
                "Warn",
            );
        });
    });

    describe("monitoring and backups", () => {
        it("rejects monitoring secrets outside the environment's prefix and a retention size the volume cannot hold", () => {
            expectProblem(
                problems("prod", (s) => (s.monitoring.pagingWebhookSecretName = "shared/pager")),
                "monitoring.pagingWebhookSecretName",
                "outside",
            );
            expectProblem(
                problems("prod", (s) => (s.monitoring.retentionSize = "200GB")),
                "monitoring.retentionSize",
                '"200GB" does not fit a 100 GiB volume',
            );
        });

        it("requires a daily backup, TTLs of at least a day, and a second region for cross-region copies", () => {
            expectProblem(
                problems("staging", (s) => (s.backups.schedules = { weekly: { cron: "0 4 * * 0", ttl: "720h" } })),
                "backups.schedules",
                "every day",
            );
            expectProblem(
                problems("staging", (s) => (s.backups.schedules.daily.ttl = "12h")),
                "backups.schedules.daily.ttl",
                "less than a day",
            );
            expectProblem(
                problems("staging", (s) => (s.backups.schedules.daily.ttl = "30d")),
                "backups.schedules.daily.ttl",
                "no days",
            );
            expectProblem(
                problems("staging", (s) => (s.backups.crossRegion = true)),
                "backups.crossRegion",
                "second region",
            );
        });

        it("rejects images on the latest tag or without a tag", () => {
            expectProblem(
                problems("prod", (s) => (s.versions.images.restoreDrill = "alpine/k8s:latest")),
                "versions.images.restoreDrill",
                "latest",
            );
            expectProblem(
                problems("prod", (s) => (s.versions.images.veleroAwsPlugin = "velero/velero-plugin-for-aws")),
                "versions.images.veleroAwsPlugin",
                "tag or digest",
            );
        });
    });

    describe("unknown and malformed settings", () => {
        it("names unknown keys, top-level and nested, with what is allowed", () => {
            expectProblem(
                problems("staging", (s) => (s.regionz = [])),
                "regionz",
                "unknown setting",
            );
            const found = problems("staging", (s) => (s.nodeGroups.system.minsize = 2));
            expectProblem(found, "nodeGroups.system.minsize", "unknown setting", "minSize");
        });

        it("rejects tags that redefine the platform's own", () => {
            expectProblem(
                problems("staging", (s) => (s.tags = { environment: "prod" })),
                "tags.environment",
                "set by the platform",
            );
        });
    });

    describe("secrets", () => {
        it("rejects a secret given in plain text, without echoing it", () => {
            const found = problems("staging", () => undefined, { other: { "aws:secretKey": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY" } });
            expectProblem(found, "aws:secretKey", "wJal****", "plain text");
            assert.ok(!render(found).includes("wJalrXUtnFEMI/K7MDENG"), "the secret itself must not be printed");
        });

        it("finds credentials by their shape in any setting", () => {
            const found = problems("staging", (s) => (s.tags = { note: "AKIAIOSFODNN7EXAMPLE" }));
            expectProblem(found, "tags.note", "AWS access key ID");
        });

        it("accepts the same value when Pulumi holds it encrypted", () => {
            const found = problems("staging", () => undefined, {
                other: { "aws:secretKey": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY" },
                secretKeys: ["aws:secretKey"],
            });
            assert.deepEqual(found, []);
        });
    });

    it("reports every problem of a badly broken stack file at once", () => {
        const found = problems("prod", (s: Settings) => {
            s.regions[1].vpcCidr = s.regions[0].vpcCidr;
            s.regions[1].region = "mars-1";
            s.versions.kubernetes = 1.35;
            s.nodeGroups.general.desiredSize = 99;
            s.nodeGroups.system.instanceTypes = ["m7i.largest"];
            s.network.minAvailabilityZones = 4;
        });
        for (const path of [
            "regions[1].vpcCidr",
            "regions[1].region",
            "versions.kubernetes",
            "nodeGroups.general",
            "nodeGroups.system.instanceTypes[0]",
            "network.availabilityZones",
        ]) {
            assert.ok(
                found.some((p) => p.path === path),
                `missing ${path} in:\n${render(found)}`,
            );
        }
    });
});
