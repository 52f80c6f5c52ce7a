// The one place that reads Pulumi configuration. It turns the stack file into one typed,
// validated StackConfig, or throws a StackConfigError listing every problem, before the program
// registers a single resource.
import * as pulumi from "@pulumi/pulumi";
import { subnetLayout, type SubnetLayout } from "./layout";
import { defaultClusterName, physicalNames, type PhysicalNames } from "./names";
import {
    SCALAR_SETTINGS,
    SETTINGS,
    type ClusterSettings,
    type GitOpsSettings,
    type BackupSettings,
    type KarpenterSettings,
    type MonitoringSettings,
    type NatLayout,
    type PipelineSettings,
    type TeamsSettings,
    type IngressSettings,
    type HelmValuesSettings,
    LoggingSettings,
    type PolicySettings,
    type PromotionSettings,
    type SecretsSettings,
    type Settings,
    type SettingKey,
    type VersionLock,
} from "./schema";
import { plaintextSecrets } from "./secrets";
import type { Problem } from "./problems";
import { secretsPrefix } from "./rules/addons";
import { appHostname, regionHostname, regionUrl } from "./rules/ingress";
import { validateSettings } from "./validate";

export type NetworkConfig =
    | {
          readonly kind: "created";
          readonly availabilityZones: number;
          readonly natGateways: NatLayout;
          readonly flowLogRetentionDays: number;
          readonly subnets: SubnetLayout;
      }
    | {
          readonly kind: "existing";
          readonly vpcId: string;
          readonly privateSubnetIds: readonly string[];
          readonly publicSubnetIds: readonly string[];
      };

/** Everything one region's Platform needs, derived from the stack file. */
export interface RegionConfig {
    readonly region: string;
    readonly names: PhysicalNames;
    /** Tags for every taggable resource of the region. */
    readonly tags: Readonly<Record<string, string>>;
    readonly vpcCidr: string;
    readonly serviceCidr: string;
    readonly ciliumClusterId: number;
    readonly network: NetworkConfig;
    /** Folder of the GitOps repository with this cluster's applications. */
    readonly gitopsPath: string;
    /** The hostname of the region's Gateway: its apps are served at <app>.<hostname>. */
    readonly hostname: string;
    /** Argo CD's URL in this region (gitops.url with {region} filled in). */
    readonly gitopsUrl: string;
    /** Where Grafana is served in this region. */
    readonly grafanaHostname: string;
}

export interface StackConfig {
    /** The stack file's settings as validated, defaults applied: what the environment diff compares. */
    readonly settings: Settings;
    readonly project: string;
    readonly stack: string;
    readonly environment: string;
    readonly protect: boolean;
    readonly versions: VersionLock;
    readonly cluster: ClusterSettings;
    readonly nodeGroups: Settings["nodeGroups"];
    readonly karpenter: KarpenterSettings;
    readonly highAvailability: boolean;
    readonly secrets: SecretsSettings & { readonly prefix: string };
    readonly gitops: GitOpsSettings;
    readonly policies: PolicySettings;
    readonly monitoring: MonitoringSettings;
    readonly backups: BackupSettings;
    readonly promotion: PromotionSettings;
    /** Runners and bootstrap mode; `runnerRegion` resolved to a region of the stack. */
    readonly pipeline: PipelineSettings & { readonly runnerRegion: string };
    readonly teams: TeamsSettings;
    readonly ingress: IngressSettings;
    readonly logging: LoggingSettings;
    readonly helmValues: HelmValuesSettings;
    readonly regions: readonly RegionConfig[];
}

/**
 * Every problem of a stack file, or of its deployment gates. A RunError: under `pulumi preview`
 * and `pulumi up` the Node.js language host prints a RunError as its message alone, with no
 * stack trace, and exits so that the engine adds no error of its own
 * (@pulumi/pulumi cmd/run/run.js, its uncaught-error handler; cmd/run/index.js, exit code 32).
 */
export class StackConfigError extends pulumi.RunError {
    constructor(
        readonly stackName: string,
        readonly problems: readonly Problem[],
    ) {
        super(
            `stack ${stackName}: ${problems.length} problem(s) in the stack file:\n${problems.map((p) => `  ${p.path}: ${p.message}`).join("\n")}`,
        );
        this.name = "StackConfigError";
    }
}

