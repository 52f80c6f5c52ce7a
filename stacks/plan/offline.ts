// Evaluates the program for a stack file offline, under Pulumi's mock runtime: no credentials,
// no network, no engine. Every registered resource is recorded (type, name, parent, inputs,
// options, dependencies) for the plan, the benchmark and the tests. The mocks fake only what
// AWS and the @pulumi/eks components would return, and fail loudly on anything unexpected: an
// invoke they do not know, or a resource without the explicit provider the stack requires.
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import type { MockCallArgs, MockMonitor, MockResourceArgs } from "@pulumi/pulumi/runtime/mocks";
import { specialResourceSig, specialSigKey } from "@pulumi/pulumi/runtime/rpc";
import { parse } from "yaml";
import { REGIONS } from "../config/catalog";

/** The account every offline ARN uses. */
export const OFFLINE_ACCOUNT = "123456789012";
/** What a `secure:` value of the stack file reads as offline. */
export const SECRET_PLACEHOLDER = "[secret]";

export interface RecordedResource {
    readonly urn: string;
    readonly type: string;
    readonly name: string;
    readonly parent: string;
    readonly custom: boolean;
    /** A component implemented by a provider plugin (@pulumi/eks): one resource here, many at deploy time. */
    readonly remote: boolean;
    /** Provider reference (`<urn>::<id>`), empty for components and default providers. */
    readonly provider: string;
    readonly protect: boolean;
    readonly retainOnDelete: boolean;
    readonly ignoreChanges: readonly string[];
    /** URNs this resource waits for: explicit dependsOn plus every input's dependencies. */
    readonly dependencies: readonly string[];
    inputs: Record<string, unknown>;
}

export interface Evaluation {
    readonly project: string;
    readonly stack: string;
    readonly resources: RecordedResource[];
    /** Stack outputs, resolved (secrets in the clear: for assertions only). */
    readonly outputs: Record<string, unknown>;
    /** What the program exported, Outputs unresolved: secrecy is still visible here. */
    readonly exports: Record<string, unknown>;
    /** Invokes the program made, by token. */
    readonly invokes: readonly string[];
}

export interface StackInput {
    readonly project: string;
    readonly config: Record<string, string>;
    readonly secretKeys: string[];
}

/** The project root: the nearest folder above `from` holding Pulumi.yaml. */
export function projectRoot(from: string = __dirname): string {
    for (let dir = from; ; dir = path.dirname(dir)) {
        if (existsSync(path.join(dir, "Pulumi.yaml"))) return dir;
        if (path.dirname(dir) === dir) throw new Error(`no Pulumi.yaml above ${from}`);
    }
}

const isObject = (value: unknown): value is Record<string, unknown> => value !== null && typeof value === "object" && !Array.isArray(value);

/** Replaces `secure:` values (at any depth, as `pulumi config set --path --secret` writes them). */
function desecure(value: unknown): { value: unknown; secret: boolean } {
    if (isObject(value)) {
        if (Object.keys(value).length === 1 && "secure" in value) return { value: SECRET_PLACEHOLDER, secret: true };
        let secret = false;
        const out: Record<string, unknown> = {};
        for (const [key, item] of Object.entries(value)) {
            const inner = desecure(item);
            out[key] = inner.value;
            secret ||= inner.secret;
        }
        return { value: out, secret };
    }
    if (Array.isArray(value)) {
        const items = value.map(desecure);
        return { value: items.map((item) => item.value), secret: items.some((item) => item.secret) };
    }
    return { value, secret: false };
}

/**
 * The configuration Pulumi would pass the program for a stack: the project's declared defaults
 * and values, then the stack file, structured values as JSON, secrets replaced and marked.
 */
export function readStackConfig(root: string, stack: string, overrides: Record<string, unknown> = {}): StackInput {
    const file = stackFile(root, stack);
    if (!existsSync(file)) throw new Error(`no stack file ${path.basename(file)}`);
    return stackInput(root, readFileSync(file, "utf8"), overrides);
}

export const stackFile = (root: string, stack: string): string => path.join(root, `Pulumi.${stack}.yaml`);

