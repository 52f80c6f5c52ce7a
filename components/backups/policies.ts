// IAM documents of backups: Velero's role and cross-region replication.
import { type PolicyDocument, type Scope, type Statement, policyDocument } from "../shared/iam";

/**
 * Velero with the AWS plugin: its bucket, its bucket's key (only through S3), and, when volumes
 * are backed up as EBS snapshots, the snapshot actions the plugin documents, limited to the
 * region and, for deletion, to snapshots Velero tagged. From velero-plugin-for-aws's README.
 */
export function veleroPolicy(scope: Scope, args: { bucket: string; keyArn: string; snapshots: boolean }): PolicyDocument {
    const bucket = `arn:${scope.partition}:s3:::${args.bucket}`;
    const ec2 = (resource: string, account = scope.accountId) => `arn:${scope.partition}:ec2:${scope.region}:${account}:${resource}`;
    const snapshots = ec2("snapshot/*", "");
    const statements: Statement[] = [
        {
            Sid: "BackupObjects",
            Effect: "Allow",
            Action: ["s3:GetObject", "s3:DeleteObject", "s3:PutObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"],
            Resource: `${bucket}/*`,
        },
        { Sid: "BackupBucket", Effect: "Allow", Action: "s3:ListBucket", Resource: bucket },
        {
            Sid: "BackupKeyThroughS3",
            Effect: "Allow",
            Action: ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:DescribeKey"],
            Resource: args.keyArn,
            Condition: { StringEquals: { "kms:ViaService": `s3.${scope.region}.amazonaws.com` } },
        },
    ];
    if (args.snapshots) {
        statements.push(
            {
                Sid: "DescribeVolumesInRegion",
                Effect: "Allow",
                Action: ["ec2:DescribeVolumes", "ec2:DescribeSnapshots"],
                Resource: "*",
                Condition: { StringEquals: { "aws:RequestedRegion": scope.region } },
            },
            { Sid: "SnapshotVolumes", Effect: "Allow", Action: "ec2:CreateSnapshot", Resource: ec2("volume/*") },
            {
                Sid: "CreateTaggedSnapshots",
                Effect: "Allow",
                Action: "ec2:CreateSnapshot",
                Resource: snapshots,
                Condition: { StringLike: { "aws:RequestTag/velero.io/backup": "*" } },
            },
            {
                Sid: "RestoreVolumesFromVeleroSnapshots",
                Effect: "Allow",
                Action: "ec2:CreateVolume",
                Resource: [ec2("volume/*"), snapshots],
            },
            {
                Sid: "TagOnCreate",
                Effect: "Allow",
                Action: "ec2:CreateTags",
                Resource: [ec2("volume/*"), snapshots],
                Condition: { StringEquals: { "ec2:CreateAction": ["CreateSnapshot", "CreateVolume"] } },
            },
            {
                Sid: "DeleteVeleroSnapshots",
                Effect: "Allow",
                Action: "ec2:DeleteSnapshot",
                Resource: snapshots,
                Condition: { StringLike: { "ec2:ResourceTag/velero.io/backup": "*" } },
            },
        );
    }
    return policyDocument(...statements);
}

/**
 * S3 cross-region replication of a backup bucket: read the source's versions, write replicas
 * into the destination, decrypt with the source key and encrypt with the destination key, each
 * only through S3 in its region.
 */
export function replicationPolicy(args: {
    partition: string;
    source: { bucket: string; keyArn: string; region: string };
    destination: { bucket: string; keyArn: string; region: string };
}): PolicyDocument {
    const s3 = (bucket: string) => `arn:${args.partition}:s3:::${bucket}`;
    return policyDocument(
        {
            Sid: "ReadReplicationConfiguration",
            Effect: "Allow",
            Action: ["s3:GetReplicationConfiguration", "s3:ListBucket"],
            Resource: s3(args.source.bucket),
        },
        {
            Sid: "ReadSourceVersions",
            Effect: "Allow",
            Action: ["s3:GetObjectVersionForReplication", "s3:GetObjectVersionAcl", "s3:GetObjectVersionTagging"],
            Resource: `${s3(args.source.bucket)}/*`,
        },
        {
            Sid: "WriteReplicas",
            Effect: "Allow",
            Action: ["s3:ReplicateObject", "s3:ReplicateDelete", "s3:ReplicateTags"],
            Resource: `${s3(args.destination.bucket)}/*`,
        },
        {
            Sid: "DecryptSource",
            Effect: "Allow",
            Action: "kms:Decrypt",
            Resource: args.source.keyArn,
            Condition: { StringEquals: { "kms:ViaService": `s3.${args.source.region}.amazonaws.com` } },
        },
        {
            Sid: "EncryptReplicas",
            Effect: "Allow",
            Action: ["kms:Encrypt", "kms:GenerateDataKey"],
            Resource: args.destination.keyArn,
            Condition: { StringEquals: { "kms:ViaService": `s3.${args.destination.region}.amazonaws.com` } },
        },
    );
}
