// Validation of a whole stack file. Every problem is collected and reported at once, each with
// the property path and the offending value, before any resource is registered.
//
// Each top-level setting is parsed on its own (and each region on its own), so a malformed part
// never hides the problems of the others: the cross-field rules in rules/ run on every part that
// parsed.
import { z } from "zod";
import { type SettingKey, SETTINGS, type Settings, settingsSchema } from "./schema";
import { gitopsProblems, observabilityProblems, registryProblems } from "./rules/addons";
import { clusterProblems, pipelineProblems, versionProblems } from "./rules/cluster";
import { nameProblems, tagProblems } from "./rules/names";
import { networkProblems, regionProblems } from "./rules/network";
import { karpenterProblems, nodeGroupProblems } from "./rules/nodes";
import { teamProblems } from "./rules/teams";
import { ingressProblems } from "./rules/ingress";
import { loggingProblems } from "./rules/logging";
import { formatPath, type ParsedSettings, type Problem, show } from "./problems";

function valueAt(root: unknown, segments: readonly PropertyKey[]): unknown {
    let current = root;
    for (const segment of segments) {
        if (current === null || typeof current !== "object") return undefined;
        current = (current as Record<PropertyKey, unknown>)[segment as string];
    }
    return current;
}

function fromZod(path: readonly PropertyKey[], raw: unknown, issues: readonly z.core.$ZodIssue[]): Problem[] {
    return issues.flatMap((issue) => {
        const where = [...path, ...issue.path];
        if (issue.code === "unrecognized_keys") {
            return issue.keys.map((unknown) => ({ path: formatPath([...where, unknown]), message: "unknown setting" }));
        }
        // A record's key: the key's own problems, about the key, not its value.
        if (issue.code === "invalid_key")
            return [{ path: formatPath(where), message: `${show(issue.path.at(-1))}: ${issue.issues.map((i) => i.message).join("; ")}` }];
        const value = valueAt(raw, issue.path);
        if (value === undefined)
            return [{ path: formatPath(where), message: issue.code === "invalid_type" ? `required (${issue.expected})` : issue.message }];
        return [{ path: formatPath(where), message: `${issue.message} (got ${show(value)})` }];
    });
}

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
    value !== null && typeof value === "object" && !Array.isArray(value);

/**
 * Parses `raw` against `schema` field by field, so that one bad field never hides the problems
 * of its siblings: objects and arrays of objects are walked, everything else is parsed whole.
 * Returns the parsed value with invalid fields left out (undefined when the value itself is
 * invalid), and records every problem with its full path.
 */
function parseTree(schema: z.ZodType, raw: unknown, path: readonly PropertyKey[], problems: Problem[]): unknown {
    let inner: z.ZodType = schema;
    let value = raw;
    if (inner instanceof z.ZodPrefault) {
        if (value === undefined) value = inner.def.defaultValue;
        inner = inner.unwrap() as z.ZodType;
    }
    if (inner instanceof z.ZodOptional) {
        if (value === undefined) return undefined;
        inner = inner.unwrap() as z.ZodType;
    }
    if (inner instanceof z.ZodObject && isPlainObject(value)) {
        const shape = inner.shape as Record<string, z.ZodType>;
        for (const key of Object.keys(value)) {
            if (!(key in shape))
                problems.push({
                    path: formatPath([...path, key]),
                    message: `unknown setting (allowed here: ${Object.keys(shape).join(", ")})`,
                });
        }
        const out: Record<string, unknown> = {};
        for (const [key, field] of Object.entries(shape)) {
            const parsed = parseTree(field, value[key], [...path, key], problems);
            if (parsed !== undefined) out[key] = parsed;
        }
        return out;
    }
    if (inner instanceof z.ZodArray && inner.element instanceof z.ZodObject && Array.isArray(value)) {
        const whole = inner.safeParse(value);
        if (!whole.success)
            problems.push(
                ...fromZod(
                    path,
                    value,
                    whole.error.issues.filter((issue) => issue.path.length === 0),
                ),
            );
        return value.map((item, i) => parseTree(inner.element as z.ZodType, item, [...path, i], problems));
    }
    const result = schema.safeParse(raw);
    if (result.success) return result.data;
    problems.push(...fromZod(path, raw, result.error.issues));
    return undefined;
}
/** Validates every setting; returns the typed settings only when there is no problem at all. */
export function validateSettings(raw: Readonly<Record<string, unknown>>): { settings?: Settings; problems: Problem[] } {
    const problems: Problem[] = [];
    for (const key of Object.keys(raw)) {
        if (!(key in SETTINGS)) problems.push({ path: key, message: `unknown setting (known: ${Object.keys(SETTINGS).join(", ")})` });
    }
    const parsed: Record<string, unknown> = {};
    for (const [key, schema] of Object.entries(SETTINGS) as Array<[SettingKey, z.ZodType]>) {
        const value = parseTree(schema, raw[key], [key], problems);
        if (value !== undefined) parsed[key] = value;
    }
    problems.push(...crossFieldProblems(parsed as ParsedSettings));
    if (problems.length > 0) return { problems };
    return { settings: settingsSchema.parse(Object.fromEntries(Object.keys(SETTINGS).map((key) => [key, raw[key]]))), problems };
}

function crossFieldProblems(settings: ParsedSettings): Problem[] {
    const regions = (settings.regions ?? []).flatMap((region, index) => (region ? [{ index, region }] : []));
    return [
        ...regionProblems(regions),
        ...networkProblems(settings, regions),
        ...nodeGroupProblems(settings),
        ...versionProblems(settings),
        ...clusterProblems(settings),
        ...pipelineProblems(settings, regions),
        ...nameProblems(settings, regions),
        ...tagProblems(settings),
        ...karpenterProblems(settings),
        ...gitopsProblems(settings),
        ...observabilityProblems(settings, regions),
        ...registryProblems(settings, regions),
        ...teamProblems(settings),
        ...ingressProblems(settings, regions),
        ...loggingProblems(settings),
    ];
}
