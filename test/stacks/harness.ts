// The harness of the whole-program tests: each committed stack file evaluated once, with the
// config it resolves to and the resources it registers, shared by every file that reads it.
import { type StackConfig, resolveStackConfig } from "../../stacks/config/config";
import type { Evaluation } from "../../stacks/plan/offline";
import type { RecordedResource } from "../../stacks/plan/resources";
import { rawStackConfig, readStackConfig } from "../../stacks/plan/stack-input";
import { ROOT, evaluated } from "../fixtures";

export function ancestors(resource: RecordedResource, byUrn: Map<string, RecordedResource>): RecordedResource[] {
    const chain: RecordedResource[] = [];
    for (let current = byUrn.get(resource.parent); current; current = byUrn.get(current.parent)) chain.push(current);
    return chain;
}

export interface Program {
    readonly evaluation: Evaluation;
    readonly config: StackConfig;
    readonly resources: RecordedResource[];
    readonly byUrn: Map<string, RecordedResource>;
    /** The resources under one region's Platform. */
    inRegion(region: string): RecordedResource[];
}

/**
 * A suite on one committed stack file: `suite` declares its tests with the program, which is
 * filled in by a `before` hook when the suite runs.
 */
export function describeStack(stack: string, suite: (program: Program) => void): void {
    describe(`whole program: ${stack} stack`, () => {
        const program = {
            inRegion: (region: string): RecordedResource[] =>
                program.resources.filter((r) =>
                    ancestors(r, program.byUrn).some((a) => a.type === "platform:index:Platform" && a.name === region),
                ),
        } as Program;

        before(async () => {
            const input = readStackConfig(ROOT, stack);
            const evaluation = await evaluated(stack);
            Object.assign(program, {
                evaluation,
                config: resolveStackConfig(rawStackConfig(input, stack)),
                resources: evaluation.resources,
                byUrn: new Map(evaluation.resources.map((r) => [r.urn, r])),
            });
        });

        suite(program);
    });
}
