// The offline plan: evaluates each stack file under the mock runtime and prints, per stack and
// region, the component tree with resource counts by type, the version lock, and what a reviewer
// should notice. Writes the full evaluation of each stack to .plan/<stack>.json.
//
//   npm run plan                 every stack file
//   npm run plan -- prod         one stack (several may be named)
//   npm run plan -- --diff staging prod   what differs between two stacks, and the cost delta
//   npm run plan -- --diagram    also write stacks/plan/diagrams/<stack>.md (Mermaid)
//   npm run plan -- --trace      keep stack traces (slower; for debugging the program)
import { mkdirSync, readdirSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { CHARTS } from "../config/catalog";
import { estimateCost, renderCost } from "./cost";
import { estimateRegion, renderEstimate } from "./deploytime";
import { renderDiagram } from "./diagram";
import { renderDiff, resourceDiff, settingsDiff } from "./diff";
import { type StackConfig, StackConfigError, resolveStackConfig } from "../config/config";
import {
    type Evaluation,
    EvaluationError,
    type RecordedResource,
    evaluate,
    projectRoot,
    readStackConfig,
    resourcesByRegion,
    shortType,
} from "./offline";

export const PLAN_DIR = ".plan";
/** Where `--diagram` writes each stack's diagram; committed, linked from the README. */
export const DIAGRAM_DIR = path.join("stacks", "plan", "diagrams");

/** Stacks with a stack file in the project root. */
export function stackNames(root: string): string[] {
    return readdirSync(root)
        .map((file) => /^Pulumi\.(.+)\.yaml$/.exec(file)?.[1])
        .filter((name): name is string => name !== undefined)
        .sort();
}

const countBy = (items: readonly string[]) =>
    [...items.reduce((acc, item) => acc.set(item, (acc.get(item) ?? 0) + 1), new Map<string, number>())]
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([item, n]) => (n > 1 ? `${item} x${n}` : item))
        .join(", ");

interface Tree {
    resource: RecordedResource;
    children: Tree[];
}

function buildTree(resources: readonly RecordedResource[]): Map<string, Tree> {
    const nodes = new Map(resources.map((resource) => [resource.urn, { resource, children: [] as Tree[] }]));
    for (const node of nodes.values()) nodes.get(node.resource.parent)?.children.push(node);
    return nodes;
}

const descendants = (node: Tree): RecordedResource[] => node.children.flatMap((child) => [child.resource, ...descendants(child)]);

/** Components in the order their type first appears (creation order), same-type ones by name. */
function ordered(children: readonly Tree[]): Tree[] {
    const firstOfType = new Map<string, number>();
    children.forEach((child, i) => firstOfType.has(child.resource.type) || firstOfType.set(child.resource.type, i));
    return [...children].sort(
        (a, b) =>
            (firstOfType.get(a.resource.type) as number) - (firstOfType.get(b.resource.type) as number) ||
            a.resource.name.localeCompare(b.resource.name),
    );
}

function renderComponent(node: Tree, indent: string, lines: string[]): void {
    const own = node.children.filter((child) => child.children.length === 0 && child.resource.custom);
    const components = ordered(node.children.filter((child) => !child.resource.custom || child.children.length > 0));
    const label = `${shortType(node.resource.type)} ${node.resource.name}`;
    // @pulumi/eks components are remote: their children are created by the eks provider at deploy time.
    const content = node.resource.type.startsWith("eks:")
        ? "(@pulumi/eks component)"
        : countBy(own.map((child) => shortType(child.resource.type)));
    lines.push(`${indent}${label.padEnd(Math.max(48 - indent.length, label.length + 1))} ${content}`.trimEnd());
    for (const child of components) renderComponent(child, `${indent}  `, lines);
}

function versionLines(config: StackConfig): string[] {
    const v = config.versions;
    const rows: Array<[string, string]> = [
        ["kubernetes", v.kubernetes],
        ["node AMI release", v.nodeAmiRelease],
        ...Object.entries(v.charts).map(([chart, version]): [string, string] => [
            `chart ${chart}`,
            `${version}  (${CHARTS[chart as keyof typeof CHARTS].charts.map((c) => `${CHARTS[chart as keyof typeof CHARTS].repository}/${c}`).join(", ")})`,
        ]),
        ...Object.entries(v.addons).map(([addon, version]): [string, string] => [`add-on ${addon}`, version]),
        ...Object.entries(v.images).map(([use, image]): [string, string] => [`image ${use}`, image]),
    ];
    const width = Math.max(...rows.map(([label]) => label.length)) + 2;
    return rows.map(([label, value]) => `  ${label.padEnd(width)}${value}`);
}

