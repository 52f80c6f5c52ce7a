// Evaluates the program for a stack file offline, under Pulumi's mock runtime: no credentials,
// no network, no engine. Every registered resource is recorded (type, name, parent, inputs,
// options, dependencies) for the plan, the benchmark and the tests. The mocks (mocks.ts) fake
// only what AWS and the @pulumi/eks components would return.
import * as pulumi from "@pulumi/pulumi";
import type { MockMonitor } from "@pulumi/pulumi/runtime/mocks";
import type { StackInput } from "./stack-input";
import { disabledDefaultProviders, fakeCall, fakeState, plainInputs, type WorldOptions } from "./mocks";
import type { RecordedResource } from "./resources";

export interface Evaluation {
    readonly project: string;
    readonly stack: string;
    readonly resources: RecordedResource[];
    /** Stack outputs, resolved (secrets in the clear: for assertions only). */
    readonly outputs: Record<string, unknown>;
    /** What the program exported, Outputs unresolved: secrecy is still visible here. */
    readonly exports: Record<string, unknown>;
    /** Invokes the program made, by token. */
    readonly invokes: readonly string[];
}

/**
 * Evaluates the compiled program at `entry` for one stack under the mock runtime. Throws what
 * the program throws (a StackConfigError for an invalid stack file).
 */
export function evaluate(entry: string, stack: string, input: StackInput, options: WorldOptions = {}): Promise<Evaluation> {
    return run(
        stack,
        input,
        () => {
            const resolved = require.resolve(entry);
            // Each evaluation runs the program anew, with this stack's configuration; import() would
            // hand back the module cached by the first evaluation.
            delete require.cache[resolved];
            // eslint-disable-next-line @typescript-eslint/no-require-imports
            const program = require(resolved) as Record<string, unknown> | (() => Promise<Record<string, unknown>>);
            // As Pulumi's Node.js host does: a function export is the program, its result the outputs.
            return typeof program === "function" ? program() : { ...program };
        },
        options,
    );
}

/** A program that failed, with what it registered before it did. */
export class EvaluationError extends Error {
    constructor(
        readonly stackName: string,
        override readonly cause: unknown,
        readonly resources: readonly RecordedResource[],
    ) {
        super(cause instanceof Error ? cause.message : String(cause));
        this.name = "EvaluationError";
    }
}

/** Runs `program` (which registers resources and returns the stack outputs) under the mocks. */
export async function run(
    stack: string,
    input: StackInput,
    program: () => Record<string, unknown> | Promise<Record<string, unknown>>,
    options: WorldOptions = {},
): Promise<Evaluation> {
    const resources: RecordedResource[] = [];
    const invokes: string[] = [];
    const disabled = disabledDefaultProviders(input.config);
    const problems: string[] = [];
    // AWS provider IDs are their region (see fakeState), so an invoke's provider names its region.
    const regionOf = (provider: string | undefined): string => provider?.split("::").pop() ?? "";
    const byKey = new Map<string, RecordedResource>();

    await pulumi.runtime.setMocks(
        {
            newResource: (args) => {
                const record = byKey.get(`${args.type}::${args.name}`);
                if (record)
                    record.inputs = plainInputs(args.inputs, (type, name) => byKey.get(`${type}::${name}`)?.urn) as Record<string, unknown>;
                const region = args.type === "pulumi:providers:aws" ? String(args.inputs.region) : regionOf(args.provider);
                const state = fakeState(args, region || "us-east-1", monitor);
                if (record)
                    record.outputs = {
                        ...(state.id ? { id: state.id } : {}),
                        ...(typeof state.state.arn === "string" ? { arn: state.state.arn } : {}),
                    };
                return state;
            },
            call: (args) => {
                invokes.push(args.token);
                if (!args.provider && disabled.some((pkg) => pkg === "*" || args.token.startsWith(`${pkg}:`))) {
                    problems.push(`invoke ${args.token} has no explicit provider`);
                }
                return fakeCall(args, regionOf, options);
            },
        },
        input.project,
        stack,
        true,
    );
    pulumi.runtime.setAllConfig(input.config, input.secretKeys);

    const monitor = pulumi.runtime.getMonitor() as unknown as MockMonitor;
    const register = monitor.registerResource.bind(monitor);
    monitor.registerResource = (req: RegisterRequest, callback) => {
        const record: RecordedResource = {
            urn: "",
            type: req.getType(),
            name: req.getName(),
            parent: req.getParent(),
            custom: req.getCustom(),
            remote: req.getRemote?.() ?? false,
            provider: req.getProvider(),
            protect: req.getProtect?.() ?? false,
            retainOnDelete: req.getRetainondelete?.() ?? false,
            ignoreChanges: req.getIgnorechangesList?.() ?? [],
            deletedWith: req.getDeletedwith?.() ?? "",
            aliases: (req.getAliasesList?.() ?? []).map((alias) => {
                const spec = alias.getSpec();
                if (!spec) return { urn: alias.getUrn() };
                return {
                    ...(spec.getParenturn() ? { parentUrn: spec.getParenturn() } : {}),
                    ...(spec.getName() ? { name: spec.getName() } : {}),
                    ...(spec.getType() ? { type: spec.getType() } : {}),
                };
            }),
            dependencies: req.getDependenciesList(),
            inputs: {},
        };
        const pkg = record.type.split(":")[0];
        if (record.custom && pkg !== "pulumi" && !record.provider && disabled.some((p) => p === "*" || p === pkg)) {
            problems.push(`${record.type} ${record.name} has no explicit provider, and the default ${pkg} provider is disabled`);
        }
        byKey.set(`${record.type}::${record.name}`, record);
        resources.push(record);
        return register(req, (err, response) => {
            if (response) (record as { urn: string }).urn = response.getUrn();
            callback(err, response);
        });
    };

    let exported: Record<string, unknown> = {};
    let outputs: Record<string, unknown> = {};
    let failure: unknown;
    try {
        outputs = (await pulumi.runtime.runInPulumiStack(async () => (exported = await program()))) as Record<string, unknown>;
    } catch (error) {
        failure = error;
    }
    // Registrations the outputs did not wait for may still be in flight.
    await (pulumi.runtime as unknown as { waitForRPCs(): Promise<void> }).waitForRPCs();
    if (failure !== undefined) throw new EvaluationError(stack, failure, resources);
    if (problems.length > 0) throw new Error(`offline evaluation of ${stack}:\n  ${problems.join("\n  ")}`);
    return { project: input.project, stack, resources, outputs, exports: exported, invokes };
}

interface RegisterRequest {
    getType(): string;
    getName(): string;
    getParent(): string;
    getCustom(): boolean;
    getRemote?(): boolean;
    getProvider(): string;
    getProtect?(): boolean;
    getRetainondelete?(): boolean;
    getIgnorechangesList?(): string[];
    getDeletedwith?(): string;
    getAliasesList?(): Array<{
        getUrn(): string;
        getSpec(): { getParenturn(): string; getName(): string; getType(): string } | undefined;
    }>;
    getDependenciesList(): string[];
}
