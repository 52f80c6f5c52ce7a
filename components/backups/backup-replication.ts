import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { PARTITION } from "../../stacks/config/catalog";
import { replicationPolicy } from "./policies";
import { serviceTrustPolicy } from "../shared/iam";
import { createRole } from "../shared/roles";

/** One side of a replication: a backup bucket, its key, its region, and its versioning. */
export interface BackupTarget {
    readonly region: string;
    readonly bucketName: pulumi.Output<string>;
    readonly bucketArn: pulumi.Output<string>;
    readonly keyArn: pulumi.Output<string>;
    readonly versioning: pulumi.Resource;
}

export interface BackupReplicationArgs {
    readonly source: BackupTarget;
    readonly destination: BackupTarget;
    readonly roleName: string;
    /** The source cluster's name: its backups' prefix, the only objects copied. */
    readonly prefix: string;
    readonly accountId: pulumi.Input<string>;
    readonly tags: Readonly<Record<string, string>>;
}

/**
 * Copies every backup to the bucket of another region, re-encrypted with that region's key,
 * delete markers included (an expired backup expires in both places), so a region's loss
 * never takes its backups with it. Backups live under their cluster's name in every bucket, so the
 * copy lands beside the destination's own backups, where its read-only location finds it. S3
 * replication runs with its own role.
 */
export class BackupReplication extends pulumi.ComponentResource {
    constructor(name: string, args: BackupReplicationArgs, opts?: pulumi.ComponentResourceOptions) {
        super("platform:backups:BackupReplication", name, {}, opts);
        const { source, destination } = args;
        const role = createRole(
            `${name}-role`,
            {
                roleName: args.roleName,
                description: `Replicates backups from ${source.region} to ${destination.region}`,
                trust: pulumi.output(args.accountId).apply((accountId) =>
                    serviceTrustPolicy(
                        "s3.amazonaws.com",
                        { partition: PARTITION, region: source.region, accountId },
                        {
                            sourceArn: `arn:${PARTITION}:s3:::*`,
                        },
                    ),
                ),
                policies: {
                    replicate: pulumi
                        .all([source.bucketName, source.keyArn, destination.bucketName, destination.keyArn])
                        .apply(([sourceBucket, sourceKey, destinationBucket, destinationKey]) =>
                            replicationPolicy({
                                partition: PARTITION,
                                source: { bucket: sourceBucket, keyArn: sourceKey, region: source.region },
                                destination: { bucket: destinationBucket, keyArn: destinationKey, region: destination.region },
                            }),
                        ),
                },
                partition: PARTITION,
                tags: args.tags,
            },
            this,
        );
        new aws.s3.BucketReplicationConfig(
            `${name}-rule`,
            {
                bucket: source.bucketName,
                role: role.role.arn,
                rules: [
                    {
                        id: `to-${destination.region}`,
                        status: "Enabled",
                        // Only the source's own backups: the replicas it holds of another region stay there.
                        filter: { prefix: `${args.prefix}/` },
                        deleteMarkerReplication: { status: "Enabled" },
                        sourceSelectionCriteria: { sseKmsEncryptedObjects: { status: "Enabled" } },
                        destination: { bucket: destination.bucketArn, encryptionConfiguration: { replicaKmsKeyId: destination.keyArn } },
                    },
                ],
            },
            { parent: this, dependsOn: [source.versioning, destination.versioning, ...role.grants] },
        );
        this.registerOutputs({});
    }
}