interface Requirement {
    key: string;
    operator: string;
    values?: string[];
    minValues?: number;
}
interface PoolSpec {
    template: { spec: { requirements: Requirement[]; taints?: Array<{ key: string; value?: string; effect: string }> } };
    limits: { cpu: string; memory: string };
    disruption: { budgets: Array<{ nodes: string; schedule?: string; duration?: string }> };
    weight?: number;
}

/** One line per Karpenter NodePool: capacity, instances, limits, weight, taints. */
export function poolLines(resources: readonly RecordedResource[]): string[] {
    const pools = resources
        .filter((r) => r.type === "kubernetes:karpenter.sh/v1:NodePool")
        .map((pool) => ({ name: String((pool.inputs.metadata as { name: string }).name), spec: pool.inputs.spec as PoolSpec }))
        .sort((a, b) => (b.spec.weight ?? 0) - (a.spec.weight ?? 0) || a.name.localeCompare(b.name));
    const rows = pools.map(({ name, spec }) => {
        const requirement = (key: string) => spec.template.spec.requirements.find((r) => r.key === key);
        const family = requirement("karpenter.k8s.aws/instance-family");
        const instances = [
            requirement("karpenter.k8s.aws/instance-category")?.values?.join("/"),
            `gen>${requirement("karpenter.k8s.aws/instance-generation")?.values?.[0]}`,
            family?.values ? family.values.join(",") : undefined,
            `>=${family?.minValues ?? 1} families`,
            requirement("karpenter.k8s.aws/instance-size")?.values?.join(","),
        ]
            .filter(Boolean)
            .join(" ");
        const taints = (spec.template.spec.taints ?? []).map((t) => `${t.key}=${t.value ?? ""}:${t.effect}`).join(",") || "none";
        const quiet = spec.disruption.budgets.find((b) => b.nodes === "0" && b.schedule);
        return [
            name,
            requirement("karpenter.sh/capacity-type")?.values?.join(",") ?? "?",
            instances,
            `limits ${spec.limits.cpu} vCPU ${spec.limits.memory}`,
            `weight ${spec.weight ?? "-"}`,
            `taints ${taints}`,
            quiet ? `no disruption from "${quiet.schedule}" for ${quiet.duration}` : "",
        ];
    });
    const widths = rows.reduce<number[]>((acc, row) => row.map((cell, i) => Math.max(acc[i] ?? 0, cell.length)), []);
    return rows.map((row) =>
        row
            .map((cell, i) => cell.padEnd(widths[i]))
            .join("  ")
            .trimEnd(),
    );
}

/** Each admission policy with what it does on a violation. */
export function policyLines(resources: readonly RecordedResource[]): string[] {
    const lines: string[] = [];
    for (const release of resources.filter((r) => r.type === "kubernetes:helm.sh/v3:Release" && r.inputs.name === "kyverno-policies")) {
        const values = release.inputs.values as { podSecurityStandard: string; validationFailureAction: string };
        lines.push(`pod-security-${values.podSecurityStandard} (kyverno-policies chart)  ${values.validationFailureAction}`);
    }
    for (const policy of resources.filter((r) => r.type === "kubernetes:policies.kyverno.io/v1:ValidatingPolicy")) {
        const actions = (policy.inputs.spec as { validationActions: string[] }).validationActions;
        lines.push(`${(policy.inputs.metadata as { name: string }).name}  ${actions.includes("Deny") ? "Enforce" : "Audit"}`);
    }
    for (const policy of resources.filter((r) => r.type === "kubernetes:kyverno.io/v1:ClusterPolicy")) {
        const rules = (policy.inputs.spec as { rules: Array<{ name: string; generate?: unknown }> }).rules;
        lines.push(
            `${(policy.inputs.metadata as { name: string }).name}  generates ${rules
                .filter((r) => r.generate)
                .map((r) => r.name)
                .join(", ")} in new namespaces`,
        );
    }
    const width = Math.max(0, ...lines.map((line) => line.indexOf("  ")));
    return lines.map((line) => {
        const at = line.indexOf("  ");
        return `${line.slice(0, at).padEnd(width)}${line.slice(at)}`;
    });
}

