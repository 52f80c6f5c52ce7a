// Promotion: copies the version lock of one stack file into another.
//
//   npm run promote -- staging prod            write Pulumi.prod.yaml, print what changed
//   npm run promote -- staging prod-us-east-1 prod-eu-west-1    several targets (a fleet split per region)
//   npm run promote -- staging prod --check    print what would change, write nothing; exit 1
//                                              when prod's lock differs from staging's
//
// A pending promotion is the normal state between a change to staging's lock and its promotion,
// so --check answers a question (is one pending?); nothing in CI treats its exit 1 as a failure.
//
// Only the `platform:versions` block of the target changes, byte for byte as the source has it;
// everything else in the target file (comments, secrets, ordering) stays as it was. Refused, with
// every reason, when the target does not take its lock from the source (`promotion.from`), when
// the lock would move Kubernetes more than one minor or backwards, or when the target's stack file
// would not validate with the new lock. Exit codes: 0 promoted or nothing to do, 1 refused (or, with
// --check, a promotion is pending), 2 usage.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { isDeepStrictEqual } from "node:util";
import { type Document, isMap, isScalar, parse, parseDocument } from "yaml";
import { runMain } from "./cli";
import { StackConfigError, resolveStackConfig, type StackConfig } from "../config/config";
import { type LockChange, formatChange, kubernetesStep, lockChanges } from "../config/lock";
import { projectRoot, rawStackConfig, stackFile, stackInput } from "../plan/stack-input";
import type { Problem } from "../config/problems";

const VERSIONS_KEY = "platform:versions";

export type PromotionResult =
    | { readonly status: "promoted"; readonly changes: readonly LockChange[]; readonly text: string }
    | { readonly status: "unchanged" }
    | { readonly status: "refused"; readonly problems: readonly Problem[] };

function resolveText(root: string, stack: string, text: string): StackConfig {
    const input = stackInput(root, text);
    return resolveStackConfig(rawStackConfig(input, stack));
}

/** Where the lock's value sits in a stack file's text, and the column its lines start at. */
function lockRange(document: Document, text: string, file: string): { start: number; end: number; column: number } {
    const config = document.get("config", true);
    const pair = isMap(config) ? config.items.find((item) => isScalar(item.key) && item.key.value === VERSIONS_KEY) : undefined;
    if (!pair?.value || !isMap(pair.value) || !pair.value.range) throw new Error(`${file} has no ${VERSIONS_KEY} block`);
    const [start, end] = pair.value.range;
    const content = text.slice(start, end).trimEnd();
    return { start, end: start + content.length, column: start - (text.lastIndexOf("\n", start - 1) + 1) };
}

/** The source's lock block, re-indented to the target's column. */
function reindent(block: string, from: number, to: number): string {
    if (from === to) return block;
    return block
        .split("\n")
        .map((line, i) => {
            if (i === 0 || line.trim() === "") return line;
            return to > from ? `${" ".repeat(to - from)}${line}` : line.slice(Math.min(from - to, line.length - line.trimStart().length));
        })
        .join("\n");
}

/** Plans the promotion of `from`'s lock into `to`'s stack file, without writing anything. */
export function promote(root: string, from: string, to: string): PromotionResult {
    const [sourceFile, targetFile] = [stackFile(root, from), stackFile(root, to)];
    for (const file of [sourceFile, targetFile]) if (!existsSync(file)) throw new Error(`no stack file ${path.basename(file)}`);
    const [sourceText, targetText] = [readFileSync(sourceFile, "utf8"), readFileSync(targetFile, "utf8")];

    let source: StackConfig;
    let target: StackConfig;
    try {
        source = resolveText(root, from, sourceText);
        target = resolveText(root, to, targetText);
    } catch (error) {
        if (error instanceof StackConfigError)
            return {
                status: "refused",
                problems: error.problems.map((p) => ({ path: `${error.stackName}: ${p.path}`, message: p.message })),
            };
        throw error;
    }

    const problems: Problem[] = [];
    if (target.promotion.from !== from) {
        problems.push({
            path: `${to}: promotion.from`,
            message: target.promotion.from
                ? `${to} takes its lock from ${target.promotion.from}, not ${from}`
                : `${to} takes its lock from no stack; set promotion.from: ${from} first`,
        });
    }
    const changes = lockChanges(target.versions, source.versions);
    if (problems.length === 0 && changes.length === 0) return { status: "unchanged" };
    const step = kubernetesStep(target.versions.kubernetes, source.versions.kubernetes);
    if (step) problems.push({ path: `${to}: versions.kubernetes`, message: `${step}; promote the intermediate lock first` });

    const source_ = lockRange(parseDocument(sourceText), sourceText, path.basename(sourceFile));
    const target_ = lockRange(parseDocument(targetText), targetText, path.basename(targetFile));
    const block = reindent(sourceText.slice(source_.start, source_.end), source_.column, target_.column);
    const text = `${targetText.slice(0, target_.start)}${block}${targetText.slice(target_.end)}`;

    try {
        resolveText(root, to, text);
    } catch (error) {
        if (!(error instanceof StackConfigError)) throw error;
        problems.push(...error.problems.map((p) => ({ path: `${to}: ${p.path}`, message: `${p.message} (with ${from}'s lock)` })));
    }
    if (problems.length > 0) return { status: "refused", problems };

    // The edit is textual; make sure it changed the lock and nothing else.
    const [before, after, wanted] = [
        parse(targetText) as { config: Record<string, unknown> },
        parse(text) as { config: Record<string, unknown> },
        parse(sourceText) as { config: Record<string, unknown> },
    ];
    if (
        !isDeepStrictEqual(after.config[VERSIONS_KEY], wanted.config[VERSIONS_KEY]) ||
        !isDeepStrictEqual(
            { ...after, config: { ...after.config, [VERSIONS_KEY]: null } },
            { ...before, config: { ...before.config, [VERSIONS_KEY]: null } },
        )
    ) {
        throw new Error(`promoting into ${path.basename(targetFile)} would change more than its ${VERSIONS_KEY} block; edit it by hand`);
    }
    return { status: "promoted", changes, text };
}

/** The command line, on the stack files of `root`; returns its exit code. */
export function main(argv: string[], root: string = projectRoot()): number {
    const check = argv.includes("--check");
    const [from, ...targets] = argv.filter((arg) => !arg.startsWith("--"));
    if (!from || targets.length === 0) {
        console.error("usage: npm run promote -- <from-stack> <to-stack>... [--check]");
        return 2;
    }
    let code = 0;
    for (const to of targets) {
        const result = promote(root, from, to);
        switch (result.status) {
            case "unchanged":
                console.log(`${to} already runs ${from}'s lock; nothing to promote`);
                break;
            case "refused":
                console.error(
                    `refusing to promote ${from} -> ${to}:\n${result.problems.map((p) => `  ${p.path}: ${p.message}`).join("\n")}`,
                );
                code = 1;
                break;
            case "promoted":
                if (!check) writeFileSync(stackFile(root, to), result.text);
                console.log(
                    `${check ? "would promote" : "promoted"} ${from} -> ${to} (${path.basename(stackFile(root, to))}):\n${result.changes.map((c) => `  ${formatChange(c)}`).join("\n")}`,
                );
                if (check) code = 1;
                break;
        }
    }
    return code;
}

if (require.main === module) runMain((argv) => main(argv));