/** As readStackConfig, for a stack file's text. */
export function stackInput(root: string, text: string, overrides: Record<string, unknown> = {}): StackInput {
    const project = parse(readFileSync(path.join(root, "Pulumi.yaml"), "utf8")) as { name: string; config?: Record<string, unknown> };
    const file = (parse(text) ?? {}) as { config?: Record<string, unknown> };
    const qualify = (key: string) => (key.includes(":") ? key : `${project.name}:${key}`);

    const values: Record<string, unknown> = {};
    for (const [key, declared] of Object.entries(project.config ?? {})) {
        if (isObject(declared) && ("value" in declared || "default" in declared || "type" in declared)) {
            if ("value" in declared) values[qualify(key)] = declared.value;
            else if ("default" in declared) values[qualify(key)] = declared.default;
        } else values[qualify(key)] = declared;
    }
    const secretKeys: string[] = [];
    for (const [key, raw] of Object.entries({ ...file.config, ...overrides })) {
        const { value, secret } = desecure(raw);
        if (secret) secretKeys.push(qualify(key));
        if (value === undefined || value === null) delete values[qualify(key)];
        else values[qualify(key)] = value;
    }
    const config = Object.fromEntries(
        Object.entries(values).map(([key, value]) => [key, typeof value === "string" ? value : JSON.stringify(value)]),
    );
    return { project: project.name, config, secretKeys };
}

const hex = (seed: string, length: number) => createHash("sha1").update(seed).digest("hex").slice(0, length);

/** Packages whose default provider the project disables: their resources must name one. */
function disabledDefaultProviders(config: Record<string, string>): string[] {
    const value = config["pulumi:disable-default-providers"];
    return value ? (JSON.parse(value) as string[]) : [];
}