export interface RawStackConfig {
    readonly project: string;
    readonly stack: string;
    /** Every configuration key (`namespace:key`) with its value, as Pulumi passes them to a program. */
    readonly config: Readonly<Record<string, string>>;
    readonly isSecret: (key: string) => boolean;
}

/** Reads a setting as the stack file wrote it: scalars as text, structures as parsed YAML. */
function settingValue(key: SettingKey | string, text: string): unknown {
    if (SCALAR_SETTINGS.has(key as SettingKey)) return text;
    try {
        return JSON.parse(text);
    } catch {
        return text; // reported by the schema as a wrong type
    }
}

/** Validates and resolves a stack's configuration; pure, so tests need no Pulumi runtime. */
export function resolveStackConfig(raw: RawStackConfig): StackConfig {
    const prefix = `${raw.project}:`;
    const values: Record<string, unknown> = {};
    for (const [key, text] of Object.entries(raw.config)) {
        if (key.startsWith(prefix)) values[key.slice(prefix.length)] = settingValue(key.slice(prefix.length), text);
    }
    const secrets = plaintextSecrets(raw.config, raw.isSecret, raw.project);
    const { settings, problems } = validateSettings(values);
    if (settings?.promotion.from === raw.stack)
        problems.push({ path: "promotion.from", message: `"${raw.stack}" is this stack; a stack cannot promote to itself` });
    if (!settings || secrets.length > 0 || problems.length > 0) throw new StackConfigError(raw.stack, [...secrets, ...problems]);
    return resolve(raw.project, raw.stack, settings);
}

function resolve(project: string, stack: string, settings: Settings): StackConfig {
    const baseTags = { ...settings.tags, environment: settings.environment, owner: settings.owner, "managed-by": "pulumi" };
    return {
        settings,
        project,
        stack,
        environment: settings.environment,
        protect: settings.protect,
        versions: settings.versions,
        cluster: settings.cluster,
        nodeGroups: settings.nodeGroups,
        karpenter: settings.karpenter,
        highAvailability: settings.highAvailability,
        secrets: { ...settings.secrets, prefix: secretsPrefix(settings) as string },
        gitops: settings.gitops,
        policies: settings.policies,
        monitoring: settings.monitoring,
        backups: settings.backups,
        promotion: settings.promotion,
        teams: settings.teams,
        ingress: settings.ingress,
        logging: settings.logging,
        helmValues: settings.helmValues,
        pipeline: { ...settings.pipeline, runnerRegion: settings.pipeline.runnerRegion ?? settings.regions[0].region },
        regions: settings.regions.map((region) => {
            const cluster = region.clusterName ?? defaultClusterName(settings.name, settings.environment, region.region);
            const zones = region.availabilityZones ?? settings.network.availabilityZones;
            const network: NetworkConfig = region.existingVpc
                ? { kind: "existing", ...region.existingVpc }
                : {
                      kind: "created",
                      availabilityZones: zones,
                      natGateways: region.natGateways ?? settings.network.natGateways,
                      flowLogRetentionDays: settings.network.flowLogRetentionDays,
                      subnets: subnetLayout(region.vpcCidr, zones),
                  };
            return {
                region: region.region,
                names: physicalNames(cluster),
                tags: { ...baseTags, region: region.region },
                vpcCidr: region.vpcCidr,
                serviceCidr: region.serviceCidr,
                ciliumClusterId: region.ciliumClusterId,
                network,
                gitopsPath: settings.gitops.repository.path
                    .replace(/\{environment\}/g, settings.environment)
                    .replace(/\{region\}/g, region.region),
                hostname: regionHostname(settings.ingress, region.region),
                gitopsUrl: regionUrl(settings.gitops.url, region.region),
                grafanaHostname: appHostname(regionHostname(settings.ingress, region.region), "grafana"),
            };
        }),
    };
}

/** Reads and validates the current stack's configuration from the Pulumi runtime. */
export function loadStackConfig(): StackConfig {
    const runtime = pulumi.runtime as typeof pulumi.runtime & { isConfigSecret(key: string): boolean };
    return resolveStackConfig({
        project: pulumi.getProject(),
        stack: pulumi.getStack(),
        config: runtime.allConfig(),
        isSecret: (key) => runtime.isConfigSecret(key),
    });
}

export const SETTING_KEYS = Object.keys(SETTINGS) as SettingKey[];
