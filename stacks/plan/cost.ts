// Estimated monthly cost of a stack, line by line, from what its plan would create and the dated
// price table in prices.ts. Every line carries the arithmetic and assumptions behind it, and the
// same stack is priced all on-demand so that what Spot saves is visible.
import { fallbacksOf } from "../config/fields/nodes";
import type { RecordedResource } from "./resources";
import {
    CATEGORY_REFERENCE,
    EKS_CLUSTER_HOUR,
    HOURS_PER_MONTH,
    KMS_KEY_MONTH,
    PRICES_AS_OF,
    REGION_PRICES,
    type RegionPrices,
} from "./prices";

/** Stored size of log lines against their raw size (Loki's chunks and the gzip archive). */
export const LOG_COMPRESSION = 0.1;

/** What the log storage is priced at: the stack file's ingest rate, and the default tier's days. */
export interface LogVolume {
    readonly ingestGiBPerDay: number;
    readonly searchDays: number;
    readonly archiveDays: number;
}

/** What the stack file assumes of Karpenter's pools (karpenter.estimate). */
export interface PoolEstimate {
    /** Share of each pool's CPU limit in use, averaged over the month. */
    readonly utilisation: number;
    /** Share of a spot pool's usage its on-demand fallback runs instead. */
    readonly spotShortfall: number;
}

export interface CostLine {
    readonly region: string;
    readonly item: string;
    /** USD per month as planned (Spot where the stack asks for it). */
    readonly monthly: number;
    /** USD per month with every instance on-demand. */
    readonly onDemandMonthly: number;
    /** How the figure is made: quantities, unit prices, assumptions. */
    readonly basis: string;
}

export interface CostEstimate {
    readonly lines: readonly CostLine[];
    readonly total: number;
    readonly allOnDemand: number;
    /** Prices the table lacks; those resources are left out of the total, which then says so. */
    readonly missing: readonly string[];
    readonly assumptions: readonly string[];
}

const usd = (n: number) => `$${n.toFixed(2)}`;
const pct = (share: number) => `${Number((share * 100).toFixed(1))}%`;
const round = (n: number) => Number(n.toFixed(2));
/** Unit prices keep the digits AWS lists them with, so that the arithmetic can be redone. */
const unit = (n: number) => `$${Number(n.toFixed(5))}`;
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- recorded inputs are free-form JSON
type Inputs = Record<string, any>;
const inputs = (r: RecordedResource) => r.inputs as Inputs;
const ofType = (resources: readonly RecordedResource[], type: string) => resources.filter((r) => r.type === type);
const gib = (quantity: string) => Number(/^(\d+)Gi$/.exec(quantity)?.[1] ?? Number.NaN);

