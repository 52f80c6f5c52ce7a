// The architecture, as rules on imports (`npm run deps`, part of `npm test`). Data flows one way:
// stack file -> stacks/config (typed, validated) -> index.ts -> components/platform.ts -> the
// components by concern. The plan tooling, delivery and the policy pack read what the program
// registers; the program never imports them (index.ts runs the delivery gates only). The
// recommended rules come first, no-circular among them; type-only imports count as imports.
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
    extends: "dependency-cruiser/configs/recommended-strict",
    forbidden: [
        {
            name: "config-stands-alone",
            comment: "Reading and validating the stack file needs nothing of the program or its tooling.",
            severity: "error",
            from: { path: "^stacks/config/" },
            to: { path: "^(components|index\\.ts|stacks/(plan|delivery|policy-pack)|test)/?" },
        },
        {
            name: "components-take-typed-config-only",
            comment: "Components read the typed config, never the plan tooling, delivery, policy pack or tests.",
            severity: "error",
            from: { path: "^components/" },
            to: { path: "^(index\\.ts|stacks/(plan|delivery|policy-pack)|test)/?" },
        },
        {
            name: "shared-is-the-bottom",
            comment: "components/shared serves every component and depends on none of them.",
            severity: "error",
            from: { path: "^components/shared/" },
            to: { path: "^components/", pathNot: "^components/shared/" },
        },
        {
            name: "only-platform-composes",
            comment: "Only index.ts assembles the Platform; components never import it.",
            severity: "error",
            from: { pathNot: "^(index\\.ts|test/)" },
            to: { path: "^components/platform\\.ts$" },
        },
        {
            name: "only-platform-deploys-a-region",
            comment: "The cluster phase of a region (components/region.ts) is the Platform's second phase, called by it alone.",
            severity: "error",
            from: { pathNot: "^(components/platform\\.ts|test/)" },
            to: { path: "^components/region\\.ts$" },
        },
        {
            name: "tooling-reads-the-plan",
            comment: "The plan tooling and the policy pack see the program only through what it registers.",
            severity: "error",
            from: { path: "^stacks/(plan|policy-pack)/" },
            to: { path: "^(components|index\\.ts|stacks/delivery)/?" },
        },
        {
            name: "tests-stay-in-test",
            severity: "error",
            from: { pathNot: "^test/" },
            to: { path: "^test/" },
        },
    ],
    options: {
        doNotFollow: { path: "node_modules" },
        exclude: { path: "^(\\.build|\\.plan|node_modules)/" },
        tsPreCompilationDeps: true,
        tsConfig: { fileName: "tsconfig.json" },
        enhancedResolveOptions: { exportsFields: ["exports"], conditionNames: ["import", "require", "node", "default", "types"] },
    },
};
