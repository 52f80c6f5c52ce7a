import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { PolicyDocument, Scope } from "../shared/iam";
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

        // One rotating key and its alias; resource names are unchanged from when each was written out.
        const key = (suffix: string, alias: string, description: string, policy: (s: Scope) => PolicyDocument): aws.kms.Key => {
            const created = new aws.kms.Key(
                `${name}-${suffix}`,
                {
                    description: `${description} (${alias})`,
                    enableKeyRotation: true,
                    deletionWindowInDays: DELETION_WINDOW_DAYS,
                    policy: scope.apply((s) => JSON.stringify(policy(s))),
                    tags: { ...args.tags, Name: alias.replace(/^alias\//, "") },
                },
                keyOpts,
            );
            new aws.kms.Alias(`${name}-${suffix}`, { name: alias, targetKeyId: created.keyId }, { parent: this });
            return created;
        };
        const secretsKey = key("secrets", args.secretsKeyAlias, "Envelope encryption of Kubernetes secrets", secretsKeyPolicy);
        const logsKey = key("logs", args.logsKeyAlias, "Encryption of the cluster's CloudWatch log groups", (s) =>
            logsKeyPolicy(s, args.logGroups),
        );
        const volumesKey = key("volumes", args.volumesKeyAlias, "Encryption of the nodes' EBS volumes", (s) =>
            volumesKeyPolicy(s, args.karpenterControllerRole),
        );

        this.secretsKeyArn = secretsKey.arn;
        this.logsKeyArn = logsKey.arn;
        this.volumesKeyArn = volumesKey.arn;
        this.registerOutputs({ secretsKeyArn: this.secretsKeyArn, logsKeyArn: this.logsKeyArn, volumesKeyArn: this.volumesKeyArn });
    }
}