function regionLines(
    region: string,
    resources: readonly RecordedResource[],
    prices: RegionPrices,
    missing: string[],
    logs: LogVolume | undefined,
    estimate: PoolEstimate,
): CostLine[] {
    const lines: CostLine[] = [];
    const fixed = (item: string, monthly: number, basis: string) => lines.push({ region, item, monthly, onDemandMonthly: monthly, basis });

    for (const cluster of ofType(resources, "eks:index:Cluster")) {
        const support = (inputs(cluster).upgradePolicy?.supportType ?? "STANDARD") as keyof typeof EKS_CLUSTER_HOUR;
        fixed(
            `control plane ${inputs(cluster).name}`,
            EKS_CLUSTER_HOUR[support] * HOURS_PER_MONTH,
            `${HOURS_PER_MONTH} h x ${unit(EKS_CLUSTER_HOUR[support])} (${support.toLowerCase()} support)`,
        );
    }

    const templates = new Map(ofType(resources, "aws:ec2/launchTemplate:LaunchTemplate").map((t) => [t.urn, t]));
    let rootGiB = 0;
    for (const group of ofType(resources, "aws:eks/nodeGroup:NodeGroup")) {
        const { nodeGroupName, instanceTypes, scalingConfig } = inputs(group);
        const type = String(instanceTypes[0]);
        const price = prices.instances[type];
        const template = group.dependencies.map((urn) => templates.get(urn)).find((t) => t !== undefined);
        rootGiB += scalingConfig.desiredSize * Number(template ? (inputs(template).blockDeviceMappings?.[0]?.ebs?.volumeSize ?? 0) : 0);
        if (price === undefined) {
            missing.push(`${region} ${type}`);
            continue;
        }
        // Managed node groups launch on-demand capacity in the order the types are listed.
        fixed(
            `node group ${nodeGroupName}`,
            scalingConfig.desiredSize * price * HOURS_PER_MONTH,
            `${scalingConfig.desiredSize} x ${type} (desired size; first listed type) x ${HOURS_PER_MONTH} h x ${unit(price)}`,
        );
    }
    if (rootGiB > 0)
        fixed("node group root volumes", rootGiB * prices.ebsGp3GbMonth, `${rootGiB} GiB gp3 x ${unit(prices.ebsGp3GbMonth)}/GiB-month`);

    const nats = ofType(resources, "aws:ec2/natGateway:NatGateway").length;
    if (nats > 0) {
        fixed(
            "NAT gateways",
            nats * prices.natGatewayHour * HOURS_PER_MONTH,
            `${nats} x ${HOURS_PER_MONTH} h x ${unit(prices.natGatewayHour)}; data processed (${unit(prices.natGatewayGb)}/GB) not included`,
        );
    }

    // Each Gateway's Service gets a Network Load Balancer from the load balancer controller.
    const gateways = ofType(resources, "kubernetes:gateway.networking.k8s.io/v1:Gateway").length;
    if (gateways > 0) {
        fixed(
            "Network Load Balancers",
            gateways * prices.nlbHour * HOURS_PER_MONTH,
            `${gateways} x ${HOURS_PER_MONTH} h x ${unit(prices.nlbHour)} (one per Gateway); capacity units (${unit(prices.nlcuHour)}/NLCU-h) not included`,
        );
    }

    // Each pool at the stack file's average utilisation of its CPU limit; an on-demand pool that
    // backs spot pools only at their shortfall, the capacity spot could not provide.
    const pools = ofType(resources, "kubernetes:karpenter.sh/v1:NodePool").map((pool) => {
        const spec = inputs(pool).spec;
        const requirement = (key: string) =>
            (spec.template.spec.requirements as Inputs[]).find((r) => r.key === key)?.values as string[] | undefined;
        const capacityTypes = requirement("karpenter.sh/capacity-type") ?? [];
        return {
            name: String(inputs(pool).metadata.name),
            spec,
            capacityType: capacityTypes.every((t) => t === "spot") ? "spot" : "on-demand",
            weight: spec.weight as number | undefined,
            categories: requirement("karpenter.k8s.aws/instance-category") ?? ["m"],
            architectures: (requirement("kubernetes.io/arch") ?? ["amd64"]) as Array<keyof typeof CATEGORY_REFERENCE>,
            taints: (spec.template.spec.taints ?? []) as Array<{ key: string; value?: string; effect: string }>,
        };
    });
    const fallbacks = fallbacksOf(pools.map((pool) => [pool.name, pool] as const));
    const limitOf = (name: string) => Number(pools.find((p) => p.name === name)?.spec.limits.cpu);
    for (const pool of pools) {
        const references = pool.categories.flatMap((c) =>
            pool.architectures.map((arch) => ({ arch, c, reference: CATEGORY_REFERENCE[arch]?.[c] })),
        );
        const perVcpu = references.map(({ arch, c, reference }) => {
            const price = reference && prices.instances[reference.type];
            if (price === undefined)
                missing.push(`${region} ${reference?.type ?? `category ${c} on ${arch}`} (Karpenter pool ${pool.name})`);
            return price === undefined ? Number.NaN : price / reference.vcpus;
        });
        if (perVcpu.some(Number.isNaN)) continue;
        const vcpuHour = perVcpu.reduce((a, b) => a + b, 0) / perVcpu.length;
        const backed = fallbacks.get(pool.name);
        const limit = Number(pool.spec.limits.cpu);
        // What the spot pools it backs run, of which a fallback runs only the shortfall.
        const spotVcpus = (backed ?? []).reduce((sum, spot) => sum + limitOf(spot) * estimate.utilisation, 0);
        const vcpus = backed ? Math.min(limit, spotVcpus * estimate.spotShortfall) : limit * estimate.utilisation;
        const usage = backed
            ? `fallback for ${backed.join(", ")}: ${pct(estimate.spotShortfall)} of spot's ${round(spotVcpus)} vCPU = ${round(vcpus)} vCPU`
            : `${pct(estimate.utilisation)} of ${limit} vCPU limit = ${round(vcpus)} vCPU`;
        const onDemand = vcpus * vcpuHour * HOURS_PER_MONTH;
        const spot = pool.capacityType === "spot";
        lines.push({
            region,
            item: `Karpenter pool ${pool.name}`,
            monthly: spot ? onDemand * (1 - prices.spotDiscount) : onDemand,
            onDemandMonthly: onDemand,
            basis:
                `${usage} x ${HOURS_PER_MONTH} h x ${unit(vcpuHour)}/vCPU-h (${pool.categories.join("/")} ${pool.architectures.join("/")} average)` +
                (spot ? `, Spot at ${pct(prices.spotDiscount)} off` : ", on-demand"),
        });
    }

    const monitoring = ofType(resources, "kubernetes:helm.sh/v3:Release").find((r) => inputs(r).chart === "kube-prometheus-stack");
    const prometheus = monitoring && inputs(monitoring).values?.prometheus?.prometheusSpec;
    if (prometheus) {
        const size = gib(prometheus.storageSpec.volumeClaimTemplate.spec.resources.requests.storage);
        fixed(
            "Prometheus volumes",
            prometheus.replicas * size * prices.ebsGp3GbMonth,
            `${prometheus.replicas} x ${size} GiB gp3 x ${unit(prices.ebsGp3GbMonth)}/GiB-month`,
        );
    }

    const loki = ofType(resources, "kubernetes:helm.sh/v3:Release").find((r) => inputs(r).chart === "loki");
    const store = loki && inputs(loki).values?.singleBinary;
    if (store) {
        const size = gib(store.persistence.size);
        fixed(
            "Loki volumes",
            store.replicas * size * prices.ebsGp3GbMonth,
            `${store.replicas} x ${size} GiB gp3 x ${unit(prices.ebsGp3GbMonth)}/GiB-month`,
        );
    }
    if (store && logs) {
        const stored = (days: number) => logs.ingestGiBPerDay * LOG_COMPRESSION * days;
        fixed(
            "log store (searchable)",
            stored(logs.searchDays) * prices.s3StandardGbMonth,
            `${logs.ingestGiBPerDay} GiB/day x ${LOG_COMPRESSION} stored x ${logs.searchDays} days = ${stored(logs.searchDays)} GiB S3 Standard x ${unit(prices.s3StandardGbMonth)}/GB-month`,
        );
        if (prices.s3GlacierIrGbMonth === undefined) missing.push(`${region} S3 Glacier Instant Retrieval`);
        else
            fixed(
                "log archive",
                stored(logs.archiveDays) * prices.s3GlacierIrGbMonth,
                `${logs.ingestGiBPerDay} GiB/day x ${LOG_COMPRESSION} stored x ${logs.archiveDays} days = ${stored(logs.archiveDays)} GiB Glacier Instant Retrieval x ${unit(prices.s3GlacierIrGbMonth)}/GB-month`,
            );
    }

    const keys = ofType(resources, "aws:kms/key:Key").length;
    if (keys > 0) fixed("KMS keys", keys * KMS_KEY_MONTH, `${keys} x ${unit(KMS_KEY_MONTH)}/month; requests not included`);
    return lines;
}