/** Where the cluster's applications come from and who may log in. */
export function gitopsLines(resources: readonly RecordedResource[]): string[] {
    const release = resources.find((r) => r.type === "kubernetes:helm.sh/v3:Release" && r.inputs.name === "argo-cd");
    const appSet = resources.find((r) => r.type === "kubernetes:argoproj.io/v1alpha1:ApplicationSet");
    if (!release || !appSet) return [];
    const cm = (release.inputs.values as { configs: { cm: Record<string, unknown> } }).configs.cm;
    const generator = (
        appSet.inputs.spec as { generators: Array<{ git: { repoURL: string; revision: string; directories: Array<{ path: string }> } }> }
    ).generators[0].git;
    const projects = resources
        .filter((r) => r.type === "kubernetes:argoproj.io/v1alpha1:AppProject")
        .map((r) => (r.inputs.metadata as { name: string }).name);
    return [
        `applications from ${generator.repoURL} @ ${generator.revision}, one per folder of ${generator.directories[0].path}`,
        `projects ${projects.join(", ")}; SSO ${cm["oidc.config"] ? "on" : "OFF"}, local admin ${cm["admin.enabled"] ? "ON" : "off"}, exec ${cm["exec.enabled"] ? "ON" : "off"}`,
    ];
}

/** Prometheus' retention and the platform's alert rules, by severity. */
export function monitoringLines(resources: readonly RecordedResource[]): string[] {
    const release = resources.find((r) => r.type === "kubernetes:helm.sh/v3:Release" && r.inputs.name === "kube-prometheus-stack");
    if (!release) return [];
    const values = release.inputs.values as {
        prometheus: {
            prometheusSpec: {
                retention: string;
                retentionSize: string;
                replicas: number;
                storageSpec: { volumeClaimTemplate: { spec: { resources: { requests: { storage: string } } } } };
            };
        };
        additionalPrometheusRulesMap: Record<
            string,
            { groups: Array<{ rules: Array<{ alert?: string; labels?: { severity: string } }> }> }
        >;
    };
    const spec = values.prometheus.prometheusSpec;
    const alerts = Object.values(values.additionalPrometheusRulesMap)
        .flatMap((rule) => rule.groups.flatMap((group) => group.rules))
        .filter((rule) => rule.alert);
    const bySeverity = (severity: string) =>
        alerts
            .filter((a) => a.labels?.severity === severity)
            .map((a) => a.alert)
            .join(", ");
    return [
        `Prometheus x${spec.replicas}: retention ${spec.retention} or ${spec.retentionSize}, ${spec.storageSpec.volumeClaimTemplate.spec.resources.requests.storage} gp3 each`,
        `alerts paging (critical): ${bySeverity("critical")}`,
        `alerts to chat (warning): ${bySeverity("warning")}`,
    ];
}

/** The backup bucket's protections, where it is copied, the schedules and the drill. */
export function backupLines(resources: readonly RecordedResource[], allResources: readonly RecordedResource[]): string[] {
    const bucket = resources.find((r) => r.type === "aws:s3/bucket:Bucket");
    if (!bucket) return [];
    const name = String(bucket.inputs.bucket);
    const has = (type: string) => resources.some((r) => r.type === type);
    const protections = [
        has("aws:s3/bucketVersioning:BucketVersioning") && "versioned",
        has("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration") && "SSE-KMS (own key)",
        has("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock") && "public access blocked",
        has("aws:s3/bucketPolicy:BucketPolicy") && "TLS only",
        has("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration") && "lifecycle",
        bucket.protect && "PROTECTED",
        bucket.retainOnDelete && "retained on delete",
    ].filter(Boolean);
    const replication = allResources.find(
        (r) => r.type === "aws:s3/bucketReplicationConfig:BucketReplicationConfig" && r.inputs.bucket === name,
    );
    const destination = (replication?.inputs.rules as Array<{ destination: { bucket: string } }> | undefined)?.[0].destination.bucket.split(
        ":::",
    )[1];
    const schedules = resources
        .filter((r) => r.type === "kubernetes:velero.io/v1:Schedule")
        .map((r) => {
            const spec = r.inputs.spec as { schedule: string; template: { ttl: string } };
            return `${(r.inputs.metadata as { name: string }).name} "${spec.schedule}" kept ${spec.template.ttl}`;
        });
    const drill = resources.find((r) => r.type === "kubernetes:batch/v1:CronJob");
    return [
        `bucket ${name}: ${protections.join(", ")}`,
        destination ? `copied to ${destination}` : "NOT copied to another region",
        `schedules: ${schedules.join("; ")}`,
        ...(drill
            ? [`restore drill "${(drill.inputs.spec as { schedule: string }).schedule}" (alerts RestoreDrillFailed, RestoreDrillMissing)`]
            : []),
    ];
}

