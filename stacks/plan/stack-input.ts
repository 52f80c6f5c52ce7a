// Reads a stack file as the Pulumi engine hands it to a program: the project's config defaults,
// the stack's values, and `secure:` values replaced by a placeholder (offline there is no key).
import { existsSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import type { RawStackConfig } from "../config/config";

/** What a `secure:` value of the stack file reads as offline. */
export const SECRET_PLACEHOLDER = "[secret]";
export interface StackInput {
    readonly project: string;
    readonly config: Record<string, string>;
    readonly secretKeys: string[];
}

/** The project root: the nearest folder above `from` holding Pulumi.yaml. */
export function projectRoot(from: string = __dirname): string {
    for (let dir = from; ; dir = path.dirname(dir)) {
        if (existsSync(path.join(dir, "Pulumi.yaml"))) return dir;
        if (path.dirname(dir) === dir) throw new Error(`no Pulumi.yaml above ${from}`);
    }
}

export const isObject = (value: unknown): value is Record<string, unknown> =>
    value !== null && typeof value === "object" && !Array.isArray(value);

/** Replaces `secure:` values (at any depth, as `pulumi config set --path --secret` writes them). */
function desecure(value: unknown): { value: unknown; secret: boolean } {
    if (isObject(value)) {
        if (Object.keys(value).length === 1 && "secure" in value) return { value: SECRET_PLACEHOLDER, secret: true };
        let secret = false;
        const out: Record<string, unknown> = {};
        for (const [key, item] of Object.entries(value)) {
            const inner = desecure(item);
            out[key] = inner.value;
            secret ||= inner.secret;
        }
        return { value: out, secret };
    }
    if (Array.isArray(value)) {
        const items = value.map(desecure);
        return { value: items.map((item) => item.value), secret: items.some((item) => item.secret) };
    }
    return { value, secret: false };
}

/**
 * The configuration Pulumi would pass the program for a stack: the project's declared defaults
 * and values, then the stack file, structured values as JSON, secrets replaced and marked.
 */
export function readStackConfig(root: string, stack: string, overrides: Record<string, unknown> = {}): StackInput {
    const file = stackFile(root, stack);
    if (!existsSync(file)) throw new Error(`no stack file ${path.basename(file)}`);
    return stackInput(root, readFileSync(file, "utf8"), overrides);
}

/** A stack's input as the config layer resolves it: its secret keys are the ones the engine would mark. */
export const rawStackConfig = (input: StackInput, stack: string): RawStackConfig => ({
    project: input.project,
    stack,
    config: input.config,
    isSecret: (key) => input.secretKeys.includes(key),
});

export const stackFile = (root: string, stack: string): string => path.join(root, `Pulumi.${stack}.yaml`);

/** As readStackConfig, for a stack file's text. */
export function stackInput(root: string, text: string, overrides: Record<string, unknown> = {}): StackInput {
    const project = parse(readFileSync(path.join(root, "Pulumi.yaml"), "utf8")) as { name: string; config?: Record<string, unknown> };
    const file = (parse(text) ?? {}) as { config?: Record<string, unknown> };
    const qualify = (key: string) => (key.includes(":") ? key : `${project.name}:${key}`);

    const values: Record<string, unknown> = {};
    for (const [key, declared] of Object.entries(project.config ?? {})) {
        if (isObject(declared) && ("value" in declared || "default" in declared || "type" in declared)) {
            if ("value" in declared) values[qualify(key)] = declared.value;
            else if ("default" in declared) values[qualify(key)] = declared.default;
        } else values[qualify(key)] = declared;
    }
    const secretKeys: string[] = [];
    for (const [key, raw] of Object.entries({ ...file.config, ...overrides })) {
        const { value, secret } = desecure(raw);
        if (secret) secretKeys.push(qualify(key));
        if (value === undefined || value === null) delete values[qualify(key)];
        else values[qualify(key)] = value;
    }
    const config = Object.fromEntries(
        Object.entries(values).map(([key, value]) => [key, typeof value === "string" ? value : JSON.stringify(value)]),
    );
    return { project: project.name, config, secretKeys };
}
