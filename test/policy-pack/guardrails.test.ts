// The policy pack, run offline the way the engine runs it: every policy's validate function on the
// resources of each committed stack's plan (which must pass), and on a copy of one of them broken
// the way the policy exists to catch (which must not).
import * as assert from "node:assert/strict";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import * as path from "node:path";
import type { PolicyResource, ResourceValidationArgs, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { GUARDRAILS } from "../../stacks/policy-pack/guardrails";
import { POLICY_PACK, policyPackConfig } from "../../stacks/delivery/delivery";
import type { RecordedResource } from "../../stacks/plan/resources";
import { ROOT, STACKS, evaluated, settingsOf } from "../fixtures";

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- resource properties are free-form
type Props = Record<string, any>;

/** Recorded resources as the policy SDK presents them to a stack policy. */
function policyResources(recorded: readonly RecordedResource[]): PolicyResource[] {
    const byUrn = new Map<string, PolicyResource>();
    const resources = recorded.map((r) => {
        const resource = {
            type: r.type,
            name: r.name,
            urn: r.urn,
            props: structuredClone(r.inputs),
            opts: {
                protect: r.protect,
                ignoreChanges: [...r.ignoreChanges],
                aliases: [],
                customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
                additionalSecretOutputs: [],
                parent: r.parent,
            },
            dependencies: [] as PolicyResource[],
            propertyDependencies: {},
            parent: undefined as PolicyResource | undefined,
            isType: () => false,
            asType: () => undefined,
        } as PolicyResource;
        byUrn.set(r.urn, resource);
        return resource;
    });
    resources.forEach((resource, i) => {
        resource.dependencies = recorded[i].dependencies.flatMap((urn) => byUrn.get(urn) ?? []);
        resource.parent = byUrn.get(recorded[i].parent);
    });
    return resources;
}

const policy = (name: string) => {
    const found = GUARDRAILS.find((p) => p.name === name);
    assert.ok(found, `no policy ${name}`);
    return found;
};

/** Violations one policy reports for a set of resources. */
function violations(name: string, resources: readonly PolicyResource[]): string[] {
    const found: string[] = [];
    const rule = policy(name);
    if ("validateStack" in rule) {
        void (rule as StackValidationPolicy).validateStack(
            { resources: [...resources], stackTags: new Map(), getConfig: () => ({}) } as never,
            (message) => found.push(message),
        );
        return found;
    }
    const validate = (rule as ResourceValidationPolicy).validateResource;
    for (const resource of resources) {
        const args = {
            ...resource,
            stackTags: new Map(),
            isType: () => false,
            asType: () => undefined,
            getConfig: () => ({}),
            notApplicable: () => {
                throw new Error("not applicable");
            },
        } as unknown as ResourceValidationArgs;
        for (const fn of Array.isArray(validate) ? validate : validate ? [validate] : [])
            void fn(args, (message) => found.push(`${resource.name}: ${message}`));
    }
    return found;
}

const ofType = (resources: readonly PolicyResource[], type: string) => resources.filter((r) => r.type === type);

/** A copy of the first resource of a type, changed by `change`. */
function broken(resources: readonly PolicyResource[], type: string, change: (props: Props) => void): PolicyResource[] {
    const original = ofType(resources, type)[0];
    assert.ok(original, `the plan has a ${type}`);
    const copy = { ...original, props: structuredClone(original.props) };
    change(copy.props);
    return [copy];
}

/**
 * An environment's enforcement levels: its config file, or, for an environment without one, the
 * default file CI passes instead (every policy mandatory).
 */
function enforcement(environment: string): Record<string, string> {
    const dir = path.join(ROOT, "stacks", "policy-pack");
    const own = path.join(dir, `config.${environment}.json`);
    return JSON.parse(readFileSync(existsSync(own) ? own : path.join(dir, "config.default.json"), "utf8")) as Record<string, string>;
}

describe("policy pack", () => {
    const plans = new Map<string, PolicyResource[]>();
    before(async () => {
        for (const stack of STACKS) plans.set(stack, policyResources((await evaluated(stack)).resources));
    });
    const prod = () => plans.get("prod") as PolicyResource[];

    // Each stack is held to its environment's levels, as `pulumi preview --policy-pack-config`
    // holds it: an advisory policy only warns, so a staging change may break it.
    for (const rule of GUARDRAILS) {
        it(`${rule.name}: passes on every resource of every stack where it is mandatory`, () => {
            for (const [stack, resources] of plans) {
                const level = enforcement(settingsOf(stack).environment as string)[rule.name];
                if (level === "mandatory")
                    assert.deepEqual(violations(rule.name, resources), [], `${stack}: ${rule.name} is mandatory in its environment`);
            }
        });
    }

    it("eks-private-endpoint fails on a public endpoint, in the component's inputs or on the cluster itself", () => {
        assert.equal(
            violations(
                "eks-private-endpoint",
                broken(prod(), "eks:index:Cluster", (p) => (p.endpointPublicAccess = true)),
            ).length,
            1,
        );
        assert.equal(
            violations(
                "eks-private-endpoint",
                broken(prod(), "eks:index:Cluster", (p) => delete p.endpointPublicAccess),
            ).length,
            1,
        );
        const cluster = (publicAccess: boolean): PolicyResource[] => [
            {
                ...ofType(prod(), "eks:index:Cluster")[0],
                type: "aws:eks/cluster:Cluster",
                props: { vpcConfig: { endpointPublicAccess: publicAccess, endpointPrivateAccess: true } },
            },
        ];
        assert.deepEqual(violations("eks-private-endpoint", cluster(false)), []);
        assert.match(violations("eks-private-endpoint", cluster(true))[0], /must be private only/);
    });

    it("eks-secrets-encryption fails without a KMS key for secrets", () => {
        assert.equal(
            violations(
                "eks-secrets-encryption",
                broken(prod(), "eks:index:Cluster", (p) => delete p.encryptionConfigKeyArn),
            ).length,
            1,
        );
        const cluster = (props: Props): PolicyResource[] => [
            { ...ofType(prod(), "eks:index:Cluster")[0], type: "aws:eks/cluster:Cluster", props },
        ];
        assert.deepEqual(
            violations(
                "eks-secrets-encryption",
                cluster({ encryptionConfig: { provider: { keyArn: "arn:aws:kms:us-east-1:1:key/k" }, resources: ["secrets"] } }),
            ),
            [],
        );
        assert.equal(violations("eks-secrets-encryption", cluster({})).length, 1);
    });

    it("eks-control-plane-logging fails when a log type is off", () => {
        const found = violations(
            "eks-control-plane-logging",
            broken(
                prod(),
                "eks:index:Cluster",
                (p) => (p.enabledClusterLogTypes = p.enabledClusterLogTypes.filter((t: string) => t !== "audit")),
            ),
        );
        assert.match(found.join(), /control-plane logs audit must be enabled/);
    });

    it("imdsv2-hop-limit-1 fails on a hop limit of 2, optional tokens, or a node group without a launch template", () => {
        assert.match(
            violations(
                "imdsv2-hop-limit-1",
                broken(prod(), "aws:ec2/launchTemplate:LaunchTemplate", (p) => (p.metadataOptions.httpPutResponseHopLimit = 2)),
            ).join(),
            /hop limit of 1/,
        );
        assert.equal(
            violations(
                "imdsv2-hop-limit-1",
                broken(prod(), "kubernetes:karpenter.k8s.aws/v1:EC2NodeClass", (p) => (p.spec.metadataOptions.httpTokens = "optional")),
            ).length,
            1,
        );
        assert.match(
            violations(
                "imdsv2-hop-limit-1",
                broken(prod(), "aws:eks/nodeGroup:NodeGroup", (p) => delete p.launchTemplate),
            ).join(),
            /must use a launch template/,
        );
    });

    it("iam-least-privilege fails on wildcard actions, unconditioned sensitive actions on *, and admin policies", () => {
        const withStatement = (statement: Props) =>
            broken(prod(), "aws:iam/rolePolicy:RolePolicy", (p) => {
                const document = JSON.parse(p.policy);
                document.Statement.push(statement);
                p.policy = JSON.stringify(document);
            });
        assert.match(
            violations(
                "iam-least-privilege",
                withStatement({ Sid: "All", Effect: "Allow", Action: "s3:*", Resource: "arn:aws:s3:::b/*" }),
            ).join(),
            /All: wildcard action s3:\*/,
        );
        assert.match(
            violations(
                "iam-least-privilege",
                withStatement({ Sid: "Pass", Effect: "Allow", Action: ["iam:PassRole"], Resource: "*" }),
            ).join(),
            /Pass: iam:PassRole on every resource \("\*"\) without a condition/,
        );
        assert.match(
            violations(
                "iam-least-privilege",
                withStatement({ Sid: "Read", Effect: "Allow", Action: "secretsmanager:GetSecretValue", Resource: "*" }),
            ).join(),
            /Read: secretsmanager:GetSecretValue/,
        );
        assert.match(
            violations("iam-least-privilege", withStatement({ Sid: "Not", Effect: "Allow", NotAction: "iam:*", Resource: "*" })).join(),
            /Not: Allow with NotAction/,
        );
        assert.deepEqual(
            violations(
                "iam-least-privilege",
                withStatement({ Sid: "Describe", Effect: "Allow", Action: "ec2:DescribeInstances", Resource: "*" }),
            ),
            [],
        );
        assert.deepEqual(violations("iam-least-privilege", withStatement({ Sid: "Deny", Effect: "Deny", Action: "*", Resource: "*" })), []);
        assert.match(
            violations(
                "iam-least-privilege",
                broken(
                    prod(),
                    "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
                    (p) => (p.policyArn = "arn:aws:iam::aws:policy/AdministratorAccess"),
                ),
            ).join(),
            /AdministratorAccess grants far more/,
        );
    });

    it("s3-bucket-protected fails for a bucket without versioning, or with a public access block off", () => {
        const bucket = ofType(prod(), "aws:s3/bucket:Bucket")[0];
        const mine = prod().filter((r) => r === bucket || r.props.bucket === bucket.props.bucket);
        const unversioned = mine.filter((r) => r.type !== "aws:s3/bucketVersioning:BucketVersioning");
        assert.deepEqual(violations("s3-bucket-protected", mine), []);
        assert.deepEqual(violations("s3-bucket-protected", unversioned), [`bucket ${bucket.props.bucket} lacks versioning enabled`]);
        const open = mine.map((r) =>
            r.type === "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
                ? { ...r, props: { ...r.props, restrictPublicBuckets: false } }
                : r,
        );
        assert.deepEqual(violations("s3-bucket-protected", open), [`bucket ${bucket.props.bucket} lacks every public access block on`]);
        const unencrypted = mine.filter((r) => !r.type.includes("ServerSideEncryption"));
        assert.match(violations("s3-bucket-protected", unencrypted).join(), /lacks default encryption with KMS/);
    });

    it("helm-chart-pinned fails on a version range, a missing version, or a plain-http repository", () => {
        const release = "kubernetes:helm.sh/v3:Release";
        assert.equal(
            violations(
                "helm-chart-pinned",
                broken(prod(), release, (p) => (p.version = `^${p.version}`)),
            ).length,
            1,
        );
        assert.equal(
            violations(
                "helm-chart-pinned",
                broken(prod(), release, (p) => delete p.version),
            ).length,
            1,
        );
        const withRepo = ofType(prod(), release).find((r) => r.props.repositoryOpts?.repo) as PolicyResource;
        const insecure = {
            ...withRepo,
            props: {
                ...withRepo.props,
                repositoryOpts: { repo: String(withRepo.props.repositoryOpts.repo).replace("https://", "http://") },
            },
        };
        assert.match(violations("helm-chart-pinned", [insecure]).join(), /must come from an https or oci repository/);
    });

    it("helm-values-no-plaintext-secrets fails on a credential by key or by form, and accepts references to Secrets", () => {
        const grafana = (change: (values: Props) => void) => {
            const release = ofType(prod(), "kubernetes:helm.sh/v3:Release").find((r) => r.props.values?.grafana) as PolicyResource;
            const copy = { ...release, props: structuredClone(release.props) };
            change(copy.props.values);
            return violations("helm-values-no-plaintext-secrets", [copy]);
        };
        assert.match(
            grafana((v) => (v.grafana.adminPassword = "correct-horse")).join(),
            /values\.grafana\.adminPassword holds a credential in plain text/,
        );
        assert.match(
            grafana((v) => (v.grafana.env = { AWS_KEY: "AKIAIOSFODNN7EXAMPLE" })).join(),
            /values\.grafana\.env\.AWS_KEY contains an AWS access key ID/,
        );
        assert.match(
            grafana((v) => (v.alertmanager.config = { global: { slack_api_url: "https://hooks.slack.com/services/T0/B0/x" } })).join(),
            /slack_api_url holds a credential/,
        );
        assert.deepEqual(
            grafana((v) => (v.grafana.admin = { existingSecret: "grafana-admin", passwordKey: "password" })),
            [],
        );
    });

    it("is a pack Pulumi can load: PulumiPolicy.yaml, and a package.json with the version PolicyPack reads", () => {
        const dir = path.join(ROOT, "stacks", "policy-pack");
        assert.match(readFileSync(path.join(dir, "PulumiPolicy.yaml"), "utf8"), /^runtime: nodejs$/m);
        const pkg = JSON.parse(readFileSync(path.join(dir, "package.json"), "utf8")) as { version?: string; main?: string };
        assert.match(String(pkg.version), /^\d+\.\d+\.\d+$/);
        assert.ok(existsSync(path.join(dir, String(pkg.main))));
        assert.match(
            readFileSync(path.join(dir, String(pkg.main)), "utf8"),
            /new PolicyPack\("platform-guardrails", \{[^}]*policies: GUARDRAILS/,
        );
    });

    describe("enforcement per environment", () => {
        const dir = path.join(ROOT, POLICY_PACK);
        const file = (environment: string) => path.join(dir, `config.${environment}.json`);
        const levels = (environment: string) => JSON.parse(readFileSync(file(environment), "utf8")) as Record<string, string>;
        const environments = () => [...new Set(STACKS.map((stack) => settingsOf(stack).environment as string))];
        const files = () => readdirSync(dir).flatMap((name) => /^config\.(.+)\.json$/.exec(name)?.[1] ?? []);

        it("has complete config files that set every policy, and nothing else, to mandatory or advisory", () => {
            assert.ok(files().includes("default"), `${POLICY_PACK}/config.default.json exists`);
            for (const environment of files()) {
                // Pulumi ignores names it does not know, so a typo would silently drop a policy's level.
                assert.deepEqual(Object.keys(levels(environment)).sort(), GUARDRAILS.map((p) => p.name).sort(), environment);
                for (const [name, level] of Object.entries(levels(environment)))
                    assert.ok(["mandatory", "advisory"].includes(level), `${environment} ${name}: ${level}`);
            }
        });

        it("runs every environment with its own file, or the default one, where every policy is mandatory", () => {
            for (const environment of environments()) {
                const config = policyPackConfig(ROOT, environment);
                assert.ok(existsSync(path.join(ROOT, config)), `${environment}: ${config} exists`);
                if (!files().includes(environment)) assert.equal(config, `${POLICY_PACK}/config.default.json`, environment);
            }
            for (const [name, level] of Object.entries(levels("default"))) assert.equal(level, "mandatory", name);
        });

        it("enforces in prod at least what staging enforces", () => {
            for (const [name, level] of Object.entries(levels("staging"))) {
                if (level === "mandatory") assert.equal(levels("prod")[name], "mandatory", name);
            }
        });
    });
});
