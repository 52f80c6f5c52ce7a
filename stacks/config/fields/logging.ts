// Container logs: how long each tier keeps them, searchable and archived, and the health-check
// noise sampled away before they are stored.
import { z } from "zod";
import { described } from "./common";

const days = z.number().int().min(1).max(3650);

const tier = z.strictObject({
    searchDays: described(days, "Days the logs stay searchable in Loki (Grafana's Explore)"),
    archiveDays: described(days, "Days the archived copy stays in the log bucket (S3 Glacier Instant Retrieval after the searchable days)"),
    namespaces: described(
        z.array(z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, "must be a namespace name")).default([]),
        "Namespaces whose logs this tier keeps; every other namespace is in logging.defaultTier",
    ),
});
export type LogTier = z.output<typeof tier>;

export const logging = z.strictObject({
    tiers: described(
        z.record(z.string().regex(/^[a-z][a-z0-9-]{0,30}$/, "must be a lowercase tier name"), tier).prefault({
            standard: { searchDays: 7, archiveDays: 90 },
        }),
        "Retention tiers by name: how long logs stay searchable and how long their archive is kept",
    ),
    defaultTier: described(z.string().default("standard"), "The tier of every namespace no tier lists"),
    complianceDays: described(
        days.default(90),
        "Least number of days every tier's archive must keep logs (a compliance floor validation holds the tiers to)",
    ),
    healthChecks: described(
        z
            .strictObject({
                keepRate: described(
                    z.number().min(0).max(1).default(0.01),
                    "Fraction of health-check and probe lines kept (0 drops them all, 1 keeps them all)",
                ),
                extraPaths: described(
                    z.array(z.string().regex(/^\/[A-Za-z0-9._~\-/]*$/, "must be a URL path such as /ping")).default([]),
                    "Paths counted as health checks besides /healthz, /readyz, /livez and kube-probe requests",
                ),
            })
            .prefault({}),
        "Health-check and probe lines: sampled in the collector before anything stores them",
    ),
    storeVolumeSizeGiB: described(
        z.number().int().min(10).max(16384).default(50),
        "gp3 volume of each Loki replica (write-ahead log and index cache; the logs themselves are in S3)",
    ),
    ingestGiBPerDay: described(
        z.number().positive().max(100000).default(20),
        "Expected uncompressed log volume per region and day; the cost estimate prices storage at this rate",
    ),
});
