// IAM documents of the EKS control plane.
import { type PolicyDocument, policyDocument } from "../shared/iam";

/** The control plane's use of the secrets envelope key (terraform-aws-eks cluster_encryption policy). */
export function clusterEncryptionPolicy(keyArn: string): PolicyDocument {
    return policyDocument({
        Sid: "EnvelopeEncryptSecrets",
        Effect: "Allow",
        Action: ["kms:Encrypt", "kms:Decrypt", "kms:ListGrants", "kms:DescribeKey"],
        Resource: keyArn,
    });
}
