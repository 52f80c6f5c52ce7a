// The one mock of the cloud: the state AWS and the @pulumi/eks components would return for a
// resource, and answers to the invokes the program is expected to make. Anything unexpected fails
// loudly: an invoke the mocks do not know, or a resource without the explicit provider the stack
// requires.
import { createHash } from "node:crypto";
import { isObject } from "./stack-input";
import * as pulumi from "@pulumi/pulumi";
import type { MockCallArgs, MockMonitor, MockResourceArgs } from "@pulumi/pulumi/runtime/mocks";
import { specialResourceSig, specialSecretSig, specialSigKey, unknownValue } from "@pulumi/pulumi/runtime/rpc";
import { REGIONS } from "../config/catalog";

/** The account every offline ARN uses. */
export const OFFLINE_ACCOUNT = "123456789012";
const hex = (seed: string, length: number) => createHash("sha1").update(seed).digest("hex").slice(0, length);

/** Packages whose default provider the project disables: their resources must name one. */
export function disabledDefaultProviders(config: Record<string, string>): string[] {
    const value = config["pulumi:disable-default-providers"];
    return value ? (JSON.parse(value) as string[]) : [];
}

/** Outputs the cloud would add to a resource's inputs. */
export function fakeState(
    args: MockResourceArgs,
    region: string,
    monitor: Pick<MockMonitor, "resources">,
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
 * Inputs as recorded for the plan, from their wire form (what the SDK sends the monitor), the
 * way the SDK's own deserializer reads them (`@pulumi/pulumi` runtime/rpc.js,
 * deserializeProperties): a resource passed as an input becomes its URN, as the engine and
 * policy packs see it; a secret stays marked as one, and a list or map holding a secret becomes
 * a secret list or map; an unknown value (the preview's sentinel) becomes an empty object.
 */
export function recordedInputs(inputs: Record<string, unknown>): Record<string, unknown> {
    return Object.fromEntries(Object.entries(inputs).map(([key, value]) => [key, recordedValue(value)]));
}

function recordedValue(value: unknown): unknown {
    if (value === unknownValue) return {};
    if (Array.isArray(value)) return lifted(value.map(recordedValue));
    if (!isObject(value)) return value;
    if (value[specialSigKey] === specialResourceSig) return value.urn;
    if (value[specialSigKey] === specialSecretSig) return secret(recordedValue(value.value));
    return lifted(recordedInputs(value));
}

const secret = (value: unknown) => ({ [specialSigKey]: specialSecretSig, value });
const isSecret = (value: unknown): value is { value: unknown } => isObject(value) && value[specialSigKey] === specialSecretSig;
const unwrap = (value: unknown): unknown => (isSecret(value) ? value.value : value);

/** A list or map holding a secret becomes a secret list or map of the values inside. */
function lifted(collection: unknown[] | Record<string, unknown>): unknown {
    if (Array.isArray(collection)) return collection.some(isSecret) ? secret(collection.map(unwrap)) : collection;
    if (!Object.values(collection).some(isSecret)) return collection;
    return secret(Object.fromEntries(Object.entries(collection).map(([key, item]) => [key, unwrap(item)])));
}

/** Answers the invokes the program is expected to make, for the region of the provider used. */
export function fakeCall(
    args: MockCallArgs,
    regionOf: (provider: string | undefined) => string,
    world: WorldOptions,
): Record<string, unknown> {
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
        case "aws:secretsmanager/getSecret:getSecret": {
            const name = String(args.inputs.name);
            return { id: name, name, arn: `arn:aws:secretsmanager:${region}:${OFFLINE_ACCOUNT}:secret:${name}-OfLiNe` };
        }
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
