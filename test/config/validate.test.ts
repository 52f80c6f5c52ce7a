// Validation of a whole stack file: the committed files pass, unknown and malformed settings are
// named, and all problems are reported together, each with its path and offending value. The
// rules themselves are tested one broken property at a time in rules/.
import * as assert from "node:assert/strict";
import { resolveStackConfig } from "../../stacks/config/config";
import { expectProblem, problems, rawConfig, render, type Settings, settingsOf, STACKS } from "../fixtures";

describe("stack file validation", () => {
    for (const stack of STACKS) {
        it(`accepts the ${stack} stack file as committed`, () => {
            const config = resolveStackConfig(rawConfig(settingsOf(stack)));
            assert.equal(config.environment, stack);
            assert.ok(config.regions.length > 0);
        });
    }

    describe("unknown and malformed settings", () => {
        it("names unknown keys, top-level and nested, with what is allowed", () => {
            expectProblem(
                problems("staging", (s) => (s.regionz = [])),
                "regionz",
                "unknown setting",
            );
            const found = problems("staging", (s) => (s.nodeGroups.system.minsize = 2));
            expectProblem(found, "nodeGroups.system.minsize", "unknown setting", "minSize");
        });

        it("rejects tags that redefine the platform's own", () => {
            expectProblem(
                problems("staging", (s) => (s.tags = { environment: "prod" })),
                "tags.environment",
                "set by the platform",
            );
        });
    });

    it("reports every problem of a badly broken stack file at once", () => {
        const found = problems("prod", (s: Settings) => {
            s.regions[1].vpcCidr = s.regions[0].vpcCidr;
            s.regions[1].region = "mars-1";
            s.versions.kubernetes = 1.35;
            s.nodeGroups.general.desiredSize = 99;
            s.nodeGroups.system.instanceTypes = ["m7i.largest"];
            s.network.minAvailabilityZones = 4;
        });
        for (const path of [
            "regions[1].vpcCidr",
            "regions[1].region",
            "versions.kubernetes",
            "nodeGroups.general",
            "nodeGroups.system.instanceTypes[0]",
            "network.availabilityZones",
        ]) {
            assert.ok(
                found.some((p) => p.path === path),
                `missing ${path} in:\n${render(found)}`,
            );
        }
    });
});
