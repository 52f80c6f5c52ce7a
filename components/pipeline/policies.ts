// IAM documents of the pipeline runner: what the CodeBuild project itself may do. The Pulumi jobs
// it runs get no credentials from it; they assume the deploy or preview role through GitHub's
// OIDC token, so this role holds nothing a job could use against the platform.
import { type PolicyDocument, type Scope, logGroupArn, policyDocument } from "../shared/iam";

export interface RunnerPolicyArgs {
    readonly logGroup: string;
    /** The subnets CodeBuild places the runner's network interfaces in. */
    readonly subnetIds: readonly string[];
    readonly connectionArn: string;
}

/**
 * The CodeBuild service role of a runner in a VPC: its own log group, the network interfaces of
 * its builds in its subnets, and the GitHub connection that registers each runner.
 * https://docs.aws.amazon.com/codebuild/latest/userguide/auth-and-access-control-iam-identity-based-access-control.html#customer-managed-policies-example-create-vpc-network-interface
 * https://docs.aws.amazon.com/codebuild/latest/userguide/connections-github-app.html
 */
export function runnerPolicy(scope: Scope, args: RunnerPolicyArgs): PolicyDocument {
    const logs = logGroupArn(scope, args.logGroup);
    // Connections made before July 2024 keep the codestar-connections prefix, in ARN and actions.
    const service = args.connectionArn.split(":")[2];
    return policyDocument(
        {
            Sid: "WriteBuildLogs",
            Effect: "Allow",
            Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
            Resource: [logs, `${logs}:log-stream:*`],
        },
        {
            // CodeBuild describes the VPC and manages the build's interface; these calls take no resource.
            Sid: "BuildNetworkInterfaces",
            Effect: "Allow",
            Action: [
                "ec2:CreateNetworkInterface",
                "ec2:DeleteNetworkInterface",
                "ec2:DescribeDhcpOptions",
                "ec2:DescribeNetworkInterfaces",
                "ec2:DescribeSecurityGroups",
                "ec2:DescribeSubnets",
                "ec2:DescribeVpcs",
            ],
            Resource: "*",
            Condition: { StringEquals: { "aws:RequestedRegion": scope.region } },
        },
        {
            Sid: "AttachInterfacesInRunnerSubnets",
            Effect: "Allow",
            Action: "ec2:CreateNetworkInterfacePermission",
            Resource: `arn:${scope.partition}:ec2:${scope.region}:${scope.accountId}:network-interface/*`,
            Condition: {
                StringEquals: { "ec2:AuthorizedService": "codebuild.amazonaws.com" },
                ArnEquals: {
                    "ec2:Subnet": args.subnetIds.map((id) => `arn:${scope.partition}:ec2:${scope.region}:${scope.accountId}:subnet/${id}`),
                },
            },
        },
        {
            Sid: "RegisterRunnersThroughGitHubConnection",
            Effect: "Allow",
            Action: [`${service}:GetConnectionToken`, `${service}:GetConnection`],
            Resource: args.connectionArn,
        },
    );
}
