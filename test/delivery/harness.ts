// What the delivery tests share: a committed stack file's config, the next version of a pin, and
// the promotions the stack files declare.
import { resolveStackConfig, type StackConfig } from "../../stacks/config/config";
import { rawConfig, settingsOf, STACKS } from "../fixtures";

export const configOf = (stack: string): StackConfig => resolveStackConfig(rawConfig(settingsOf(stack), { stack }));

/** The next patch (or build) of a version: the last number in it, plus one. */
export const bump = (version: string): string => version.replace(/(\d+)(?!.*\d)/, (n) => String(Number(n) + 1));

/** Stacks whose stack file names another as the source of its lock. */
export const promotions = STACKS.map((stack) => ({ stack, from: configOf(stack).promotion.from })).filter(
    (p): p is { stack: (typeof STACKS)[number]; from: string } => p.from !== undefined,
);
