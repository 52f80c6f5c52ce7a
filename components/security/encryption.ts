import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { Scope } from "../shared/iam";
import { logsKeyPolicy, secretsKeyPolicy, volumesKeyPolicy } from "./policies";

export interface EncryptionArgs {
    /** Account, region and partition of the keys. */
    readonly scope: pulumi.Input<Scope>;
    readonly secretsKeyAlias: string;
    readonly logsKeyAlias: string;
    readonly volumesKeyAlias: string;
    /** The Karpenter controller role, which launches nodes with volumes under the volumes key. */
    readonly karpenterControllerRole: string;
    /** Log groups the logs key may encrypt; CloudWatch Logs needs the grant before the group exists. */
    readonly logGroups: readonly string[];
    readonly tags: Readonly<Record<string, string>>;
    /** Protect the keys from deletion by Pulumi: losing the secrets key makes the cluster unusable. */
    readonly protect: boolean;
}

/** Days a deleted key stays recoverable; the maximum AWS allows. */
const DELETION_WINDOW_DAYS = 30;

/**
 * The customer-managed KMS keys of a cluster: one for Kubernetes secrets (envelope encryption),
 * one for its log groups, one for its nodes' volumes. All rotate yearly.
 */
export class Encryption extends pulumi.ComponentResource {
    readonly secretsKeyArn: pulumi.Output<string>;
    readonly logsKeyArn: pulumi.Output<string>;
    readonly volumesKeyArn: pulumi.Output<string>;

    constructor(name: string, args: EncryptionArgs, opts?: pulumi.ComponentResourceOptions) {
        super("platform:security:Encryption", name, {}, opts);
        // Kept when the stack is destroyed: what they encrypted (logs, secrets in backups) outlives it.
        const keyOpts = { parent: this, protect: args.protect, retainOnDelete: args.protect };
        const scope = pulumi.output(args.scope);

        const secretsKey = new aws.kms.Key(
            `${name}-secrets`,
            {
                description: `Envelope encryption of Kubernetes secrets (${args.secretsKeyAlias})`,
                enableKeyRotation: true,
                deletionWindowInDays: DELETION_WINDOW_DAYS,
                policy: scope.apply((s) => JSON.stringify(secretsKeyPolicy(s))),
                tags: { ...args.tags, Name: args.secretsKeyAlias.replace(/^alias\//, "") },
            },
            keyOpts,
        );
        new aws.kms.Alias(`${name}-secrets`, { name: args.secretsKeyAlias, targetKeyId: secretsKey.keyId }, { parent: this });

        const logsKey = new aws.kms.Key(
            `${name}-logs`,
            {
                description: `Encryption of the cluster's CloudWatch log groups (${args.logsKeyAlias})`,
                enableKeyRotation: true,
                deletionWindowInDays: DELETION_WINDOW_DAYS,
                policy: scope.apply((s) => JSON.stringify(logsKeyPolicy(s, args.logGroups))),
                tags: { ...args.tags, Name: args.logsKeyAlias.replace(/^alias\//, "") },
            },
            keyOpts,
        );
        new aws.kms.Alias(`${name}-logs`, { name: args.logsKeyAlias, targetKeyId: logsKey.keyId }, { parent: this });

        const volumesKey = new aws.kms.Key(
            `${name}-volumes`,
            {
                description: `Encryption of the nodes' EBS volumes (${args.volumesKeyAlias})`,
                enableKeyRotation: true,
                deletionWindowInDays: DELETION_WINDOW_DAYS,
                policy: scope.apply((s) => JSON.stringify(volumesKeyPolicy(s, args.karpenterControllerRole))),
                tags: { ...args.tags, Name: args.volumesKeyAlias.replace(/^alias\//, "") },
            },
            keyOpts,
        );
        new aws.kms.Alias(`${name}-volumes`, { name: args.volumesKeyAlias, targetKeyId: volumesKey.keyId }, { parent: this });

        this.secretsKeyArn = secretsKey.arn;
        this.logsKeyArn = logsKey.arn;
        this.volumesKeyArn = volumesKey.arn;
        this.registerOutputs({ secretsKeyArn: this.secretsKeyArn, logsKeyArn: this.logsKeyArn, volumesKeyArn: this.volumesKeyArn });
    }
}
