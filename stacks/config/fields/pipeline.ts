// Where the pipeline's Pulumi jobs run: a CodeBuild-hosted GitHub Actions runner in each region's
// VPC, and the bootstrap mode that builds those networks and runners before any cluster exists.
import { z } from "zod";
import { described } from "./common";

const repository = z
    .string()
    .regex(/^https:\/\/github\.com\/[A-Za-z0-9-]+\/[A-Za-z0-9._-]+$/, "must be https://github.com/<owner>/<repository>");

/** CodeConnections ARNs, under either service prefix (connections made before July 2024 keep codestar-connections). */
const connectionArn = z
    .string()
    .regex(
        /^arn:aws[a-z-]*:(codeconnections|codestar-connections):[a-z0-9-]+:\d{12}:connection\/[0-9a-f-]{36}$/,
        "not a CodeConnections connection ARN (arn:aws:codeconnections:<region>:<account>:connection/<id>)",
    );

export const pipeline = z.strictObject({
    repository: described(repository, "The GitHub repository whose workflows run on the runners (this repository)"),
    connectionArn: described(
        connectionArn,
        "CodeConnections connection to GitHub (a GitHub App installation, authorised once in the console); CodeBuild uses it to register runners",
    ),
    runnerRegion: described(
        z.string().optional(),
        "Region whose runner runs this stack's Pulumi jobs; default the first region. Every region has a runner, so another region can take over",
    ),
    computeType: described(
        z.enum(["BUILD_GENERAL1_SMALL", "BUILD_GENERAL1_MEDIUM", "BUILD_GENERAL1_LARGE"]).default("BUILD_GENERAL1_MEDIUM"),
        "CodeBuild compute type of the runners",
    ),
    bootstrap: described(
        z.boolean().default(false),
        "Create only keys, networks and runners (no cluster): the first `pulumi up` of a new stack, run by an operator. Refused once a cluster exists",
    ),
});
