// IAM documents of the log pipeline: Loki's role on its bucket, the collector's on the archive.
import { type PolicyDocument, type Scope, policyDocument } from "../shared/iam";

const keyThroughS3 = (scope: Scope, keyArn: string, actions: string[]) => ({
    Sid: "LogKeyThroughS3",
    Effect: "Allow" as const,
    Action: actions,
    Resource: keyArn,
    Condition: { StringEquals: { "kms:ViaService": `s3.${scope.region}.amazonaws.com` } },
});

/** Loki: its chunks, index and compactor state anywhere in the log bucket but the archive, which only the collector writes. */
export function logStorePolicy(scope: Scope, args: { bucket: string; keyArn: string; archivePrefix: string }): PolicyDocument {
    const bucket = `arn:${scope.partition}:s3:::${args.bucket}`;
    return policyDocument(
        { Sid: "LogObjects", Effect: "Allow", Action: ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"], Resource: `${bucket}/*` },
        {
            Sid: "NotTheArchive",
            Effect: "Deny",
            Action: ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
            Resource: `${bucket}/${args.archivePrefix}*`,
        },
        { Sid: "LogBucket", Effect: "Allow", Action: "s3:ListBucket", Resource: bucket },
        keyThroughS3(scope, args.keyArn, ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:DescribeKey"]),
    );
}

/** The collector: it adds archive objects and can read, overwrite or delete nothing. */
export function logCollectorPolicy(scope: Scope, args: { bucket: string; keyArn: string; archivePrefix: string }): PolicyDocument {
    const bucket = `arn:${scope.partition}:s3:::${args.bucket}`;
    return policyDocument(
        {
            Sid: "ArchiveObjects",
            Effect: "Allow",
            Action: ["s3:PutObject", "s3:AbortMultipartUpload"],
            Resource: `${bucket}/${args.archivePrefix}*`,
        },
        // Multipart uploads of SSE-KMS objects decrypt the data key of each part.
        keyThroughS3(scope, args.keyArn, ["kms:GenerateDataKey", "kms:Decrypt"]),
    );
}
