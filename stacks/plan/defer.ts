// Defers modules that the Pulumi SDKs load at start but the offline plan never uses.
// @pulumi/pulumi's index loads the Automation API (with execa, js-yaml, tmp and the workspace
// code) and the closure serializer, and with them TypeScript (9 MB of source), npm's Arborist
// (with pacote, sigstore, cacache and tar) and npm's package.json normalizer; its runtime loads
// gRPC and the engine's service stubs, which a mock run never connects to (the offline runtime
// replaces the one gRPC server the SDK would start, stacks/plan/runtime.ts); @pulumi/aws's index
// loads the module of each of its 240 services, of which the program uses a dozen; and
// @pulumi/kubernetes loads glob for the file patterns of its first-generation ConfigFile (the
// program uses v2). Together about 0.8 s and 60 MiB before the program registers anything.
// Each is replaced by a stand-in that loads the real module on first use, so behaviour is
// unchanged if anything does reach them: a service's module, which registers its resource types
// with the SDK, is loaded before the program creates its first resource of that service.
//
// Imported first by the plan's entry points, before anything that imports the SDKs.
import Module from "node:module";
import * as path from "node:path";

/** Deferred requests, each with the files (below node_modules) making it: a file, or a folder ending in "/". */
const DEFERRED = new Map([
    ["typescript", "@pulumi/pulumi/"],
    ["@npmcli/arborist", "@pulumi/pulumi/"],
    ["./automation", "@pulumi/pulumi/index.js"],
    ["normalize-package-data", "@pulumi/pulumi/runtime/closure/codePaths.js"],
    ["fdir", "@pulumi/pulumi/runtime/closure/codePaths.js"],
    ["glob", "@pulumi/kubernetes/yaml/yaml.js"],
    ["@grpc/grpc-js", "@pulumi/pulumi/"],
    ["../proto/callback_grpc_pb", "@pulumi/pulumi/runtime/callbacks.js"],
    ["../proto/engine_grpc_pb", "@pulumi/pulumi/runtime/settings.js"],
    ["../proto/resource_grpc_pb", "@pulumi/pulumi/runtime/settings.js"],
    ["../proto/provider_grpc_pb", "@pulumi/pulumi/provider/server.js"],
]);

/**
 * SDK modules that import every service of their SDK, and which of those imports are deferred:
 * all but what the module itself uses at load. (@pulumi/kubernetes does the same with its API
 * groups, but they are small: deferring them measured no faster.)
 */
const SERVICE_IMPORTS = new Map([["@pulumi/aws/index.js", /^\.\/(?!provider$|tags$|utils$|utilities$)[a-z0-9]+$/]]);

interface Loader {
    _load(request: string, parent: { filename?: string } | undefined, isMain: boolean): unknown;
}
const NODE_MODULES = `${path.sep}node_modules${path.sep}`;

const loader = Module as unknown as Loader;
const load = loader._load.bind(loader);

/** Whether `request`, made by the file `filename`, is one the plan defers. */
function isDeferred(request: string, filename: string | undefined): boolean {
    const from = DEFERRED.get(request);
    if (from === undefined && !request.startsWith(".")) return false;
    // Only the SDKs' own requests: a test that imports TypeScript gets it as it is.
    const file = filename?.split(NODE_MODULES).pop()?.split(path.sep).join("/");
    if (file === undefined) return false;
    if (from === undefined) return SERVICE_IMPORTS.get(file)?.test(request) ?? false;
    return from.endsWith("/") ? file.startsWith(from) : file === from;
}

loader._load = (request, parent, isMain) => {
    if (!isDeferred(request, parent?.filename)) return load(request, parent, isMain);
    let real: Record<PropertyKey, unknown> | undefined;
    const target = () => (real ??= load(request, parent, isMain) as Record<PropertyKey, unknown>);
    // `__esModule` keeps TypeScript's import helpers from copying every export at import time;
    // `default` is then the module itself when it has none (a CommonJS module's export). Listing
    // or testing the exports loads the module too. (A proxy may report a property its empty
    // target lacks only as configurable.)
    return new Proxy(
        {},
        {
            get: (_, key) => {
                if (key === "__esModule") return true;
                const module = target();
                return key === "default" && !("default" in module) ? module : module[key];
            },
            has: (_, key) => key in target(),
            ownKeys: () => Reflect.ownKeys(target()),
            getOwnPropertyDescriptor: (_, key) => {
                const descriptor = Reflect.getOwnPropertyDescriptor(target(), key);
                return descriptor && { ...descriptor, configurable: true };
            },
        },
    );
};
