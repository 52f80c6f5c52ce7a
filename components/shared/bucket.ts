// A private S3 bucket for data the platform must not lose: its own rotating KMS key, versioned,
// public access blocked, owned by the bucket owner, TLS only, with a lifecycle. Backups and logs
// keep their data in one each.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { type PolicyDocument, policyDocument } from "./iam";

/** A bucket no one may use without TLS. */
export function tlsOnlyBucketPolicy(bucket: string, partition = "aws"): PolicyDocument {
    const arn = `arn:${partition}:s3:::${bucket}`;
    return policyDocument({
        Sid: "DenyInsecureTransport",
        Effect: "Deny",
        Principal: { AWS: "*" },
        Action: "s3:*",
        Resource: [arn, `${arn}/*`],
        Condition: { Bool: { "aws:SecureTransport": "false" } },
    });
}

export interface HardenedBucketArgs {
    /** Physical name (unique: it carries the account ID). */
    readonly bucket: pulumi.Input<string>;
    readonly keyAlias: string;
    readonly keyDescription: string;
    readonly keyPolicy: pulumi.Input<PolicyDocument>;
    readonly lifecycle: pulumi.Input<aws.types.input.s3.BucketLifecycleConfigurationRule[]>;
    readonly tags: Readonly<Record<string, string>>;
    /** Protect and keep the bucket and its key: what they hold outlives the stack. */
    readonly protect: boolean;
}

export interface HardenedBucket {
    readonly bucket: aws.s3.Bucket;
    readonly key: aws.kms.Key;
    /** The bucket's versioning: replication needs it on both sides. */
    readonly versioning: aws.s3.BucketVersioning;
}

/** The bucket, its key and its settings, as children of `parent` named after `name`. */
export function hardenedBucket(name: string, args: HardenedBucketArgs, parent: pulumi.Resource): HardenedBucket {
    const opts = { parent };
    const stateful = { parent, protect: args.protect, retainOnDelete: args.protect };
    const key = new aws.kms.Key(
        `${name}-key`,
        {
            description: args.keyDescription,
            enableKeyRotation: true,
            deletionWindowInDays: 30,
            policy: pulumi.output(args.keyPolicy).apply((doc) => JSON.stringify(doc)),
            tags: { ...args.tags, Name: args.keyAlias.replace(/^alias\//, "") },
        },
        stateful,
    );
    new aws.kms.Alias(`${name}-key`, { name: args.keyAlias, targetKeyId: key.keyId }, opts);

    const bucket = new aws.s3.Bucket(
        `${name}-bucket`,
        { bucket: args.bucket, forceDestroy: false, tags: { ...args.tags, Name: pulumi.output(args.bucket) } },
        stateful,
    );
    new aws.s3.BucketPublicAccessBlock(
        `${name}-bucket`,
        { bucket: bucket.id, blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true },
        opts,
    );
    new aws.s3.BucketOwnershipControls(`${name}-bucket`, { bucket: bucket.id, rule: { objectOwnership: "BucketOwnerEnforced" } }, opts);
    const versioning = new aws.s3.BucketVersioning(
        `${name}-bucket`,
        { bucket: bucket.id, versioningConfiguration: { status: "Enabled" } },
        stateful,
    );
    new aws.s3.BucketServerSideEncryptionConfiguration(
        `${name}-bucket`,
        {
            bucket: bucket.id,
            rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: key.arn }, bucketKeyEnabled: true }],
        },
        opts,
    );
    new aws.s3.BucketPolicy(
        `${name}-bucket`,
        { bucket: bucket.id, policy: bucket.bucket.apply((b) => JSON.stringify(tlsOnlyBucketPolicy(b))) },
        opts,
    );
    new aws.s3.BucketLifecycleConfiguration(
        `${name}-bucket`,
        { bucket: bucket.id, rules: args.lifecycle },
        { parent, dependsOn: [versioning] },
    );
    return { bucket, key, versioning };
}
