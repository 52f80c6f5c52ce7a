// IAM documents of External Secrets: reading the stack's Secrets Manager prefix.
import { type PolicyDocument, type Scope, type Statement, policyDocument } from "../../shared/iam";

/**
 * External Secrets reads this environment's secrets in this region and nothing else: reads are
 * limited to the name prefix (never "*", so ListSecrets and BatchGetSecretValue, which AWS cannot
 * scope, are not granted and `find` lookups are unavailable), and decryption to the secrets' own
 * key when a customer-managed one is used, only through Secrets Manager.
 * Actions from the External Secrets AWS provider docs.
 */
export function externalSecretsPolicy(scope: Scope, args: { prefix: string; kmsKeyArn?: string; teamRoles?: string }): PolicyDocument {
    const statements: Statement[] = [
        {
            Sid: "ReadEnvironmentSecrets",
            Effect: "Allow",
            Action: [
                "secretsmanager:GetSecretValue",
                "secretsmanager:DescribeSecret",
                "secretsmanager:ListSecretVersionIds",
                "secretsmanager:GetResourcePolicy",
            ],
            Resource: `arn:${scope.partition}:secretsmanager:${scope.region}:${scope.accountId}:secret:${args.prefix}*`,
        },
    ];
    if (args.teamRoles) {
        // The controller reads a team's secrets only as that team's role, which a team's
        // SecretStore names: the session carries no other right.
        statements.push({
            Sid: "AssumeTeamSecretRoles",
            Effect: "Allow",
            Action: ["sts:AssumeRole", "sts:TagSession"],
            Resource: `arn:${scope.partition}:iam::${scope.accountId}:role/${args.teamRoles}`,
        });
    }
    if (args.kmsKeyArn) {
        statements.push({
            Sid: "DecryptThroughSecretsManager",
            Effect: "Allow",
            Action: "kms:Decrypt",
            Resource: args.kmsKeyArn,
            Condition: { StringEquals: { "kms:ViaService": `secretsmanager.${scope.region}.amazonaws.com` } },
        });
    }
    return policyDocument(...statements);
}
