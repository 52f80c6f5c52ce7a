// What the offline evaluation changes in the Pulumi SDK's runtime while a program runs, and
// why: records and servers the SDK keeps for the engine, which nothing reads offline. None of it
// changes what the program registers or sees (test/plan/offline.test.ts). Each change is undone
// when the evaluation ends; an SDK that no longer has the internal in question is left alone.
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { Callback } from "@pulumi/pulumi/proto/callback_pb";

/* eslint-disable @typescript-eslint/no-require-imports -- internal modules of the SDK, without typings */
interface Internals {
    /** runtime/debuggable.js */
    debuggable: { debuggablePromise?: (p: Promise<unknown>) => Promise<unknown> };
    /** resource.js */
    resource: { stackTrace?: (skip: number) => unknown[] };
    /** runtime/state.js: the store of the running program. */
    store: { callbacks?: unknown };
    /** google-protobuf's Struct, as the SDK loads it (a dependency of the SDK, not of this project). */
    Struct: StructClass;
}

interface StructInstance {
    toJavaScript(): Record<string, unknown>;
    getFieldsMap(noLazyCreate?: boolean): unknown;
    serializeBinary(): Uint8Array;
    toObject(includeInstance?: boolean): unknown;
}
interface StructClass {
    new (): StructInstance;
    fromJavaScript(value: Record<string, unknown>): StructInstance;
}

function internals(): Internals {
    return {
        debuggable: require("@pulumi/pulumi/runtime/debuggable") as Internals["debuggable"],
        resource: pulumi.Resource as unknown as Internals["resource"],
        store: (require("@pulumi/pulumi/runtime/state") as { getStore(): Internals["store"] }).getStore(),
        Struct: (
            require(
                require.resolve("google-protobuf/google/protobuf/struct_pb", { paths: [path.dirname(require.resolve("@pulumi/pulumi"))] }),
            ) as { Struct: StructClass }
        ).Struct,
    };
}
/* eslint-enable @typescript-eslint/no-require-imports */

/**
 * Stands in for the SDK's callback server (runtime/callbacks.js), through which the engine calls
 * back into the program, to apply a resource's `transforms` for one. The SDK starts it, a gRPC
 * server on a local port, as soon as a resource names a transform, and makes every later
 * registration wait on it. Offline no engine calls back (the SDK's MockMonitor never applied a
 * transform either), so this one hands out tokens and serves nothing. What it does not support
 * fails loudly rather than being skipped.
 */
class OfflineCallbacks {
    private count = 0;

    registerTransform(): Promise<Callback> {
        const callback = new Callback();
        callback.setToken(`offline-transform-${++this.count}`);
        callback.setTarget("offline");
        return Promise.resolve(callback);
    }

    awaitStackRegistrations(): Promise<void> {
        return Promise.resolve();
    }

    shutdown(): void {}

    static unsupported(method: string): never {
        throw new Error(`offline evaluation does not support ${method} (stacks/plan/runtime.ts); add it there if the program needs it`);
    }

    registerStackTransform(): never {
        return OfflineCallbacks.unsupported("stack transforms");
    }

    registerStackInvokeTransform(): never {
        return OfflineCallbacks.unsupported("invoke transforms");
    }

    registerStackInvokeTransformAsync(): never {
        return OfflineCallbacks.unsupported("invoke transforms");
    }

    registerResourceHook(): never {
        return OfflineCallbacks.unsupported("resource hooks");
    }

    registerErrorHook(): never {
        return OfflineCallbacks.unsupported("error hooks");
    }
}

/**
 * A copy of a plain value as google-protobuf's Struct hands it back (Struct.fromJavaScript, then
 * toJavaScript): every object's keys sorted, as its maps iterate them. Undefined when the value
 * holds something a Struct cannot (the real conversion then raises its own error).
 */
function structCopy(value: unknown): unknown {
    if (value === null || typeof value === "string" || typeof value === "number" || typeof value === "boolean") return value;
    if (typeof value !== "object") return undefined;
    const items = Array.isArray(value) ? value : Object.keys(value).sort();
    const copies = Array.isArray(value)
        ? value.map(structCopy)
        : items.map((key) => structCopy((value as Record<string, unknown>)[key as string]));
    if (copies.some((copy) => copy === undefined)) return undefined;
    return Array.isArray(value) ? copies : Object.fromEntries(items.map((key, i) => [key, copies[i]]));
}

/**
 * A Struct that keeps the plain object it was made from, and converts it to protobuf's own form
 * only when that form is read. The SDK converts every registration's properties to a Struct and
 * the offline monitor reads them straight back as plain data, a tenth of a plan's time. Nothing
 * offline serializes a message (no gRPC), which is the one read that would miss the content.
 */
function lazyStructs(Struct: StructClass, convert: StructClass["fromJavaScript"]): StructClass["fromJavaScript"] {
    class LazyStruct extends Struct {
        private converted?: StructInstance;
        constructor(private readonly value: Record<string, unknown>) {
            super();
        }
        private real(): StructInstance {
            return (this.converted ??= convert(this.value));
        }
        override toJavaScript(): Record<string, unknown> {
            return (structCopy(this.value) as Record<string, unknown> | undefined) ?? this.real().toJavaScript();
        }
        override getFieldsMap(noLazyCreate?: boolean): unknown {
            return this.real().getFieldsMap(noLazyCreate);
        }
        override serializeBinary(): Uint8Array {
            return this.real().serializeBinary();
        }
        override toObject(includeInstance?: boolean): unknown {
            return this.real().toObject(includeInstance);
        }
    }
    return (value) => new LazyStruct(value);
}

/**
 * Prepares the SDK for an offline evaluation (after `setMocks`); the returned function restores
 * it. Four changes:
 * - the callback server above replaces the SDK's, so no port is opened and gRPC is not loaded;
 * - promises are not wrapped for the leak report the SDK prints at exit (runtime/debuggable.js:
 *   a stack trace, a set entry and two more promises for each), about a fifth of an evaluation's
 *   time and memory; offline, a promise that never settles shows as an evaluation that never
 *   ends (the wait for outstanding registrations);
 * - no source position is parsed from every resource's whole call stack (`Resource.stackTrace`),
 *   which the offline monitor does not record;
 * - Structs are converted to protobuf's form only when read in that form (`lazyStructs`).
 */
export function prepareOfflineRuntime(): () => void {
    const { debuggable, resource, store, Struct } = internals();
    const [wrap, stackTrace, callbacks, fromJavaScript] = [
        debuggable.debuggablePromise,
        resource.stackTrace,
        store.callbacks,
        Struct.fromJavaScript,
    ];
    store.callbacks = new OfflineCallbacks();
    if (typeof wrap === "function") debuggable.debuggablePromise = (p) => p;
    if (typeof stackTrace === "function") resource.stackTrace = () => [];
    Struct.fromJavaScript = lazyStructs(Struct, fromJavaScript);
    return () => {
        store.callbacks = callbacks;
        debuggable.debuggablePromise = wrap;
        resource.stackTrace = stackTrace;
        Struct.fromJavaScript = fromJavaScript;
    };
}
