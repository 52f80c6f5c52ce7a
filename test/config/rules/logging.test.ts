// The log tiers' rules, one broken property at a time.
import * as assert from "node:assert/strict";
import { expectProblem, problems } from "../../fixtures";

describe("stack file validation", () => {
    describe("logging", () => {
        it("refuses a default tier that does not exist", () => {
            expectProblem(
                problems("prod", (s) => (s.logging.defaultTier = "gold")),
                "logging.defaultTier",
                '"gold" is not a tier of logging.tiers (standard, compliance)',
            );
        });

        it("refuses an archive shorter than the searchable days or the compliance floor", () => {
            expectProblem(
                problems("prod", (s) => (s.logging.tiers.standard.archiveDays = 5)),
                "logging.tiers.standard.archiveDays",
                "shorter than the 7 searchable days",
            );
            expectProblem(
                problems("prod", (s) => (s.logging.tiers.standard.archiveDays = 200)),
                "logging.tiers.standard.archiveDays",
                "below logging.complianceDays (365)",
            );
        });

        it("refuses a namespace in two tiers, and rates and durations out of range", () => {
            expectProblem(
                problems("prod", (s) => (s.logging.tiers.standard.namespaces = ["team-payments"])),
                "logging.tiers.compliance.namespaces",
                '"team-payments" is already in the tier "standard"',
            );
            expectProblem(
                problems("prod", (s) => (s.logging.healthChecks.keepRate = 1.5)),
                "logging.healthChecks.keepRate",
                "1.5",
            );
            expectProblem(
                problems("prod", (s) => (s.logging.tiers.standard.searchDays = 0)),
                "logging.tiers.standard.searchDays",
                "0",
            );
            expectProblem(
                problems("prod", (s) => (s.logging.healthChecks.extraPaths = ["ping"])),
                "logging.healthChecks.extraPaths[0]",
                "URL path",
            );
        });

        it("reports every logging problem at once, and defaults a stack file without the block", () => {
            const found = problems("prod", (s) => {
                s.logging.defaultTier = "gold";
                s.logging.healthChecks.keepRate = -1;
                s.logging.tiers.compliance.archiveDays = 10;
            });
            for (const path of ["logging.defaultTier", "logging.healthChecks.keepRate", "logging.tiers.compliance.archiveDays"])
                expectProblem(found, path);
            assert.deepEqual(
                problems("staging", (s) => delete s.logging),
                [],
                "the defaults (a week searchable, 90 days archived) pass",
            );
        });
    });
});
