// What validation reports, and the shapes the rules share: a problem is a property path and a
// message quoting the offending value; settings are checked as far as they parsed.
import type { RegionSettings, Settings } from "./schema";

export interface Problem {
    /** Property path in the stack file, e.g. `regions[1].vpcCidr`. */
    readonly path: string;
    /** What is wrong, quoting the offending value. */
    readonly message: string;
}

export const show = (value: unknown): string => (typeof value === "string" ? `"${value}"` : JSON.stringify(value));

export function formatPath(segments: readonly PropertyKey[]): string {
    return segments.reduce<string>((acc, segment) => {
        if (typeof segment === "number") return `${acc}[${segment}]`;
        const key = String(segment);
        return acc === "" ? key : /^[A-Za-z_$][\w$-]*$/.test(key) ? `${acc}.${key}` : `${acc}["${key}"]`;
    }, "");
}

/** Settings as far as they parsed: any field may be missing because it was invalid. */
export type Parsed<T> = T extends readonly (infer U)[]
    ? Array<Parsed<U> | undefined>
    : T extends object
      ? { [K in keyof T]?: Parsed<T[K]> }
      : T;
export type ParsedSettings = Parsed<Settings>;

export type IndexedRegion = { index: number; region: Parsed<RegionSettings> };

/** The path of a region's property, e.g. `regions[1].vpcCidr`. */
export const at = (index: number, ...rest: PropertyKey[]) => formatPath(["regions", index, ...rest]);
