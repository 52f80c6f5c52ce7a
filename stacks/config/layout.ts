// Subnet layout of a created VPC. Pods take VPC addresses (Cilium ENI mode), so almost all of
// the range goes to the private subnets: the VPC is cut into eight blocks, zone i gets block i
// as its private subnet, and the last block is cut into small public subnets that hold only NAT
// gateways and load balancers. Indices are fixed per zone, so adding a zone later never moves
// an existing subnet.
import { type Cidr, parseCidr, subnet } from "./cidr";

/** VPC prefixes the layout supports: /16 gives /19 private subnets (8187 pod and node IPs each), /19 gives /22. */
export const VPC_PREFIX = { largest: 16, smallest: 19 } as const;
export const MAX_ZONES = 6;

const PRIVATE_BITS = 3;
const PUBLIC_BITS = 8;
const PUBLIC_FIRST_INDEX = 7 << (PUBLIC_BITS - PRIVATE_BITS);

export interface SubnetLayout {
    readonly private: readonly string[];
    readonly public: readonly string[];
}

export function subnetLayout(vpcCidr: string, zones: number): SubnetLayout {
    const vpc = parseCidr(vpcCidr) as Cidr;
    if (!("start" in vpc) || vpc.prefix < VPC_PREFIX.largest || vpc.prefix > VPC_PREFIX.smallest || zones > MAX_ZONES) {
        throw new RangeError(`no subnet layout for ${vpcCidr} across ${zones} zones`);
    }
    const indices = [...Array(zones).keys()];
    return {
        private: indices.map((i) => subnet(vpc, PRIVATE_BITS, i).text),
        public: indices.map((i) => subnet(vpc, PUBLIC_BITS, PUBLIC_FIRST_INDEX + i).text),
    };
}
