// The layout a newcomer relies on: components live in the folder of their type token's module,
// and no source file grows past the size at which it should be split by concern.
import * as assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { ROOT } from "./fixtures";

/** Lines at which a source file should be split by concern. */
const MAX_LINES = 400;

function sources(dir: string): string[] {
    return readdirSync(path.join(ROOT, dir), { withFileTypes: true }).flatMap((entry) => {
        const relative = path.join(dir, entry.name);
        if (entry.isDirectory()) return sources(relative);
        return entry.name.endsWith(".ts") ? [relative] : [];
    });
}

const SOURCES = ["index.ts", ...["components", "stacks", "test"].flatMap(sources)];

describe("layout", () => {
    it(`keeps every source file under ${MAX_LINES} lines`, () => {
        const long = SOURCES.map((file) => ({ file, lines: readFileSync(path.join(ROOT, file), "utf8").split("\n").length - 1 })).filter(
            ({ lines }) => lines > MAX_LINES,
        );
        assert.deepEqual(long, [], "split these by concern");
    });

    it("puts each component in the folder of its type token's module", () => {
        const components = SOURCES.filter((file) => file.startsWith(`components${path.sep}`)).flatMap((file) =>
            [...readFileSync(path.join(ROOT, file), "utf8").matchAll(/super\("platform:(\w+):(\w+)"/g)].map(([, module, type]) => ({
                file,
                module,
                type,
            })),
        );
        assert.ok(components.length >= 15, `found ${components.length} components`);
        for (const { file, module, type } of components) {
            const folder = path.relative("components", path.dirname(file)).split(path.sep)[0] || "index";
            assert.equal(folder, module, `${type} (platform:${module}) lives in ${file}`);
        }
    });
});
