// What the delivery tests share: a committed stack file's config, the next version of a pin, the
// promotions the stack files declare, and scratch copies of the stack files to change freely.
//
// The committed files are in one of two states: in sync (every promoted stack holds its source's
// lock), or a source ahead by a promotion (staging changed its lock, prod waits for
// `npm run promote`). Tests about the committed files accept both; a test that needs one state
// builds it on a scratch copy.
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { parseDocument } from "yaml";
import { resolveStackConfig, type StackConfig } from "../../stacks/config/config";
import { POLICY_PACK } from "../../stacks/delivery/delivery";
import { main as promoteCommand, promote } from "../../stacks/delivery/promote";
import { stackNames } from "../../stacks/plan/plan";
import { rawStackConfig, readStackConfig } from "../../stacks/plan/stack-input";
import { rawConfig, render, ROOT, settingsOf, STACKS } from "../fixtures";

export const configOf = (stack: string): StackConfig => resolveStackConfig(rawConfig(settingsOf(stack), { stack }));

/** The next patch (or build) of a version: the last number in it, plus one. */
const next = (version: string): string => version.replace(/(\d+)(?!.*\d)/, (n) => String(Number(n) + 1));

/** The next version of a pin; an image pinned by digest gets the next tag and another digest, as a real release would. */
export const bump = (version: string): string => {
    const [name, digest] = version.split("@sha256:");
    return digest === undefined ? next(version) : `${next(name)}@sha256:${digest.slice(1)}${digest[0]}`;
};

/** Stacks whose stack file names another as the source of its lock. */
export const promotions = STACKS.map((stack) => ({ stack, from: configOf(stack).promotion.from })).filter(
    (p): p is { stack: string; from: string } => p.from !== undefined,
);

/** The command that promotes `from`'s lock into `stack`, as the README and the delivery plan spell it. */
export const promoteCommandFor = (from: string, stack: string): string => `npm run promote -- ${from} ${stack}`;

/** A copy of the project's stack files and the policy pack's enforcement files, in a folder of its own. */
export class Scratch {
    readonly dir = mkdtempSync(path.join(tmpdir(), "delivery-"));

    constructor() {
        for (const name of ["Pulumi.yaml", ...stackNames(ROOT).map((stack) => `Pulumi.${stack}.yaml`)])
            copyFileSync(path.join(ROOT, name), path.join(this.dir, name));
        mkdirSync(path.join(this.dir, POLICY_PACK), { recursive: true });
        for (const name of readdirSync(path.join(ROOT, POLICY_PACK)).filter((file) => /^config\..+\.json$/.test(file)))
            copyFileSync(path.join(ROOT, POLICY_PACK, name), path.join(this.dir, POLICY_PACK, name));
    }

    file(stack: string): string {
        return path.join(this.dir, `Pulumi.${stack}.yaml`);
    }

    read(stack: string): string {
        return readFileSync(this.file(stack), "utf8");
    }

    edit(stack: string, change: (text: string) => string): void {
        writeFileSync(this.file(stack), change(this.read(stack)));
    }

    /** Rewrites a stack file through the YAML document model (comments survive), into `as` if given. */
    rewrite(stack: string, change: (doc: ReturnType<typeof parseDocument>) => void, as = stack): void {
        const doc = parseDocument(this.read(stack));
        change(doc);
        writeFileSync(this.file(as), doc.toString());
    }

    /** A stack's config as the scratch stack file has it. */
    config(stack: string): StackConfig {
        return resolveStackConfig(rawStackConfig(readStackConfig(this.dir, stack), stack));
    }

    /** Applies every pending promotion with `promote()`, as `npm run promote` would; throws when one is refused. */
    promoteAll(): this {
        for (const stack of stackNames(this.dir)) {
            const from = this.config(stack).promotion.from;
            if (!from || !existsSync(this.file(from))) continue;
            const result = promote(this.dir, from, stack);
            if (result.status === "refused") throw new Error(`${promoteCommandFor(from, stack)} refuses:\n${render(result.problems)}`);
            if (result.status === "promoted") writeFileSync(this.file(stack), result.text);
        }
        return this;
    }

    dispose(): void {
        rmSync(this.dir, { recursive: true, force: true });
    }
}

/** A scratch copy of the committed stack files, with every promotion applied when `promoted`. */
export const scratchCopy = (options: { promoted?: boolean } = {}): Scratch =>
    options.promoted ? new Scratch().promoteAll() : new Scratch();

/** Sets `key: value` on the first line of a stack file's text that has the key, as a version bot edits it. */
export const setLine = (key: string, value: string) => (text: string) => {
    const pattern = new RegExp(`^(\\s*${key}: ).*$`, "m");
    if (!pattern.test(text)) throw new Error(`no line with ${key}`);
    return text.replace(pattern, `$1${value}`);
};

/** `npm run promote -- <argv>` on a scratch copy: its exit code and what it printed. */
export function runPromote(root: string, ...argv: string[]): { code: number; stdout: string; stderr: string } {
    const [out, err] = [[] as string[], [] as string[]];
    const [log, error] = [console.log, console.error];
    console.log = (...args: unknown[]) => out.push(args.join(" "));
    console.error = (...args: unknown[]) => err.push(args.join(" "));
    try {
        const code = promoteCommand(argv, root);
        return { code, stdout: out.join("\n"), stderr: err.join("\n") };
    } finally {
        [console.log, console.error] = [log, error];
    }
}
