// Docker Hub images the platform runs itself (the restore drill's shell with kubectl and jq), pulled
// through the region's own ECR: a pull-through cache rule for Docker Hub and the cached repository,
// so nodes pull from a registry the admission allowlist names, by digest, never from Docker Hub,
// which rate-limits pulls from NAT-ed addresses.
//
// ECR (https://docs.aws.amazon.com/AmazonECR/latest/userguide/pull-through-cache.html): a rule
// maps `<account>.dkr.ecr.<region>.amazonaws.com/<prefix>/<repository>` to the upstream registry,
// with credentials from a Secrets Manager secret named `ecr-pullthroughcache/...` (Docker Hub
// requires them). The repository is created here, so that nodes need only
// AmazonEC2ContainerRegistryPullOnly (which allows ecr:BatchImportUpstreamImage, not
// ecr:CreateRepository). A pull by digest finds the image only once a pull by tag has cached it
// (aws/containers-roadmap#2837): a Job pulls each image by tag at deploy time (fillImageCache).
import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { Scope } from "../shared/iam";
import { LOCKED_CONTAINER, NOBODY_POD } from "../shared/kubernetes";
import { SYSTEM_PLACEMENT } from "../shared/scheduling";

/** Repository prefix of the Docker Hub cache in ECR. */
export const DOCKER_HUB_PREFIX = "docker-hub";

/** A Docker Hub image reference split into its repository (official images under library/), tag and digest. */
export function dockerHubImage(image: string): { repository: string; tag: string; digest: string } {
    const match = /^(?:docker\.io\/)?([a-z0-9._/-]+?):([\w.-]+)@(sha256:[0-9a-f]{64})$/.exec(image);
    if (!match) throw new Error(`${image}: not a Docker Hub image with a tag, pinned by digest`);
    const [, path, tag, digest] = match;
    return { repository: path.includes("/") ? path : `library/${path}`, tag, digest };
}

/** The image as the region's cache serves it: by digest, or (`byTag`) by its tag, which fills the cache. */
export const cachedImage = (image: string, registry: string, byTag = false): string => {
    const { repository, tag, digest } = dockerHubImage(image);
    return `${registry}/${DOCKER_HUB_PREFIX}/${repository}:${tag}${byTag ? "" : `@${digest}`}`;
};

export interface ImageCacheArgs {
    /** Images to serve, as the version lock pins them (Docker Hub, by digest). */
    readonly images: readonly string[];
    /** Name of the region's Secrets Manager secret with Docker Hub's `username` and `accessToken`. */
    readonly credentialSecretName: string;
    readonly scope: pulumi.Output<Scope>;
    readonly tags: Readonly<Record<string, string>>;
}

export class ImageCache extends pulumi.ComponentResource {
    /** Each image of `images`, as nodes pull it from this region's ECR: by digest, and by tag (to fill the cache). */
    readonly images: ReadonlyMap<string, { readonly pinned: pulumi.Output<string>; readonly tagged: pulumi.Output<string> }>;

    constructor(name: string, args: ImageCacheArgs, opts?: pulumi.ComponentResourceOptions) {
        super("platform:security:ImageCache", name, {}, opts);
        const credentials = aws.secretsmanager.getSecretOutput({ name: args.credentialSecretName }, { parent: this });
        const rule = new aws.ecr.PullThroughCacheRule(
            `${name}-docker-hub`,
            { ecrRepositoryPrefix: DOCKER_HUB_PREFIX, upstreamRegistryUrl: "registry-1.docker.io", credentialArn: credentials.arn },
            { parent: this },
        );
        const registry = args.scope.apply((s) => `${s.accountId}.dkr.ecr.${s.region}.amazonaws.com`);
        this.images = new Map(
            [...new Set(args.images)].map((image) => {
                const upstream = dockerHubImage(image).repository;
                const repository = new aws.ecr.Repository(
                    `${name}-${upstream.replace(/\//g, "-")}`,
                    {
                        name: `${DOCKER_HUB_PREFIX}/${upstream}`,
                        // The cache re-syncs a tag from upstream, so tags stay mutable; pulls are by digest.
                        imageTagMutability: "MUTABLE",
                        imageScanningConfiguration: { scanOnPush: true },
                        encryptionConfigurations: [{ encryptionType: "AES256" }],
                        tags: args.tags,
                    },
                    { parent: this, dependsOn: [rule] },
                );
                const host = pulumi.all([registry, repository.name]).apply(([r]) => r);
                return [
                    image,
                    { pinned: host.apply((r) => cachedImage(image, r)), tagged: host.apply((r) => cachedImage(image, r, true)) },
                ] as const;
            }),
        );
        this.registerOutputs({});
    }
}

/**
 * A Job that pulls an image by tag through the cache, so that pulls by digest find it: created at
 * deploy time, before anything runs the image, and replaced (so run again) when the lock moves it.
 */
export function fillImageCache(
    name: string,
    args: { namespace: string; tagged: pulumi.Input<string> },
    opts: pulumi.CustomResourceOptions,
): k8s.batch.v1.Job {
    return new k8s.batch.v1.Job(
        name,
        {
            metadata: {
                namespace: args.namespace,
                labels: { "app.kubernetes.io/name": "image-cache", "app.kubernetes.io/part-of": "platform" },
            },
            spec: {
                backoffLimit: 3,
                activeDeadlineSeconds: 900,
                template: {
                    spec: {
                        restartPolicy: "Never",
                        nodeSelector: { ...SYSTEM_PLACEMENT.nodeSelector },
                        tolerations: [...SYSTEM_PLACEMENT.tolerations],
                        securityContext: NOBODY_POD,
                        containers: [
                            {
                                name: "pull",
                                image: args.tagged,
                                imagePullPolicy: "Always",
                                command: ["/bin/sh", "-c", "true"],
                                securityContext: LOCKED_CONTAINER,
                                resources: { requests: { cpu: "10m", memory: "16Mi" }, limits: { memory: "32Mi" } },
                            },
                        ],
                    },
                },
            },
        },
        { ...opts, replaceOnChanges: ["spec"], deleteBeforeReplace: true },
    );
}
