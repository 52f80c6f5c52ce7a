// Documentation that states what the code does is checked against the code.
import * as assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { z } from "zod";
import { GUARDRAILS } from "../stacks/policy-pack/guardrails";
import { renderReference, withReference } from "../stacks/plan/reference";
import { SETTINGS } from "../stacks/config/schema";
import { POLICY_PACK } from "../stacks/delivery/delivery";
import { ROOT } from "./fixtures";

const readme = readFileSync(path.join(ROOT, "README.md"), "utf8");

describe("documentation", () => {
    it("carries a configuration reference that matches the schema, defaults included", () => {
        assert.equal(withReference(readme), readme, "README.md is out of date: run npm run docs");
        for (const key of Object.keys(SETTINGS)) assert.ok(renderReference().includes(`| \`${key}\``));
    });

    it("documents every field, the fields of each map entry (pools, node classes, teams) included, each with a description", () => {
        const reference = renderReference();
        const rows = reference.split("\n").filter((line) => line.startsWith("| `"));
        for (const row of rows) assert.ok(row.split(" | ")[3]?.replace(/\|$/, "").trim(), `no description: ${row}`);
        /** Every field path of a JSON schema, map entries as `<name>`, list items as `[]`. */
        const paths = (schema: Record<string, unknown>, key: string): string[] => {
            const properties = (schema.properties ?? {}) as Record<string, Record<string, unknown>>;
            const entry = schema.additionalProperties as Record<string, unknown> | undefined;
            const items = schema.items as Record<string, unknown> | undefined;
            return [
                key,
                ...Object.entries(properties).flatMap(([field, child]) => paths(child, `${key}.${field}`)),
                ...(typeof entry === "object" && entry.properties ? paths(entry, `${key}.<name>`).slice(1) : []),
                ...(items?.properties ? paths(items, `${key}[]`).slice(1) : []),
            ];
        };
        const all = Object.entries(SETTINGS).flatMap(([key, schema]) =>
            paths(z.toJSONSchema(schema as z.ZodType, { io: "input", unrepresentable: "any" }) as Record<string, unknown>, key),
        );
        for (const field of ["karpenter.pools.<name>.categories", "karpenter.pools.<name>.limits.gpus", "karpenter.nodeClasses.<name>.os"])
            assert.ok(all.includes(field), `the schema has ${field}`);
        for (const field of all)
            assert.ok(
                rows.some((row) => row.startsWith(`| \`${field}\` |`)),
                `${field} is not in the reference`,
            );
    });

    it("gives a quick start whose commands exist", () => {
        const scripts = JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")).scripts as Record<string, string>;
        assert.match(readme, /npm ci && npm run plan/);
        assert.match(readme, /npm test/);
        for (const script of ["plan", "test", "bench", "lint", "docs", "promote"]) assert.ok(scripts[script], `no npm script ${script}`);
        const ci = readFileSync(path.join(ROOT, ".ci", "run"), "utf8");
        assert.match(ci, /^npm ci$/m);
        assert.match(ci, /^npm test$/m);
    });

    it("declares every setting in Pulumi.yaml, with the schema's defaults", () => {
        const declared = (
            parse(readFileSync(path.join(ROOT, "Pulumi.yaml"), "utf8")) as {
                config: Record<string, { default?: unknown; type?: string; description?: string }>;
            }
        ).config;
        for (const [key, schema] of Object.entries(SETTINGS)) {
            const entry = declared[`platform:${key}`];
            assert.ok(entry, `Pulumi.yaml does not declare platform:${key}`);
            const json = z.toJSONSchema(schema as z.ZodType, { io: "input", unrepresentable: "any" }) as { default?: unknown };
            if (json.default !== undefined) assert.deepEqual(entry.default, json.default, `platform:${key} default`);
            const type = (json as { type?: string }).type ?? "object";
            assert.equal(
                entry.type,
                type === "integer" ? "integer" : type,
                `Pulumi.yaml declares platform:${key} as ${entry.type}, the schema as ${type}`,
            );
            assert.ok(entry.description, `Pulumi.yaml gives platform:${key} no description`);
        }
        for (const key of Object.keys(declared).filter((k) => k.startsWith("platform:")))
            assert.ok(key.slice("platform:".length) in SETTINGS, `Pulumi.yaml declares ${key}, which the schema does not know`);
    });

    it("lists every policy of the pack with the level each enforcement file gives it", () => {
        const dir = path.join(ROOT, POLICY_PACK);
        const levels = Object.fromEntries(
            readdirSync(dir).flatMap((name) => {
                const environment = /^config\.(.+)\.json$/.exec(name)?.[1];
                return environment ? [[environment, JSON.parse(readFileSync(path.join(dir, name), "utf8")) as Record<string, string>]] : [];
            }),
        );
        const header = readme.split("\n").find((line) => line.startsWith("| Policy |")) as string;
        const columns = header.split("|").map((cell) => cell.trim());
        for (const environment of Object.keys(levels))
            assert.ok(columns.includes(environment), `README's policy table has a column ${environment}`);
        for (const policy of GUARDRAILS) {
            const row = readme.split("\n").find((line) => line.startsWith(`| \`${policy.name}\` |`));
            assert.ok(row, `README lists ${policy.name}`);
            const cells = row.split("|").map((cell) => cell.trim());
            for (const [environment, level] of Object.entries(levels))
                assert.equal(cells[columns.indexOf(environment)], level[policy.name], `${policy.name} in ${environment}`);
        }
    });
});
