// Shared test fixtures: the project's real stack files, as raw configuration that a test can
// change before validating or evaluating it.
import { type RawStackConfig, StackConfigError, resolveStackConfig } from "../stacks/config/config";
import * as assert from "node:assert/strict";
import * as path from "node:path";
import { type Evaluation, evaluate } from "../stacks/plan/offline";
import { projectRoot, readStackConfig } from "../stacks/plan/stack-input";
import { stackNames } from "../stacks/plan/plan";
import { SCALAR_SETTINGS, type SettingKey } from "../stacks/config/schema";
import type { Problem } from "../stacks/config/problems";
import type { RecordedResource } from "../stacks/plan/resources";

export const ROOT = projectRoot(__dirname);
/** Every committed stack file's stack, as CI finds them: a new stack file is tested as soon as it exists. */
export const STACKS: readonly string[] = stackNames(ROOT);
/** The compiled program. */
export const ENTRY = path.join(__dirname, "..", "index.js");

const evaluations = new Map<string, Promise<Evaluation>>();

/**
 * A committed stack file's evaluation, shared by every test file that only reads it (evaluating
 * prod takes a second or two). Call it from a `before` hook: evaluations must not overlap.
 */
export function evaluated(stack: string): Promise<Evaluation> {
    if (!evaluations.has(stack)) evaluations.set(stack, evaluate(ENTRY, stack, readStackConfig(ROOT, stack)));
    return evaluations.get(stack) as Promise<Evaluation>;
}

/** A stack file's `platform:` settings as YAML structures, free-form so tests can break them. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- test fixtures are arbitrary YAML
export type Settings = Record<string, any>;

export function settingsOf(stack: string): Settings {
    const { config, project } = readStackConfig(ROOT, stack);
    const settings: Settings = {};
    for (const [key, text] of Object.entries(config)) {
        if (!key.startsWith(`${project}:`)) continue;
        const name = key.slice(project.length + 1);
        settings[name] = SCALAR_SETTINGS.has(name as SettingKey) ? text : JSON.parse(text);
    }
    return settings;
}

/** Raw configuration as Pulumi would pass it, from settings plus keys of other namespaces. */
export function rawConfig(
    settings: Settings,
    options: { other?: Record<string, string>; secretKeys?: string[]; stack?: string } = {},
): RawStackConfig {
    const config: Record<string, string> = { ...options.other };
    for (const [key, value] of Object.entries(settings)) {
        if (value !== undefined) config[`platform:${key}`] = typeof value === "string" ? value : JSON.stringify(value);
    }
    const secret = new Set(options.secretKeys ?? []);
    return { project: "platform", stack: options.stack ?? "test", config, isSecret: (key) => secret.has(key) };
}

/** The problems validation reports for a stack file changed by `change`. */
export function problems(stack: string, change: (settings: Settings) => void, options?: Parameters<typeof rawConfig>[1]): Problem[] {
    const settings = structuredClone(settingsOf(stack));
    change(settings);
    try {
        resolveStackConfig(rawConfig(settings, options));
        return [];
    } catch (error) {
        if (error instanceof StackConfigError) return [...error.problems];
        throw error;
    }
}

export const render = (found: readonly Problem[]) => found.map((p) => `${p.path}: ${p.message}`).join("\n");

/** Configuration for a program that is not the stack's: only the project's provider rules. */
export const COMPONENT_INPUT = {
    project: "platform",
    config: { "pulumi:disable-default-providers": JSON.stringify(["aws", "kubernetes"]) },
    secretKeys: [],
};

/** Resources of a type (short names welcome: "aws:ec2/subnet:Subnet"), optionally by logical name. */
export function ofType<T extends { type: string; name: string }>(resources: readonly T[], type: string, name?: string): T[] {
    return resources.filter((r) => r.type === type && (name === undefined || r.name === name));
}

export function one<T extends { type: string; name: string }>(resources: readonly T[], type: string, name?: string): T {
    const found = ofType(resources, type, name);
    assert.equal(found.length, 1, `expected one ${type}${name ? ` named ${name}` : ""}, found ${found.length}`);
    return found[0];
}

/** Asserts a problem at exactly `path` whose message mentions every fragment. */
export function expectProblem(found: readonly Problem[], path: string, ...fragments: string[]): void {
    const match = found.find((p) => p.path === path && fragments.every((f) => p.message.includes(f)));
    assert.ok(match, `expected a problem at ${path} mentioning ${fragments.join(" & ")}; got:\n${render(found)}`);
}

/** A recorded resource's inputs, free-form so tests can read any property. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- recorded inputs are free-form JSON
export type Inputs = Record<string, any>;
export const inputs = (r: RecordedResource) => r.inputs as Inputs;

/** A recorded resource built by hand: every field the test does not give at its usual value. */
export const recorded = (fields: Pick<RecordedResource, "urn" | "type" | "name"> & Partial<RecordedResource>): RecordedResource => ({
    parent: "",
    custom: true,
    remote: false,
    provider: "",
    protect: false,
    retainOnDelete: false,
    ignoreChanges: [],
    deletedWith: "",
    aliases: [],
    dependencies: [],
    inputs: {},
    ...fields,
});
