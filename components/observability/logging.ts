import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { LoggingSettings } from "../../stacks/config/schema";
import { secretsKeyPolicy } from "../security/policies";
import { hardenedBucket } from "../shared/bucket";
import type { ClusterHandle } from "../shared/cluster-handle";
import { platformNamespace, platformRelease } from "../shared/kubernetes";
import { createWorkloadRole } from "../shared/roles";
import { logCollectorPolicy, logStorePolicy } from "./logging-policies";
import { DEFAULTS, collectorPolicySpec, collectorValues, logBucketLifecycle, storePolicySpec, storeValues } from "./logging-values";

export interface LoggingArgs {
    readonly cluster: ClusterHandle;
    readonly charts: { readonly vector: string; readonly loki: string };
    readonly settings: LoggingSettings;
    readonly highAvailability: boolean;
    /** Physical name of the log bucket (unique: it carries the account ID). */
    readonly bucket: pulumi.Input<string>;
    readonly keyAlias: string;
    readonly roleNames: Readonly<Record<"logStore" | "logCollector", string>>;
    readonly monitoringNamespace: string;
    /** Protect and keep the bucket and its key: the archive outlives the stack. */
    readonly protect: boolean;
    /** The system nodes Loki runs on and the ServiceMonitor CRD (its volumes wait for the EBS CSI driver in the API, as Prometheus' do). */
    readonly dependsOn: pulumi.Input<pulumi.Resource>[];
}

/**
 * Every container's logs, kept in tiers: Vector on every node reads the host's log files, labels
 * each line (cluster, namespace, pod, container, node, team, tier, level of JSON lines), samples
 * health-check lines at the stack file's rate, and ships the rest twice: to Loki, searchable in
 * Grafana for the tier's searchable days, and to the archive in the log bucket, kept in Glacier
 * Instant Retrieval for the tier's archive days. The bucket is hardened like the backups', with
 * its own key; Loki and the collector each have a Pod Identity role limited to their part of it.
 */
export class Logging extends pulumi.ComponentResource {
    readonly bucketName: pulumi.Output<string>;
    readonly roleArns: Readonly<Record<"store" | "collector", pulumi.Output<string>>>;

    constructor(name: string, args: LoggingArgs, opts?: pulumi.ComponentResourceOptions) {
        super("platform:observability:Logging", name, {}, opts);
        const { cluster, settings } = args;
        const k8sOpts = { parent: this, provider: cluster.provider };

        const { bucket, key } = hardenedBucket(
            `${name}-logs`,
            {
                bucket: args.bucket,
                keyAlias: args.keyAlias,
                keyDescription: `Container logs of ${cluster.name}`,
                keyPolicy: cluster.scope.apply((s) => secretsKeyPolicy(s)),
                lifecycle: logBucketLifecycle(settings.tiers),
                tags: cluster.tags,
                protect: args.protect,
            },
            this,
        );
        const access = { archivePrefix: DEFAULTS.archivePrefix };
        const role = (part: "store" | "collector", identity: { namespace: string; serviceAccount: string }, description: string) =>
            createWorkloadRole(
                `${name}-${part}`,
                {
                    cluster,
                    roleName: part === "store" ? args.roleNames.logStore : args.roleNames.logCollector,
                    description,
                    namespace: identity.namespace,
                    serviceAccount: identity.serviceAccount,
                    policies: {
                        logs: pulumi
                            .all([cluster.scope, bucket.bucket, key.arn])
                            .apply(([s, b, keyArn]) =>
                                (part === "store" ? logStorePolicy : logCollectorPolicy)(s, { bucket: b, keyArn, ...access }),
                            ),
                    },
                },
                this,
            );
        const storeRole = role("store", DEFAULTS.store, `Loki of ${cluster.name}: its log bucket but the archive`);
        const collectorRole = role("collector", DEFAULTS.collector, `Log collector of ${cluster.name}: writes the archive`);

        const storeNamespace = platformNamespace(`${name}-store-namespace`, DEFAULTS.store.namespace, "restricted", k8sOpts);
        // The collector mounts the host's log directories, which only the privileged profile allows.
        const collectorNamespace = platformNamespace(`${name}-collector-namespace`, DEFAULTS.collector.namespace, "privileged", k8sOpts);

        const store = platformRelease(
            `${name}-store`,
            {
                cluster,
                source: "loki",
                chart: "loki",
                release: DEFAULTS.store.release,
                namespace: DEFAULTS.store.namespace,
                version: args.charts.loki,
                values: bucket.bucket.apply((b) =>
                    storeValues({ bucket: b, region: cluster.region, settings, highAvailability: args.highAvailability }),
                ),
                timeout: 900,
            },
            // Not deleted with the cluster: uninstalled first, so its volumes go with it.
            { ...k8sOpts, dependsOn: [...args.dependsOn, storeNamespace, storeRole.association, ...storeRole.grants] },
        );
        new k8s.apiextensions.CustomResource(
            `${name}-store-access`,
            {
                apiVersion: "cilium.io/v2",
                kind: "CiliumNetworkPolicy",
                metadata: { name: "loki-access", namespace: DEFAULTS.store.namespace },
                spec: storePolicySpec({ monitoringNamespace: args.monitoringNamespace }),
            },
            { ...k8sOpts, dependsOn: [storeNamespace, ...args.dependsOn] },
        );

        platformRelease(
            `${name}-collector`,
            {
                cluster,
                source: "vector",
                chart: "vector",
                release: DEFAULTS.collector.release,
                namespace: DEFAULTS.collector.namespace,
                version: args.charts.vector,
                values: pulumi
                    .all([bucket.bucket, key.arn])
                    .apply(([b, keyArn]) =>
                        collectorValues({ cluster: cluster.name, region: cluster.region, bucket: b, keyArn, settings }),
                    ),
            },
            { ...k8sOpts, dependsOn: [...args.dependsOn, collectorNamespace, collectorRole.association, ...collectorRole.grants, store] },
        );
        new k8s.networking.v1.NetworkPolicy(
            `${name}-collector-ingress`,
            {
                metadata: { name: "collector-ingress", namespace: DEFAULTS.collector.namespace },
                spec: collectorPolicySpec({ monitoringNamespace: args.monitoringNamespace }),
            },
            { ...k8sOpts, dependsOn: [collectorNamespace] },
        );

        this.bucketName = bucket.bucket;
        this.roleArns = { store: storeRole.role.arn, collector: collectorRole.role.arn };
        this.registerOutputs({ bucketName: this.bucketName });
    }
}
