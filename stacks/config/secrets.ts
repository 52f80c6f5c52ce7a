// Detection of secrets written in plain text anywhere in a stack file, in any namespace
// (`aws:secretKey` counts as much as a `platform:` setting). Secrets belong in Pulumi's
// encrypted config (`pulumi config set --secret`) or in AWS Secrets Manager, referenced by name.
// The offending value is masked in the report: echoing it would leak it into CI logs.
import { type Problem, formatPath } from "./problems";

/** Setting names that hold a secret. */
const SECRET_NAME =
    /(password|passwd|passphrase|secret|secretkey|token|apikey|api_key|privatekey|private_key|accesskey|access_key|credentials?|webhookurl|webhook_url)$/i;

/** Values that are a credential whatever their setting is called. */
const SECRET_VALUES: ReadonlyArray<{ pattern: RegExp; kind: string }> = [
    { pattern: /\b(AKIA|ASIA)[0-9A-Z]{16}\b/, kind: "an AWS access key ID" },
    { pattern: /-----BEGIN [A-Z ]*PRIVATE KEY-----/, kind: "a private key" },
    { pattern: /\b(ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{36,}\b|\bgithub_pat_[A-Za-z0-9_]{40,}/, kind: "a GitHub token" },
    { pattern: /\bxox[abposr]-[A-Za-z0-9-]{10,}/, kind: "a Slack token" },
    { pattern: /hooks\.slack\.com\/services\/[A-Za-z0-9]+\/[A-Za-z0-9]+\/[A-Za-z0-9]+/, kind: "a Slack webhook URL" },
    { pattern: /\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/, kind: "a JSON Web Token" },
    { pattern: /\b[a-z][a-z0-9+.-]*:\/\/[^/\s:@]+:[^/\s@]+@/i, kind: "a URL with a password" },
];

export const mask = (value: string): string => (value.length <= 4 ? "****" : `${value.slice(0, 4)}**** (${value.length} characters)`);

function leaves(value: unknown, path: PropertyKey[], visit: (path: PropertyKey[], value: string) => void): void {
    if (typeof value === "string") visit(path, value);
    else if (Array.isArray(value)) value.forEach((item, i) => leaves(item, [...path, i], visit));
    else if (value !== null && typeof value === "object") {
        for (const [key, item] of Object.entries(value)) leaves(item, [...path, key], visit);
    }
}

/**
 * Plain-text secrets in a stack's configuration.
 * @param config every configuration key (`namespace:key`) with its value as Pulumi passes it
 * @param isSecret whether Pulumi holds the key encrypted
 * @param project the project namespace, whose keys are reported without it
 * @param byName also flag settings named like secrets (for stack files, not for rendered values,
 *   where such names hold references, e.g. ExternalSecret's secretKey)
 */
export function plaintextSecrets(
    config: Readonly<Record<string, string>>,
    isSecret: (key: string) => boolean,
    project: string,
    byName = true,
): Problem[] {
    const problems: Problem[] = [];
    for (const [key, text] of Object.entries(config)) {
        if (isSecret(key)) continue;
        let value: unknown = text;
        if (/^\s*[[{]/.test(text)) {
            try {
                value = JSON.parse(text);
            } catch {
                // not structured: scan as text
            }
        }
        const root = key.startsWith(`${project}:`) ? key.slice(project.length + 1) : key;
        leaves(value, [], (path, leaf) => {
            if (leaf === "") return;
            const name = String(path.length > 0 ? path[path.length - 1] : key.split(":").pop());
            const where = formatPath([root, ...path]);
            const match = SECRET_VALUES.find(({ pattern }) => pattern.test(leaf));
            if (match) {
                problems.push({
                    path: where,
                    message: `${mask(leaf)} is ${match.kind} in plain text; remove it and store it encrypted (pulumi config set --secret) or in Secrets Manager`,
                });
            } else if (byName && SECRET_NAME.test(name)) {
                problems.push({
                    path: where,
                    message: `${mask(leaf)} is a secret in plain text; set it with pulumi config set --secret, or reference a Secrets Manager entry instead`,
                });
            }
        });
    }
    return problems;
}
