// Rules across regions and their networks: distinct regions and Cilium cluster IDs, VPC and
// service ranges that are private and never overlap, zones and existing subnets.
import { CILIUM_CLUSTER_ID, REGIONS } from "../catalog";
import { type Cidr, contains, overlaps, parseCidr, RFC1918, SHARED_ADDRESS_SPACE } from "../cidr";
import { MAX_ZONES, VPC_PREFIX } from "../layout";
import { at, type IndexedRegion, type ParsedSettings, type Problem, show } from "../problems";

export function regionProblems(regions: readonly IndexedRegion[]): Problem[] {
    const problems: Problem[] = [];
    const seen = new Map<string, number>();
    const ids = new Map<number, number>();
    for (const { index, region } of regions) {
        if (region.region !== undefined) {
            if (!(region.region in REGIONS)) {
                problems.push({ path: at(index, "region"), message: `${show(region.region)} is not an AWS commercial region` });
            }
            const first = seen.get(region.region);
            if (first !== undefined)
                problems.push({ path: at(index, "region"), message: `${show(region.region)} is already ${at(first, "region")}` });
            else seen.set(region.region, index);
        }
        const id = region.ciliumClusterId;
        if (id !== undefined) {
            if (id < CILIUM_CLUSTER_ID.min || id > CILIUM_CLUSTER_ID.max) {
                problems.push({
                    path: at(index, "ciliumClusterId"),
                    message: `${id} is outside ${CILIUM_CLUSTER_ID.min}..${CILIUM_CLUSTER_ID.max} (Cilium refuses 128..255 in ENI mode)`,
                });
            }
            const owner = ids.get(id);
            if (owner !== undefined)
                problems.push({ path: at(index, "ciliumClusterId"), message: `${id} is already used by ${at(owner, "ciliumClusterId")}` });
            else ids.set(id, index);
        }
    }
    return problems;
}

export function networkProblems(settings: ParsedSettings, regions: readonly IndexedRegion[]): Problem[] {
    const problems: Problem[] = [];
    const network = settings.network ?? {};
    const vpcs: Array<{ path: string; cidr: Cidr }> = [];
    const services: Array<{ path: string; cidr: Cidr }> = [];

    for (const { index, region } of regions) {
        if (region.vpcCidr !== undefined) {
            const vpc = parseCidr(region.vpcCidr) as Cidr;
            const path = at(index, "vpcCidr");
            if (!region.existingVpc && (vpc.prefix < VPC_PREFIX.largest || vpc.prefix > VPC_PREFIX.smallest)) {
                problems.push({
                    path,
                    message: `${show(vpc.text)} must be a /${VPC_PREFIX.largest} to /${VPC_PREFIX.smallest}: pods take their addresses from the VPC`,
                });
            }
            if (![...RFC1918, SHARED_ADDRESS_SPACE].some((block) => contains(block, vpc))) {
                problems.push({ path, message: `${show(vpc.text)} is not a private range (RFC 1918 or 100.64.0.0/10)` });
            }
            for (const other of vpcs) {
                if (overlaps(vpc, other.cidr)) problems.push({ path, message: `${vpc.text} overlaps ${other.path} ${other.cidr.text}` });
            }
            vpcs.push({ path, cidr: vpc });
        }
        if (region.serviceCidr !== undefined) {
            const service = parseCidr(region.serviceCidr) as Cidr;
            const path = at(index, "serviceCidr");
            if (!RFC1918.some((block) => contains(block, service))) {
                problems.push({ path, message: `${show(service.text)} must lie in 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16 (EKS)` });
            }
            if (service.prefix < 12 || service.prefix > 24)
                problems.push({ path, message: `${show(service.text)} must be a /12 to /24 (EKS)` });
            for (const other of services) {
                if (overlaps(service, other.cidr))
                    problems.push({ path, message: `${service.text} overlaps ${other.path} ${other.cidr.text}` });
            }
            services.push({ path, cidr: service });
        }

        const existing = region.existingVpc;
        const zones = existing ? existing.privateSubnetIds?.length : (region.availabilityZones ?? network.availabilityZones);
        const zonePath = existing
            ? at(index, "existingVpc", "privateSubnetIds")
            : region.availabilityZones !== undefined
              ? at(index, "availabilityZones")
              : "network.availabilityZones";
        const place = region.region ?? `regions[${index}]`;
        if (zones !== undefined && network.minAvailabilityZones !== undefined && zones < network.minAvailabilityZones) {
            problems.push({
                path: zonePath,
                message: `${zones} Availability Zone(s) in ${place}; the stack requires at least ${network.minAvailabilityZones} (network.minAvailabilityZones)`,
            });
        }
        const available = region.region !== undefined ? REGIONS[region.region] : undefined;
        if (!existing && zones !== undefined && available !== undefined && zones > Math.min(available, MAX_ZONES)) {
            problems.push({ path: zonePath, message: `${zones} Availability Zones requested; EKS can use ${available} in ${place}` });
        }
        if (existing) {
            const ids = [...(existing.privateSubnetIds ?? []), ...(existing.publicSubnetIds ?? [])];
            const duplicate = ids.find((id, i) => ids.indexOf(id) !== i);
            if (duplicate) problems.push({ path: at(index, "existingVpc"), message: `subnet ${duplicate} is listed twice` });
        }
    }
    // Service addresses are virtual, but a range that is also routed in a VPC of the stack (which
    // a later peering or ClusterMesh connects) makes those addresses unreachable from pods.
    for (const service of services) {
        for (const vpc of vpcs) {
            if (overlaps(service.cidr, vpc.cidr))
                problems.push({ path: service.path, message: `${service.cidr.text} overlaps ${vpc.path} ${vpc.cidr.text}` });
        }
    }
    return problems;
}
