// The configuration reference in the README, generated from the schema so it cannot drift:
// a test compares the README with this rendering, and `npm run docs` rewrites it.
import { readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { z } from "zod";
import { projectRoot } from "./stack-input";
import { SETTINGS } from "../config/schema";

interface JsonSchema {
    type?: string | string[];
    description?: string;
    default?: unknown;
    properties?: Record<string, JsonSchema>;
    required?: string[];
    items?: JsonSchema;
    oneOf?: JsonSchema[];
    anyOf?: JsonSchema[];
    enum?: unknown[];
    const?: unknown;
    additionalProperties?: JsonSchema | boolean;
}

export const MARKERS = { start: "<!-- config-reference:start -->", end: "<!-- config-reference:end -->" } as const;

function typeOf(schema: JsonSchema): string {
    if (schema.enum) return schema.enum.map((v) => JSON.stringify(v)).join(" \\| ");
    if (schema.oneOf ?? schema.anyOf) return "object";
    if (schema.type === "array") return `list of ${schema.items ? typeOf(schema.items) : "values"}`;
    if (schema.type === "object" && !schema.properties) return "map";
    return String(schema.type ?? "value");
}

const cell = (text: string | undefined) => (text ?? "").replace(/\|/g, "\\|").replace(/</g, "&lt;").replace(/>/g, "&gt;");

/** Defaults too large for a table cell (maps of objects), printed after the table. */
let defaults: Array<[string, unknown]> = [];

function rows(schema: JsonSchema, key: string, required: boolean, out: string[]): void {
    const isTable = schema.type === "object" && schema.properties;
    const isTableList = schema.type === "array" && schema.items?.type === "object" && schema.items.properties;
    const entry = typeof schema.additionalProperties === "object" ? schema.additionalProperties : undefined;
    // A map of objects (pools, node classes, teams): the map, then the fields of each entry.
    if (schema.type === "object" && !schema.properties && entry?.type === "object" && entry.properties) {
        const def = schema.default === undefined ? (required ? "required" : "optional") : "defaults below the table";
        out.push(`| \`${key}\` | map of object | ${def} | ${cell(schema.description)} |`);
        for (const [field, child] of Object.entries(entry.properties)) {
            rows(child, `${key}.<name>.${field}`, (entry.required ?? []).includes(field) && child.default === undefined, out);
        }
        if (schema.default !== undefined) defaults.push([key, schema.default]);
        return;
    }
    const def = schema.default === undefined ? (required ? "required" : "optional") : `\`${JSON.stringify(schema.default)}\``;
    if (!isTable && !isTableList) {
        out.push(`| \`${key}\` | ${typeOf(schema)} | ${def} | ${cell(schema.description)} |`);
        return;
    }
    const objectDefault = required ? "required" : "fields below";
    out.push(`| \`${key}\` | ${isTableList ? "list" : "object"} | ${isTableList ? def : objectDefault} | ${cell(schema.description)} |`);
    const table = (isTableList ? schema.items : schema) as JsonSchema;
    const prefix = isTableList ? `${key}[]` : key;
    for (const [field, child] of Object.entries(table.properties ?? {})) {
        rows(child, `${prefix}.${field}`, (table.required ?? []).includes(field) && child.default === undefined, out);
    }
}

/** The reference as a Markdown table: every setting of `platform:`, nested ones by path. */
export function renderReference(): string {
    const out = ["| Setting (`platform:` key) | Type | Default | Description |", "|---|---|---|---|"];
    defaults = [];
    for (const [key, schema] of Object.entries(SETTINGS)) {
        const json = z.toJSONSchema(schema as z.ZodType, { io: "input", unrepresentable: "any" }) as JsonSchema;
        rows(json, key, json.default === undefined, out);
    }
    for (const [key, value] of defaults) out.push("", `Default of \`${key}\`:`, "", "```json", JSON.stringify(value, null, 2), "```");
    return out.join("\n");
}

/** The README with its reference section replaced by the current rendering. */
export function withReference(readme: string): string {
    const start = readme.indexOf(MARKERS.start);
    const end = readme.indexOf(MARKERS.end);
    if (start < 0 || end < start) throw new Error(`README.md lacks the ${MARKERS.start} ... ${MARKERS.end} section`);
    return `${readme.slice(0, start + MARKERS.start.length)}\n${renderReference()}\n${readme.slice(end)}`;
}

if (require.main === module) {
    const file = path.join(projectRoot(), "README.md");
    writeFileSync(file, withReference(readFileSync(file, "utf8")));
    console.log("README.md configuration reference updated");
}