/** Outputs the cloud would add to a resource's inputs. */
function fakeState(
    args: MockResourceArgs,
    region: string,
    monitor: MockMonitor,
): { id: string | undefined; state: Record<string, unknown> } {
    const { type, name, inputs } = args;
    const state: Record<string, unknown> = { ...inputs };
    const physical = typeof inputs.name === "string" ? inputs.name : `${name}-${hex(name, 7)}`;
    const arn = (service: string, resource: string, scoped = true) =>
        `arn:aws:${service}:${scoped ? region : ""}:${OFFLINE_ACCOUNT}:${resource}`;
    let id: string | undefined = args.custom ? `${name}-id` : undefined;
    switch (type) {
        case "pulumi:providers:aws":
            // The region goes into the provider ID, so invokes through it can be answered for it.
            id = String(inputs.region);
            break;
        case "aws:ec2/vpc:Vpc":
            id = `vpc-${hex(name, 17)}`;
            Object.assign(state, { arn: arn("ec2", `vpc/${id}`), defaultSecurityGroupId: `sg-${hex(`${name}-default`, 17)}` });
            break;
        case "aws:ec2/subnet:Subnet":
            id = `subnet-${hex(name, 17)}`;
            state.arn = arn("ec2", `subnet/${id}`);
            break;
        case "aws:ec2/launchTemplate:LaunchTemplate":
            id = `lt-${hex(name, 17)}`;
            Object.assign(state, { arn: arn("ec2", `launch-template/${id}`), latestVersion: 1, defaultVersion: 1 });
            break;
        case "aws:kms/key:Key": {
            const keyId = `${hex(name, 8)}-${hex(`${name}1`, 4)}-${hex(`${name}2`, 4)}-${hex(`${name}3`, 4)}-${hex(`${name}4`, 12)}`;
            id = keyId;
            Object.assign(state, { keyId, arn: arn("kms", `key/${keyId}`) });
            break;
        }
        case "aws:iam/role:Role":
            Object.assign(state, {
                name: physical,
                arn: arn("iam", `role/${physical}`, false),
                uniqueId: `AROA${hex(name, 17).toUpperCase()}`,
            });
            id = physical;
            break;
        case "aws:s3/bucket:Bucket": {
            const bucket = String(inputs.bucket ?? physical);
            Object.assign(state, { bucket, arn: `arn:aws:s3:::${bucket}`, region });
            id = bucket;
            break;
        }
        case "aws:sqs/queue:Queue":
            Object.assign(state, { arn: arn("sqs", physical), url: `https://sqs.${region}.amazonaws.com/${OFFLINE_ACCOUNT}/${physical}` });
            id = String(state.url);
            break;
        case "aws:cloudwatch/logGroup:LogGroup":
            Object.assign(state, { name: physical, arn: arn("logs", `log-group:${physical}`) });
            id = physical;
            break;
        case "eks:index:Cluster": {
            const cluster = String(inputs.name ?? physical);
            const endpoint = `https://${hex(cluster, 32).toUpperCase()}.gr7.${region}.eks.amazonaws.com`;
            // `eksCluster` is a reference to the aws.eks.Cluster inside the remote component;
            // the runtime resolves it through the monitor, so register a stand-in there.
            const urn = `urn:pulumi:${pulumi.getStack()}::${pulumi.getProject()}::eks:index:Cluster$aws:eks/cluster:Cluster::${name}-eksCluster`;
            monitor.resources.set(urn, {
                urn,
                id: cluster,
                state: {
                    name: cluster,
                    arn: arn("eks", `cluster/${cluster}`),
                    endpoint,
                    version: inputs.version,
                    certificateAuthority: { data: Buffer.from("offline certificate authority").toString("base64") },
                    identities: [{ oidcs: [{ issuer: `https://oidc.eks.${region}.amazonaws.com/id/${hex(cluster, 32).toUpperCase()}` }] }],
                    vpcConfig: { clusterSecurityGroupId: `sg-${hex(`${cluster}-cluster`, 17)}`, vpcId: inputs.vpcId },
                },
            });
            const kubeconfig = {
                apiVersion: "v1",
                kind: "Config",
                clusters: [{ name: cluster, cluster: { server: endpoint, "certificate-authority-data": "b2ZmbGluZQ==" } }],
                contexts: [{ name: cluster, context: { cluster, user: cluster } }],
                "current-context": cluster,
                users: [
                    {
                        name: cluster,
                        user: {
                            exec: {
                                apiVersion: "client.authentication.k8s.io/v1beta1",
                                command: "aws",
                                args: ["--region", region, "eks", "get-token", "--cluster-name", cluster],
                            },
                        },
                    },
                ],
            };
            Object.assign(state, {
                eksCluster: { [specialSigKey]: specialResourceSig, urn, id: cluster },
                kubeconfig,
                kubeconfigJson: JSON.stringify(kubeconfig),
                clusterSecurityGroupId: `sg-${hex(`${cluster}-cluster`, 17)}`,
                nodeSecurityGroupId: `sg-${hex(`${cluster}-cluster`, 17)}`,
                oidcProviderArn: "",
                oidcIssuer: `oidc.eks.${region}.amazonaws.com/id/${hex(cluster, 32).toUpperCase()}`,
            });
            break;
        }
        default:
            break;
    }
    if (type.startsWith("aws:") && state.arn === undefined) {
        const service = type.split(":")[1].split("/")[0];
        state.arn = arn(service, `${type.split(":")[2].toLowerCase()}/${physical}`);
    }
    return { id, state };
}

/** What already exists in the offline world: by default, nothing. */
export interface WorldOptions {
    /** Clusters that exist, by region, with their Kubernetes minor: `{ "us-east-1": { "platform-prod-use1": "1.34" } }`. */
    readonly deployedClusters?: Readonly<Record<string, Readonly<Record<string, string>>>>;
}

/**
 * Inputs as plain data, the way the engine and policy packs see them: a resource passed as an
 * input becomes its URN. (The mock runtime hands such inputs back as Resource objects.)
 */
function plainInputs(value: unknown, urnOf: (type: string, name: string) => string | undefined): unknown {
    if (pulumi.Resource.isInstance(value)) {
        // The SDK keeps a resource's type and name on these fields; its urn is only an Output.
        const { __pulumiType: type, __name: name } = value as unknown as { __pulumiType: string; __name: string };
        return urnOf(type, name) ?? `${type}::${name}`;
    }
    if (Array.isArray(value)) return value.map((item) => plainInputs(item, urnOf));
    if (isObject(value)) return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, plainInputs(item, urnOf)]));
    return value;
}

