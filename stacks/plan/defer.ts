// Defers modules that @pulumi/pulumi loads at start but the offline plan never uses. Its index
// loads the Automation API (with execa, js-yaml, tmp and the workspace code) and the closure
// serializer, and with them TypeScript (9 MB of source) and npm's Arborist (with pacote,
// sigstore, cacache and tar): about 0.6 s and 55 MiB before the program registers anything.
// They serve only `pulumi.automation`, function serialization and workspace discovery, which a
// mock run never reaches. Each is replaced by a stand-in that loads the real module on first
// use, so behaviour is unchanged if anything does reach them.
//
// Imported first by the plan's entry points, before anything that imports @pulumi/pulumi.
import Module from "node:module";
import * as path from "node:path";

/** Requests the SDK makes, by the file making them (`*`: any file of the SDK). */
const DEFERRED = new Map([
    ["typescript", "*"],
    ["@npmcli/arborist", "*"],
    ["./automation", "index.js"],
]);

interface Loader {
    _load(request: string, parent: { filename?: string } | undefined, isMain: boolean): unknown;
}
const PULUMI_SDK = `${path.sep}node_modules${path.sep}@pulumi${path.sep}pulumi${path.sep}`;

const loader = Module as unknown as Loader;
const load = loader._load.bind(loader);

loader._load = (request, parent, isMain) => {
    // Only the SDK's own requests: a test that imports TypeScript gets it as it is.
    const from = DEFERRED.get(request);
    if (from === undefined) return load(request, parent, isMain);
    const file = parent?.filename?.split(PULUMI_SDK)[1];
    if (file === undefined || (from !== "*" && file !== from)) return load(request, parent, isMain);
    let real: Record<PropertyKey, unknown> | undefined;
    const target = () => (real ??= load(request, parent, isMain) as Record<PropertyKey, unknown>);
    // `__esModule` keeps TypeScript's import helpers from copying every export at import time.
    return new Proxy({}, { get: (_, key) => (key === "__esModule" ? true : target()[key]) });
};