/** What a reviewer of this stack should not miss. */
export function notable(config: StackConfig, resources: readonly RecordedResource[]): string[] {
    const lines: string[] = [];
    const endpoint = config.cluster.endpoint;
    lines.push(endpoint.public ? `PUBLIC API endpoint, reachable from ${endpoint.allowedCidrs.join(", ")}` : "API endpoint private only");
    lines.push(`EKS deletion protection ${config.cluster.deletionProtection ? "on" : "OFF"}`);
    const protectedOnes = resources.filter((r) => r.protect && (r.custom || r.remote));
    lines.push(
        protectedOnes.length > 0
            ? `protected from deletion by Pulumi: ${countBy(protectedOnes.map((r) => shortType(r.type)))}`
            : "NOTHING is protected from deletion by Pulumi",
    );
    const { from, requireDeployedLock } = config.promotion;
    if (from) {
        lines.push(
            requireDeployedLock
                ? `promotion gate: pulumi up refuses a lock that differs from the one stack ${from} has deployed (not checked offline)`
                : `promotion gate OFF: pulumi up does not compare the lock with stack ${from}'s`,
        );
    }
    for (const region of config.regions) {
        if (region.network.kind === "created" && region.network.natGateways === "single") {
            lines.push(`${region.region}: one NAT gateway for all zones (a zone outage cuts egress)`);
        }
        if (region.network.kind === "existing") lines.push(`${region.region}: uses existing VPC ${region.network.vpcId}`);
    }
    return lines;
}

export function renderPlan(config: StackConfig, evaluation: Evaluation, millis: number): string {
    const tree = buildTree(evaluation.resources);
    const lines = [
        `== stack ${config.stack}: ${config.regions.length} region(s), ${evaluation.resources.length} resources (evaluated offline in ${(millis / 1000).toFixed(1)} s)`,
        "version lock",
        ...versionLines(config),
    ];
    for (const region of config.regions) {
        const platform = [...tree.values()].find(
            (node) => node.resource.type === "platform:index:Platform" && node.resource.name === region.region,
        );
        if (!platform) continue;
        const inRegion = descendants(platform);
        lines.push(`region ${region.region}: cluster ${region.names.cluster}, ${inRegion.length + 1} resources`);
        renderComponent(platform, "  ", lines);
        const sections = [
            ["Karpenter pools", poolLines(inRegion)],
            ["admission policies", policyLines(inRegion)],
            ["GitOps", gitopsLines(inRegion)],
            ["monitoring", monitoringLines(inRegion)],
            ["backups", backupLines(inRegion, evaluation.resources)],
            ["first pulumi up (estimate)", renderEstimate(estimateRegion(region.region, inRegion, region.names.nodeGroups.system))],
        ] as const;
        for (const [title, section] of sections) {
            if (section.length > 0) lines.push(`  ${title}`, ...section.map((line) => `    ${line}`));
        }
    }
    lines.push("monthly cost (estimate)", ...renderCost(estimateCost(resourcesByRegion(evaluation.resources))).map((line) => `  ${line}`));
    lines.push("notable", ...notable(config, evaluation.resources).map((line) => `  ${line}`));
    return lines.join("\n");
}

/** Stack outputs with secrets masked, as `pulumi stack output` shows them. */
async function maskedOutputs(value: unknown): Promise<unknown> {
    if (pulumi.Output.isInstance(value)) {
        if (await pulumi.isSecret(value)) return "[secret]";
        // An unknown Output never calls apply; the timer reports it instead of waiting forever.
        const resolved = await new Promise((resolve) => {
            const timer = setTimeout(() => resolve("[unknown]"), 1000);
            value.apply((v) => {
                clearTimeout(timer);
                resolve(v);
            });
        });
        return maskedOutputs(resolved);
    }
    if (Array.isArray(value)) return Promise.all(value.map(maskedOutputs));
    if (value !== null && typeof value === "object") {
        return Object.fromEntries(await Promise.all(Object.entries(value).map(async ([key, item]) => [key, await maskedOutputs(item)])));
    }
    return value;
}

export interface PlanResult {
    readonly stack: string;
    readonly ok: boolean;
    readonly text: string;
    readonly millis: number;
    readonly resources: number;
    /** The configuration and evaluation planned; absent when the stack file is invalid. */
    readonly planned?: { readonly config: StackConfig; readonly evaluation: Evaluation };
}

