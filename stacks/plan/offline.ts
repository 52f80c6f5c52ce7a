// Evaluates the program for a stack file offline, under Pulumi's mock runtime: no credentials,
// no network, no engine. Every registered resource is recorded (type, name, parent, inputs,
// options, dependencies) for the plan, the benchmark and the tests. The mocks (mocks.ts) fake
// only what AWS and the @pulumi/eks components would return.
import * as pulumi from "@pulumi/pulumi";
import type { MockMonitor } from "@pulumi/pulumi/runtime/mocks";
import type { StackInput } from "./stack-input";
import { disabledDefaultProviders, fakeCall, fakeState, recordedInputs, type WorldOptions } from "./mocks";
import type { RecordedResource } from "./resources";
import { prepareOfflineRuntime } from "./runtime";

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

    await pulumi.runtime.setMocks(
        {
            // Reads (`Resource.get`); registrations are answered below.
            newResource: (args) => fakeState(args, regionOf(args.provider) || "us-east-1", monitor),
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

    const monitor = pulumi.runtime.getMonitor() as unknown as OfflineMonitor;
    // Registrations are answered here rather than by the SDK's MockMonitor, with the same state,
    // in the wire form throughout: the MockMonitor rebuilds live resources from every reference
    // among the inputs, serializes the state again property by property and copies it through
    // protobuf twice, which is most of what a registration costs offline.
    monitor.registerResource = (req: RegisterRequest, callback: (err: unknown, response?: RegisterResponse) => void) => {
        const record: RecordedResource = {
            urn: monitor.newUrn(req.getParent(), req.getType(), req.getName()),
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
        resources.push(record);
        try {
            const inputs = (req.getObject()?.toJavaScript() ?? {}) as Record<string, unknown>;
            record.inputs = recordedInputs(inputs);
            const region = record.type === "pulumi:providers:aws" ? String(inputs.region) : regionOf(record.provider);
            const args = { type: record.type, name: record.name, inputs, provider: record.provider, custom: record.custom };
            const { id, state } = fakeState(args, region || "us-east-1", monitor);
            record.outputs = { ...(id ? { id } : {}), ...(typeof state.arn === "string" ? { arn: state.arn } : {}) };
            // Kept for `pulumi:pulumi:getResource`, through which the SDK resolves references in outputs.
            monitor.resources.set(record.urn, { urn: record.urn, id: id ?? null, state });
            // The shape the SDK itself answers with when no monitor is attached (runtime/resource.js,
            // registerResource); Result 0 is SUCCESS.
            callback(null, {
                getUrn: () => record.urn,
                getId: () => id ?? "",
                getObject: () => ({ toJavaScript: () => state }),
                getPropertydependenciesMap: () => undefined,
                getResult: () => 0,
            });
        } catch (error) {
            callback(error);
        }
    };

    let exported: Record<string, unknown> = {};
    let outputs: Record<string, unknown> = {};
    let failure: unknown;
    const restoreRuntime = prepareOfflineRuntime();
    try {
        outputs = (await pulumi.runtime.runInPulumiStack(async () => (exported = await program()))) as Record<string, unknown>;
    } catch (error) {
        failure = error;
    }
    try {
        // Registrations the outputs did not wait for may still be in flight.
        await (pulumi.runtime as unknown as { waitForRPCs(): Promise<void> }).waitForRPCs();
    } finally {
        restoreRuntime();
    }
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
    getObject(): { toJavaScript(): unknown } | undefined;
}

/** What is used of the SDK's MockMonitor: its record of resources, its URNs, its registration. */
interface OfflineMonitor {
    readonly resources: MockMonitor["resources"];
    newUrn(parent: string, type: string, name: string): string;
    registerResource(req: RegisterRequest, callback: (err: unknown, response?: RegisterResponse) => void): void;
}

interface RegisterResponse {
    getUrn(): string;
    getId(): string;
    getObject(): { toJavaScript(): unknown };
    getPropertydependenciesMap(): undefined;
    getResult(): number;
}
