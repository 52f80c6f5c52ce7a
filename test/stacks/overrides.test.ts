// The escape hatch: Helm values overrides in the stack file, merged over the platform's values of
// one chart in every cluster, validated before anything is registered, and listed in the plan.
import * as assert from "node:assert/strict";
import { mergeValues } from "../../components/shared/kubernetes";
import { resolveStackConfig } from "../../stacks/config/config";
import { type Evaluation, evaluate } from "../../stacks/plan/offline";
import { overrideLines } from "../../stacks/plan/render";
import { readStackConfig } from "../../stacks/plan/stack-input";
import { ENTRY, ROOT, evaluated, expectProblem, inputs, ofType, problems, rawConfig, settingsOf } from "../fixtures";

const OVERRIDES = {
    "argo-cd": { server: { extraArgs: ["--staticassets", "/shared/app"] }, configs: { params: { "server.log.level": "debug" } } },
    loki: { singleBinary: { persistence: { size: "80Gi" } } },
    velero: { podAnnotations: null },
};

describe("Helm values overrides", () => {
    it("merge as Helm merges a values file: maps key by key, lists and scalars replaced, null removing a key", () => {
        const platform = { server: { replicas: 2, extraArgs: ["--a"], metrics: { enabled: true } }, keep: "x", drop: { y: 1 } };
        assert.deepEqual(mergeValues(platform, { server: { extraArgs: ["--b"], metrics: { port: 9 } }, drop: null, added: [1] }), {
            server: { replicas: 2, extraArgs: ["--b"], metrics: { enabled: true, port: 9 } },
            keep: "x",
            added: [1],
        });
        assert.deepEqual(platform.server.extraArgs, ["--a"], "the platform's values are left as they were");
    });

    describe("in a stack", () => {
        let base: Evaluation;
        let overridden: Evaluation;
        before(async () => {
            base = await evaluated("staging");
            overridden = await evaluate(ENTRY, "staging", readStackConfig(ROOT, "staging", { "platform:helmValues": OVERRIDES }));
        });
        const releases = (evaluation: Evaluation) =>
            new Map(ofType(evaluation.resources, "kubernetes:helm.sh/v3:Release").map((r) => [`${r.name}`, inputs(r)]));

        it("change only the releases of the charts they name, and only at the paths they set", () => {
            const [before, after] = [releases(base), releases(overridden)];
            assert.deepEqual([...after.keys()].sort(), [...before.keys()].sort());
            for (const [name, release] of after) {
                const override = OVERRIDES[release.chart as keyof typeof OVERRIDES];
                const expected = override ? mergeValues(before.get(name)?.values ?? {}, override) : before.get(name)?.values;
                assert.deepEqual(release.values, expected, `${name} (${release.chart})`);
            }
            const argo = [...after.values()].find((r) => r.chart === "argo-cd");
            assert.deepEqual(argo?.values.server.extraArgs, OVERRIDES["argo-cd"].server.extraArgs);
            assert.ok(argo?.values.server.httproute, "the platform's other server values stay");
        });

        it("are listed in the plan, every value by its path", () => {
            const config = resolveStackConfig(rawConfig({ ...settingsOf("staging"), helmValues: OVERRIDES }, { stack: "staging" }));
            assert.deepEqual(overrideLines(config), [
                '  argo-cd: server.extraArgs = ["--staticassets","/shared/app"]',
                '  argo-cd: configs.params.server.log.level = "debug"',
                '  loki: singleBinary.persistence.size = "80Gi"',
                "  velero: podAnnotations = null (removes the platform's value)",
            ]);
        });
    });

    it("are refused for a chart the platform does not install, and never carry a secret in plain text", () => {
        expectProblem(
            problems("staging", (s) => (s.helmValues = { argocd: { server: {} } })),
            "helmValues.argocd",
            "argo-cd",
        );
        expectProblem(
            problems(
                "staging",
                (s) => (s.helmValues = { "argo-cd": { configs: { secret: { argocdServerAdminPassword: "hunter22hunter" } } } }),
            ),
            "helmValues.argo-cd.configs.secret.argocdServerAdminPassword",
            "plain text",
        );
    });
});
