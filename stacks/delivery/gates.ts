// Deploy-time gates: checks of the stack file against what is already deployed, made by
// `pulumi preview` and `pulumi up` after the stack file is validated and before any resource of
// the platform is registered. Like validation, they report every problem at once.
//
// - Upgrade path: each region's existing cluster may only move to the lock's Kubernetes minor if
//   that is the same minor or the next one (EKS upgrades one minor at a time, never downgrades).
// - Bootstrap: a stack whose clusters exist may not go back to bootstrap mode, which builds none.
// - Promotion: a stack with `promotion.from` runs only a lock its source stack has deployed: the
//   source's `versions` output must equal this stack's lock. A preview of a stack whose lock is
//   only behind that one (it waits for its promotion, the normal state after the source's lock
//   moved) gets a warning instead: pull requests preview prod meanwhile, and `pulumi up` refuses.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { StackConfig } from "../config/config";
import { aheadOf, formatChange, kubernetesStep, lockChanges } from "../config/lock";
import type { VersionLock } from "../config/schema";
import type { Problem } from "../config/problems";

export interface DeployedCluster {
    readonly region: string;
    readonly name: string;
    /** Kubernetes minor the control plane runs, e.g. "1.34". */
    readonly version: string;
}

/** What the gates read from the deployed world. */
export interface DeployedState {
    /** The stack's clusters that exist already. */
    clusters(): Promise<DeployedCluster[]>;
    /**
     * The lock the stack this one is promoted from has deployed: its `versions` output (undefined
     * when it has none), with the stack's fully qualified name; or "unavailable" when no backend
     * can be asked (offline evaluation).
     */
    deployedLock(promotion: {
        from: string;
        stackReference?: string;
    }): Promise<{ reference: string; lock: VersionLock | undefined } | "unavailable">;
}

/** Problems of the lock against the clusters it would upgrade. */
export function upgradeProblems(lock: VersionLock, clusters: readonly DeployedCluster[]): Problem[] {
    return clusters.flatMap((cluster) => {
        const reason = kubernetesStep(cluster.version, lock.kubernetes);
        return reason
            ? [{ path: "versions.kubernetes", message: `${reason} (cluster ${cluster.name} in ${cluster.region} runs ${cluster.version})` }]
            : [];
    });
}

/** Problems of the lock against the lock the source stack has deployed. */
export function promotionProblems(lock: VersionLock, source: { name: string; lock: VersionLock | undefined }): Problem[] {
    if (source.lock === undefined) {
        return [
            {
                path: "promotion.from",
                message: `stack ${source.name} has no deployed \`versions\` output: deploy it before this stack, which may only run a lock it has run`,
            },
        ];
    }
    const changes = lockChanges(source.lock, lock);
    if (changes.length === 0) return [];
    return [
        {
            path: "versions",
            message:
                `differs from the lock stack ${source.name} has deployed (${changes.map(formatChange).join("; ")}); ` +
                `deploy the lock there first, or promote what it runs (npm run promote)`,
        },
    ];
}

/** How the program runs: a preview (`pulumi preview`, and the preview phase of `pulumi up`) or an update. */
export interface RunMode {
    readonly preview: boolean;
    /** Where a preview's warnings go (`pulumi.log.warn`). */
    readonly warn: (message: string) => void;
}

const UPDATE: RunMode = { preview: false, warn: () => undefined };

/** Every deploy-time problem of the stack, or none. */
export async function deploymentProblems(config: StackConfig, state: DeployedState, mode: RunMode = UPDATE): Promise<Problem[]> {
    const { from, stackReference, requireDeployedLock } = config.promotion;
    const [clusters, source] = await Promise.all([
        state.clusters(),
        from && requireDeployedLock ? state.deployedLock({ from, stackReference }) : undefined,
    ]);
    const problems = upgradeProblems(config.versions, clusters);
    if (config.pipeline.bootstrap && clusters.length > 0) {
        problems.push({
            path: "pipeline.bootstrap",
            message: `bootstrap builds no cluster, so it would delete ${clusters.map((c) => `${c.name} (${c.region})`).join(", ")}; bootstrap is for a stack whose clusters do not exist yet`,
        });
    }
    // Offline, the plan says the gate is unchecked; at deploy time there is always a backend.
    if (source && source !== "unavailable") {
        const deployed = source.lock;
        const found = promotionProblems(config.versions, { name: source.reference, lock: deployed });
        const behind =
            deployed !== undefined &&
            aheadOf({ name: source.reference, lock: deployed }, { name: config.stack, lock: config.versions }).length === 0;
        if (mode.preview && found.length > 0 && behind) {
            const changes = lockChanges(config.versions, deployed).map(formatChange).join("; ");
            mode.warn(
                `versions: behind the lock stack ${source.reference} has deployed (${changes}): this preview runs ${config.stack}'s own lock, ` +
                    `and \`pulumi up\` refuses it until \`npm run promote -- ${from} ${config.stack}\` is merged`,
            );
        } else problems.push(...found);
    }
    return problems;
}

/**
 * The deployed state as AWS and the Pulumi backend report it: clusters through each region's
 * provider (eks:ListClusters, eks:DescribeCluster), the source lock through a StackReference.
 */
export function liveState(config: StackConfig, providers: ReadonlyMap<string, aws.Provider>): DeployedState {
    return {
        async clusters() {
            const found = await Promise.all(
                config.regions.map(async ({ region, names }) => {
                    const provider = providers.get(region);
                    const { names: existing } = await aws.eks.getClusters({}, { provider });
                    if (!(existing ?? []).includes(names.cluster)) return [];
                    const cluster = await aws.eks.getCluster({ name: names.cluster }, { provider });
                    return [{ region, name: names.cluster, version: cluster.version }];
                }),
            );
            return found.flat();
        },
        async deployedLock({ from, stackReference }) {
            // Under the mock runtime (the offline plan and the tests) there is no engine and so no
            // backend holding other stacks' outputs.
            if (pulumi.runtime.getEngine() === undefined) return "unavailable";
            const reference = stackReference ?? `${pulumi.getOrganization()}/${pulumi.getProject()}/${from}`;
            const source = new pulumi.StackReference("promotion-source", { name: reference });
            const details = await source.getOutputDetails("versions");
            return { reference, lock: (details.value ?? details.secretValue) as VersionLock | undefined };
        },
    };
}
