// IAM documents of the network: VPC flow log delivery.
import { type PolicyDocument, type Scope, logGroupArn, policyDocument } from "../shared/iam";

/** Permissions of the VPC flow logs delivery role: write to its one log group. */
export function flowLogsPolicy(scope: Scope, logGroup: string): PolicyDocument {
    const arn = logGroupArn(scope, logGroup);
    return policyDocument({
        Sid: "DeliverFlowLogs",
        Effect: "Allow",
        Action: ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
        Resource: [arn, `${arn}:log-stream:*`],
    });
}