/** Answers the invokes the program is expected to make, for the region of the provider used. */
function fakeCall(args: MockCallArgs, regionOf: (provider: string | undefined) => string, world: WorldOptions): Record<string, unknown> {
    const region = regionOf(args.provider);
    const clusters = world.deployedClusters?.[region] ?? {};
    switch (args.token) {
        case "aws:eks/getClusters:getClusters":
            return { id: region, names: Object.keys(clusters) };
        case "aws:eks/getCluster:getCluster": {
            const name = String(args.inputs.name);
            if (!(name in clusters)) throw new Error(`offline: no cluster ${name} in ${region}`);
            return { id: name, name, version: clusters[name], arn: `arn:aws:eks:${region}:${OFFLINE_ACCOUNT}:cluster/${name}` };
        }
        case "aws:index/getCallerIdentity:getCallerIdentity":
            return {
                accountId: OFFLINE_ACCOUNT,
                arn: `arn:aws:iam::${OFFLINE_ACCOUNT}:role/offline`,
                userId: "AROAOFFLINE",
                id: OFFLINE_ACCOUNT,
            };
        case "aws:index/getAvailabilityZones:getAvailabilityZones": {
            const letters = "abcdef".slice(0, REGIONS[region] ?? 3).split("");
            return {
                id: region,
                names: letters.map((l) => `${region}${l}`),
                zoneIds: letters.map((_, i) => `${region}-az${i + 1}`),
                groupNames: [region],
            };
        }
        default:
            throw new Error(
                `offline evaluation has no answer for invoke ${args.token}; add it to the offline mocks if the program needs it`,
            );
    }
}

/**
 * Evaluates the compiled program at `entry` for one stack under the mock runtime. Throws what
 * the program throws (a StackConfigError for an invalid stack file).
 */
export function evaluate(entry: string, stack: string, input: StackInput, options: WorldOptions = {}): Promise<Evaluation> {
    return run(
        stack,
        input,
        () => {
            const resolved = require.resolve(entry);
            // Each evaluation runs the program anew, with this stack's configuration; import() would
            // hand back the module cached by the first evaluation.
            delete require.cache[resolved];
            // eslint-disable-next-line @typescript-eslint/no-require-imports
            const program = require(resolved) as Record<string, unknown> | (() => Promise<Record<string, unknown>>);
            // As Pulumi's Node.js host does: a function export is the program, its result the outputs.
            return typeof program === "function" ? program() : { ...program };
        },
        options,
    );
}

/** `aws:ec2/subnet:Subnet` -> `aws.ec2.Subnet`, `kubernetes:helm.sh/v3:Release` -> `k8s.Release`. */
export function shortType(type: string): string {
    const [pkg, module, name] = type.split(":");
    if (pkg === "kubernetes") return `k8s.${name}`;
    if (pkg === "pulumi") return module === "providers" ? `provider.${name}` : name;
    const mod = module.split("/")[0];
    return mod === "index" ? `${pkg}.${name}` : `${pkg}.${mod}.${name}`;
}

/**
 * What a resource waits for before Pulumi creates it: its dependencies and its provider (a
 * Kubernetes provider is only ready once the cluster it points at exists).
 */
export function waitsFor(resource: RecordedResource): string[] {
    const provider = resource.provider ? resource.provider.slice(0, resource.provider.lastIndexOf("::")) : undefined;
    return provider ? [...resource.dependencies, provider] : [...resource.dependencies];
}

/** Each region's resources: everything under its Platform component, by region. */
export function resourcesByRegion(resources: readonly RecordedResource[]): Map<string, RecordedResource[]> {
    const byUrn = new Map(resources.map((r) => [r.urn, r]));
    const regionOf = new Map<string, string | undefined>();
    const find = (resource: RecordedResource | undefined): string | undefined => {
        if (!resource) return undefined;
        if (regionOf.has(resource.urn)) return regionOf.get(resource.urn);
        const region = resource.type === "platform:index:Platform" ? resource.name : find(byUrn.get(resource.parent));
        regionOf.set(resource.urn, region);
        return region;
    };
    const regions = new Map<string, RecordedResource[]>();
    for (const resource of resources) {
        const region = find(resource);
        if (region === undefined || resource.type === "platform:index:Platform") continue;
        if (!regions.has(region)) regions.set(region, []);
        regions.get(region)?.push(resource);
    }
    return regions;
}

/** Each component's direct children, by the parent's URN, in registration order. */
export function childrenByParent(resources: readonly RecordedResource[]): Map<string, RecordedResource[]> {
    const children = new Map<string, RecordedResource[]>();
    for (const resource of resources) {
        if (!children.has(resource.parent)) children.set(resource.parent, []);
        children.get(resource.parent)?.push(resource);
    }
    return children;
}

