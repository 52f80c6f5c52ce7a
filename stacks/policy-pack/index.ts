// The policy pack `pulumi preview --policy-pack stacks/policy-pack` loads (Pulumi compiles it with
// ts-node, using tsconfig.json beside it). Enforcement per environment:
// `--policy-pack-config stacks/policy-pack/config.<environment>.json`, or config.default.json (every
// policy mandatory) for an environment without a file of its own.
import { PolicyPack } from "@pulumi/policy";
import { GUARDRAILS } from "./guardrails";

new PolicyPack("platform-guardrails", { enforcementLevel: "mandatory", policies: GUARDRAILS });