/** The monthly estimate of a stack's regions, each given the resources of its Platform. */
export function estimateCost(
    regions: ReadonlyMap<string, readonly RecordedResource[]>,
    logs?: LogVolume,
    estimate: PoolEstimate = { utilisation: 0.2, spotShortfall: 0.05 },
): CostEstimate {
    const missing: string[] = [];
    const lines: CostLine[] = [];
    for (const [region, resources] of regions) {
        const prices = REGION_PRICES[region];
        if (!prices) {
            missing.push(`${region} (no prices for the region)`);
            continue;
        }
        lines.push(...regionLines(region, resources, prices, missing, logs, estimate));
    }
    // Lines are in cents, so that the total is exactly the sum of the lines as printed.
    const cents = (n: number) => Math.round(n * 100) / 100;
    const rounded = lines.map((line) => ({ ...line, monthly: cents(line.monthly), onDemandMonthly: cents(line.onDemandMonthly) }));
    const sum = (pick: (line: CostLine) => number) => cents(rounded.reduce((acc, line) => acc + pick(line), 0));
    return {
        lines: rounded,
        total: sum((line) => line.monthly),
        allOnDemand: sum((line) => line.onDemandMonthly),
        missing: [...new Set(missing)],
        assumptions: [
            `assumes AWS list prices of ${PRICES_AS_OF} (stacks/plan/prices.ts), USD, Linux, ${HOURS_PER_MONTH} hours a month, no savings plans or reserved capacity`,
            `assumes Karpenter pools run at ${pct(estimate.utilisation)} of their CPU limit on average (karpenter.estimate.utilisation), at the list price per vCPU of their categories' reference types (stacks/plan/prices.ts)`,
            `assumes on-demand fallback pools run only the ${pct(estimate.spotShortfall)} of their spot pools' capacity that spot cannot provide (karpenter.estimate.spotShortfall)`,
            ...(logs
                ? [
                      `assumes ${logs.ingestGiBPerDay} GiB of log lines a day per region (logging.ingestGiBPerDay), after sampling, stored at ${LOG_COMPRESSION * 100}% of their size for the default tier's ${logs.searchDays} searchable and ${logs.archiveDays} archive days`,
                  ]
                : []),
            "not included: data transfer, NAT data processing, load balancer capacity units, CloudWatch Logs, S3 but log storage, API requests",
        ],
    };
}

/** The estimate as the plan prints it; lines sum to the total shown. */
export function renderCost(estimate: CostEstimate): string[] {
    const rows = estimate.lines.map((line) => [line.region, line.item, usd(line.monthly), line.basis]);
    const widths = rows.reduce<number[]>((acc, row) => row.map((cell, i) => Math.max(acc[i] ?? 0, cell.length)), []);
    const saving = estimate.allOnDemand - estimate.total;
    return [
        ...rows.map((row) =>
            row
                .map((cell, i) => (i === 2 ? cell.padStart(widths[i]) : cell.padEnd(widths[i])))
                .join("  ")
                .trimEnd(),
        ),
        `total ${usd(estimate.total)}/month${estimate.missing.length > 0 ? `, INCOMPLETE: without the ${estimate.missing.length} item(s) NOT PRICED below` : ""}; all on-demand ${usd(estimate.allOnDemand)}/month (Spot saves ${usd(saving)}, ${estimate.allOnDemand > 0 ? ((saving / estimate.allOnDemand) * 100).toFixed(0) : 0}%)`,
        ...estimate.missing.map((price) => `NOT PRICED: ${price}`),
        ...estimate.assumptions,
    ];
}