/**
 * Plans one stack: evaluation, report and JSON file. `overrides` replace settings of the stack
 * file (the benchmark's synthetic fleets); `label` names the result instead of the stack.
 */
export async function planStack(
    root: string,
    stack: string,
    outDir: string,
    options: { overrides?: Record<string, unknown>; label?: string } = {},
): Promise<PlanResult> {
    const started = Date.now();
    const input = readStackConfig(root, stack, options.overrides);
    const label = options.label ?? stack;
    let config: StackConfig;
    try {
        config = resolveStackConfig({
            project: input.project,
            stack: label,
            config: input.config,
            isSecret: (key) => input.secretKeys.includes(key),
        });
    } catch (error) {
        if (error instanceof StackConfigError)
            return {
                stack: label,
                ok: false,
                text: `== stack ${label}: INVALID\n${error.message}`,
                millis: Date.now() - started,
                resources: 0,
            };
        throw error;
    }
    const evaluation = await evaluate(path.join(__dirname, "..", "..", "index.js"), label, input);
    const millis = Date.now() - started;
    const outputs = await maskedOutputs(evaluation.exports);
    mkdirSync(outDir, { recursive: true });
    writeFileSync(
        path.join(outDir, `${label}.json`),
        `${JSON.stringify({ project: evaluation.project, stack: label, versions: config.versions, outputs, invokes: evaluation.invokes, resources: evaluation.resources }, null, 1)}\n`,
    );
    return {
        stack: label,
        ok: true,
        text: renderPlan(config, evaluation, millis),
        millis,
        resources: evaluation.resources.length,
        planned: { config, evaluation },
    };
}

/** The difference of two planned stacks. */
export function diffText(from: PlanResult, to: PlanResult): string {
    if (!from.planned || !to.planned) throw new Error("both stacks must plan before they can be compared");
    const [a, b] = [resourcesByRegion(from.planned.evaluation.resources), resourcesByRegion(to.planned.evaluation.resources)];
    return renderDiff({ from: from.stack, to: to.stack }, settingsDiff(from.planned.config, to.planned.config), resourceDiff(a, b), {
        from: estimateCost(a),
        to: estimateCost(b),
    });
}

async function main(argv: string[]): Promise<number> {
    const trace = argv.includes("--trace");
    const diff = argv.includes("--diff");
    const diagram = argv.includes("--diagram");
    // The SDK records a stack trace for every promise it creates; offline, nobody reads them, and
    // they are most of the evaluation's CPU time. --trace brings them back for debugging.
    if (!trace) Error.stackTraceLimit = 0;
    const root = projectRoot();
    const known = stackNames(root);
    const requested = argv.filter((arg) => !arg.startsWith("--"));
    const unknown = requested.filter((stack) => !known.includes(stack));
    if (unknown.length > 0) {
        console.error(`no stack file for ${unknown.join(", ")} (stacks: ${known.join(", ")})`);
        return 2;
    }
    if (diff && requested.length !== 2) {
        console.error("usage: npm run plan -- --diff <stack> <stack>");
        return 2;
    }
    const results: PlanResult[] = [];
    let failed = 0;
    for (const stack of requested.length > 0 ? requested : known) {
        try {
            const result = await planStack(root, stack, path.join(root, PLAN_DIR));
            results.push(result);
            if (!diff || !result.ok) console.log(`${result.text}\n`);
            if (!result.ok) failed++;
            if (diagram && result.planned) {
                mkdirSync(path.join(root, DIAGRAM_DIR), { recursive: true });
                writeFileSync(path.join(root, DIAGRAM_DIR, `${stack}.md`), renderDiagram(result.planned.config, result.planned.evaluation));
            }
        } catch (error) {
            failed++;
            const err = (error instanceof EvaluationError && error.cause instanceof Error ? error.cause : error) as Error;
            console.error(
                `== stack ${stack}: evaluation failed\n${trace ? err.stack : `${err.message}\n(run with --trace for a stack trace)`}\n`,
            );
        }
    }
    if (failed > 0) return 1;
    if (diff) console.log(diffText(results[0], results[1]));
    else console.log(`plans written to ${PLAN_DIR}/${diagram ? `, diagrams to ${DIAGRAM_DIR}/` : ""}`);
    return 0;
}

if (require.main === module) {
    main(process.argv.slice(2)).then(
        (code) => process.exit(code),
        (error: unknown) => {
            console.error(error);
            process.exit(1);
        },
    );
}
