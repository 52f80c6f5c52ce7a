// Units of the stack file's durations and sizes.

/** Gigabytes in one unit of a size such as "45GB". */
export const GIGABYTES = { MB: 0.001, GB: 1, TB: 1000 } as const;
/** A duration such as "720h" or "1h30m", in hours. */
export const hours = (value: string): number =>
    [...value.matchAll(/(\d+)(h|m|s)/g)].reduce(
        (total, [, n, unit]) => total + Number(n) / (unit === "h" ? 1 : unit === "m" ? 60 : 3600),
        0,
    );
