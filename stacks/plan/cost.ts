// Estimated monthly cost of a stack, line by line, from what its plan would create and the dated
// price table in prices.ts. Every line carries the arithmetic and assumptions behind it, and the
// same stack is priced all on-demand so that what Spot saves is visible.
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

/** Share of each Karpenter pool's CPU limit assumed in use, averaged over the month. */
export const KARPENTER_UTILISATION = 0.2;

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
    /** Prices the table lacks; those resources are left out of the total. */
    readonly missing: readonly string[];
    readonly assumptions: readonly string[];
}

const usd = (n: number) => `$${n.toFixed(2)}`;
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

    for (const pool of ofType(resources, "kubernetes:karpenter.sh/v1:NodePool")) {
        const spec = inputs(pool).spec;
        const requirement = (key: string) =>
            (spec.template.spec.requirements as Inputs[]).find((r) => r.key === key)?.values as string[] | undefined;
        const categories = requirement("karpenter.k8s.aws/instance-category") ?? ["m"];
        const perVcpu = categories.map((c) => {
            const reference = CATEGORY_REFERENCE[c];
            const price = reference && prices.instances[reference.type];
            if (price === undefined) missing.push(`${region} ${reference?.type ?? `category ${c}`}`);
            return price === undefined ? Number.NaN : price / reference.vcpus;
        });
        if (perVcpu.some(Number.isNaN)) continue;
        const vcpuHour = perVcpu.reduce((a, b) => a + b, 0) / perVcpu.length;
        const vcpus = Number(spec.limits.cpu) * KARPENTER_UTILISATION;
        const onDemand = vcpus * vcpuHour * HOURS_PER_MONTH;
        const spot = (requirement("karpenter.sh/capacity-type") ?? []).every((t) => t === "spot");
        lines.push({
            region,
            item: `Karpenter pool ${inputs(pool).metadata.name}`,
            monthly: spot ? onDemand * (1 - prices.spotDiscount) : onDemand,
            onDemandMonthly: onDemand,
            basis:
                `${(KARPENTER_UTILISATION * 100).toFixed(0)}% of ${spec.limits.cpu} vCPU limit = ${vcpus} vCPU x ${HOURS_PER_MONTH} h x ${unit(vcpuHour)}/vCPU-h (${categories.join("/")} average)` +
                (spot ? `, Spot at ${(prices.spotDiscount * 100).toFixed(0)}% off` : ", on-demand"),
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
export function estimateCost(regions: ReadonlyMap<string, readonly RecordedResource[]>, logs?: LogVolume): CostEstimate {
    const missing: string[] = [];
    const lines: CostLine[] = [];
    for (const [region, resources] of regions) {
        const prices = REGION_PRICES[region];
        if (!prices) {
            missing.push(`${region} (no prices for the region)`);
            continue;
        }
        lines.push(...regionLines(region, resources, prices, missing, logs));
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
            `assumes Karpenter pools run at ${(KARPENTER_UTILISATION * 100).toFixed(0)}% of their CPU limit on average`,
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
        `total ${usd(estimate.total)}/month; all on-demand ${usd(estimate.allOnDemand)}/month (Spot saves ${usd(saving)}, ${estimate.allOnDemand > 0 ? ((saving / estimate.allOnDemand) * 100).toFixed(0) : 0}%)`,
        ...estimate.missing.map((price) => `NOT PRICED: ${price}`),
        ...estimate.assumptions,
    ];
}