/** A program that failed, with what it registered before it did. */
export class EvaluationError extends Error {
    constructor(
        readonly stackName: string,
        override readonly cause: unknown,
        readonly resources: readonly RecordedResource[],
    ) {
        super(cause instanceof Error ? cause.message : String(cause));
        this.name = "EvaluationError";
    }
}

/** Runs `program` (which registers resources and returns the stack outputs) under the mocks. */
export async function run(
    stack: string,
    input: StackInput,
    program: () => Record<string, unknown> | Promise<Record<string, unknown>>,
    options: WorldOptions = {},
): Promise<Evaluation> {
    const resources: RecordedResource[] = [];
    const invokes: string[] = [];
    const disabled = disabledDefaultProviders(input.config);
    const problems: string[] = [];
    // AWS provider IDs are their region (see fakeState), so an invoke's provider names its region.
    const regionOf = (provider: string | undefined): string => provider?.split("::").pop() ?? "";
    const byKey = new Map<string, RecordedResource>();

    await pulumi.runtime.setMocks(
        {
            newResource: (args) => {
                const record = byKey.get(`${args.type}::${args.name}`);
                if (record)
                    record.inputs = plainInputs(args.inputs, (type, name) => byKey.get(`${type}::${name}`)?.urn) as Record<string, unknown>;
                const region = args.type === "pulumi:providers:aws" ? String(args.inputs.region) : regionOf(args.provider);
                return fakeState(args, region || "us-east-1", monitor);
            },
            call: (args) => {
                invokes.push(args.token);
                if (!args.provider && disabled.some((pkg) => pkg === "*" || args.token.startsWith(`${pkg}:`))) {
                    problems.push(`invoke ${args.token} has no explicit provider`);
                }
                return fakeCall(args, regionOf, options);
            },
        },
        input.project,
        stack,
        true,
    );
    pulumi.runtime.setAllConfig(input.config, input.secretKeys);

    const monitor = pulumi.runtime.getMonitor() as unknown as MockMonitor;
    const register = monitor.registerResource.bind(monitor);
    monitor.registerResource = (req: RegisterRequest, callback) => {
        const record: RecordedResource = {
            urn: "",
            type: req.getType(),
            name: req.getName(),
            parent: req.getParent(),
            custom: req.getCustom(),
            remote: req.getRemote?.() ?? false,
            provider: req.getProvider(),
            protect: req.getProtect?.() ?? false,
            retainOnDelete: req.getRetainondelete?.() ?? false,
            ignoreChanges: req.getIgnorechangesList?.() ?? [],
            dependencies: req.getDependenciesList(),
            inputs: {},
        };
        const pkg = record.type.split(":")[0];
        if (record.custom && pkg !== "pulumi" && !record.provider && disabled.some((p) => p === "*" || p === pkg)) {
            problems.push(`${record.type} ${record.name} has no explicit provider, and the default ${pkg} provider is disabled`);
        }
        byKey.set(`${record.type}::${record.name}`, record);
        resources.push(record);
        return register(req, (err, response) => {
            if (response) (record as { urn: string }).urn = response.getUrn();
            callback(err, response);
        });
    };

    let exported: Record<string, unknown> = {};
    let outputs: Record<string, unknown> = {};
    let failure: unknown;
    try {
        outputs = (await pulumi.runtime.runInPulumiStack(async () => (exported = await program()))) as Record<string, unknown>;
    } catch (error) {
        failure = error;
    }
    // Registrations the outputs did not wait for may still be in flight.
    await (pulumi.runtime as unknown as { waitForRPCs(): Promise<void> }).waitForRPCs();
    if (failure !== undefined) throw new EvaluationError(stack, failure, resources);
    if (problems.length > 0) throw new Error(`offline evaluation of ${stack}:\n  ${problems.join("\n  ")}`);
    return { project: input.project, stack, resources, outputs, exports: exported, invokes };
}

interface RegisterRequest {
    getType(): string;
    getName(): string;
    getParent(): string;
    getCustom(): boolean;
    getRemote?(): boolean;
    getProvider(): string;
    getProtect?(): boolean;
    getRetainondelete?(): boolean;
    getIgnorechangesList?(): string[];
    getDependenciesList(): string[];
}
