import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { PARTITION } from "../../stacks/config/catalog";
import { type Scope, serviceTrustPolicy } from "../shared/iam";
import { createRole } from "../shared/roles";
import { runnerPolicy } from "./policies";

/** The build image: Amazon Linux 2023 with Node.js; the jobs install the Pulumi CLI they pin. */
export const RUNNER_IMAGE = "aws/codebuild/amazonlinux-x86_64-standard:5.0";
/** The longest a job may run: the deploy workflow's longest job timeout. */
export const RUNNER_TIMEOUT_MINUTES = 180;

export interface RunnerArgs {
    readonly projectName: string;
    readonly logGroup: string;
    readonly roleName: string;
    /** https://github.com/<owner>/<repository>: the repository whose jobs the runner takes. */
    readonly repository: string;
    readonly connectionArn: string;
    readonly computeType: string;
    readonly vpcId: pulumi.Input<string>;
    /** Private subnets: the runner reaches the internet (GitHub, Pulumi Cloud, AWS APIs) through NAT. */
    readonly subnetIds: pulumi.Input<string>[];
    readonly logsKeyArn: pulumi.Input<string>;
    readonly logRetentionDays: number;
    readonly scope: pulumi.Input<Scope>;
    readonly tags: Readonly<Record<string, string>>;
    /** Protect the log group, the record of what ran against the clusters, from deletion by Pulumi. */
    readonly protect: boolean;
}

/**
 * A GitHub Actions runner inside the region's VPC, hosted by AWS CodeBuild: a job that asks for
 * `codebuild-<project>-<run id>-<attempt>` starts a fresh, ephemeral build of this project, which
 * registers itself as the job's runner and runs only that job. The build sits in the private
 * subnets, so it reaches the private EKS endpoints; its security group lets it out on 443 only.
 * https://docs.aws.amazon.com/codebuild/latest/userguide/action-runner.html
 */
export class Runner extends pulumi.ComponentResource {
    /** The runner's security group: what the clusters' API servers admit. */
    readonly securityGroupId: pulumi.Output<string>;
    readonly projectName: pulumi.Output<string>;

    constructor(name: string, args: RunnerArgs, opts?: pulumi.ComponentResourceOptions) {
        super("platform:pipeline:Runner", name, {}, opts);
        const parent = { parent: this };
        const scope = pulumi.output(args.scope);

        const securityGroup = new aws.ec2.SecurityGroup(
            `${name}-sg`,
            {
                name: `${args.projectName}-runner`,
                description: `Pipeline runner ${args.projectName}: HTTPS out only`,
                vpcId: args.vpcId,
                tags: { ...args.tags, Name: `${args.projectName}-runner` },
            },
            parent,
        );
        // GitHub, Pulumi Cloud, the AWS APIs, the npm registry and the EKS endpoints all speak
        // HTTPS; DNS goes to the VPC resolver, which security groups do not filter.
        const egress = new aws.vpc.SecurityGroupEgressRule(
            `${name}-https-out`,
            {
                securityGroupId: securityGroup.id,
                description: "HTTPS to GitHub, Pulumi Cloud, AWS APIs and the EKS endpoints",
                ipProtocol: "tcp",
                fromPort: 443,
                toPort: 443,
                cidrIpv4: "0.0.0.0/0",
                tags: args.tags,
            },
            parent,
        );

        const logGroup = new aws.cloudwatch.LogGroup(
            `${name}-logs`,
            { name: args.logGroup, retentionInDays: args.logRetentionDays, kmsKeyId: args.logsKeyArn, tags: args.tags },
            { parent: this, protect: args.protect },
        );

        const { role, grants } = createRole(
            `${name}-role`,
            {
                roleName: args.roleName,
                description: `CodeBuild service role of the pipeline runner ${args.projectName}`,
                trust: scope.apply((s) =>
                    serviceTrustPolicy("codebuild.amazonaws.com", s, {
                        sourceArn: `arn:${s.partition}:codebuild:${s.region}:${s.accountId}:project/${args.projectName}`,
                    }),
                ),
                policies: {
                    runner: pulumi
                        .all([scope, pulumi.output(args.subnetIds)])
                        .apply(([s, subnetIds]) =>
                            runnerPolicy(s, { logGroup: args.logGroup, subnetIds, connectionArn: args.connectionArn }),
                        ),
                },
                partition: PARTITION,
                tags: args.tags,
            },
            this,
        );

        const project = new aws.codebuild.Project(
            `${name}-project`,
            {
                name: args.projectName,
                description: `GitHub Actions runner for ${args.repository} inside the VPC`,
                serviceRole: role.arn,
                source: {
                    type: "GITHUB",
                    location: args.repository,
                    auth: { type: "CODECONNECTIONS", resource: args.connectionArn },
                },
                artifacts: { type: "NO_ARTIFACTS" },
                environment: {
                    type: "LINUX_CONTAINER",
                    computeType: args.computeType,
                    image: RUNNER_IMAGE,
                    imagePullCredentialsType: "CODEBUILD",
                    privilegedMode: false,
                },
                vpcConfig: { vpcId: args.vpcId, subnets: args.subnetIds, securityGroupIds: [securityGroup.id] },
                logsConfig: {
                    cloudwatchLogs: { status: "ENABLED", groupName: logGroup.name },
                    s3Logs: { status: "DISABLED" },
                },
                buildTimeout: RUNNER_TIMEOUT_MINUTES,
                tags: args.tags,
            },
            // CodeBuild checks the role's network and connection permissions when the project is saved.
            { parent: this, dependsOn: [...grants, egress] },
        );

        // GitHub calls this webhook for every queued workflow job of the repository; CodeBuild
        // starts a build only for jobs whose runs-on names this project.
        new aws.codebuild.Webhook(
            `${name}-webhook`,
            {
                projectName: project.name,
                buildType: "BUILD",
                filterGroups: [{ filters: [{ type: "EVENT", pattern: "WORKFLOW_JOB_QUEUED" }] }],
            },
            parent,
        );

        this.securityGroupId = securityGroup.id;
        this.projectName = project.name;
        this.registerOutputs({ securityGroupId: this.securityGroupId, projectName: this.projectName });
    }
}
