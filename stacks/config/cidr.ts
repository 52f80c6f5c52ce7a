// IPv4 CIDR helpers for validation and subnet layout. Parsing is strict: a block must be written
// in canonical form (four decimal octets, no leading zeros, no host bits set), because the same
// string ends up in AWS APIs, route tables and Cilium settings, where a lenient parse would hide
// a typo.
import * as ipaddr from "ipaddr.js";

export interface Cidr {
    /** The block as written, e.g. "10.20.0.0/16". */
    readonly text: string;
    /** First address as an unsigned 32-bit integer. */
    readonly start: number;
    /** Prefix length, 0..32. */
    readonly prefix: number;
}

const toInt = (address: ipaddr.IPv4): number => address.toByteArray().reduce((acc, octet) => acc * 256 + octet, 0);

const fromInt = (value: number): string =>
    ipaddr.fromByteArray([value >>> 24, (value >>> 16) & 255, (value >>> 8) & 255, value & 255]).toString();

/** Parses a canonical IPv4 CIDR block, or explains why the text is not one. */
export function parseCidr(text: string): Cidr | { error: string } {
    const match = /^([0-9.]+)\/(\d{1,2})$/.exec(text);
    if (!match || !ipaddr.IPv4.isValidFourPartDecimal(match[1])) {
        return { error: "not an IPv4 CIDR block such as 10.0.0.0/16" };
    }
    const prefix = Number(match[2]);
    if (prefix > 32 || String(prefix) !== match[2]) return { error: "prefix length must be 0..32" };
    const network = ipaddr.IPv4.networkAddressFromCIDR(text).toString();
    if (network !== match[1]) return { error: `host bits are set; the block starts at ${network}/${prefix}` };
    return { text, start: toInt(ipaddr.IPv4.parse(match[1])), prefix };
}

export const isCidr = (value: Cidr | { error: string }): value is Cidr => !("error" in value);

export const size = (cidr: Cidr): number => 2 ** (32 - cidr.prefix);

export function overlaps(a: Cidr, b: Cidr): boolean {
    return a.start < b.start + size(b) && b.start < a.start + size(a);
}

/** True when `inner` lies entirely inside `outer`. */
export function contains(outer: Cidr, inner: Cidr): boolean {
    return inner.prefix >= outer.prefix && inner.start >= outer.start && inner.start + size(inner) <= outer.start + size(outer);
}

/**
 * The `index`-th block of `newBits` more prefix bits inside `parent`, like Terraform's
 * `cidrsubnet(parent, newBits, index)`.
 */
export function subnet(parent: Cidr, newBits: number, index: number): Cidr {
    const prefix = parent.prefix + newBits;
    if (prefix > 32 || index < 0 || index >= 2 ** newBits) {
        throw new RangeError(`${parent.text} has no subnet ${index} of ${newBits} extra bits`);
    }
    const start = parent.start + index * 2 ** (32 - prefix);
    return { text: `${fromInt(start)}/${prefix}`, start, prefix };
}

/** RFC 1918 blocks; EKS requires the service range to lie in one of them. */
export const RFC1918 = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"].map((text) => parseCidr(text) as Cidr);

/** Shared address space (RFC 6598), the usual home of VPC secondary ranges for pods. */
export const SHARED_ADDRESS_SPACE = parseCidr("100.64.0.0/10") as Cidr;

/**
 * IPv4 blocks that are not public unicast space: the IANA special-purpose registry (RFC 6890 and
 * its updates) less the globally reachable anycast services.
 */
const NOT_PUBLIC: ReadonlyArray<{ name: string; cidr: Cidr }> = [
    ["this network", "0.0.0.0/8"],
    ["private", "10.0.0.0/8"],
    ["carrier-grade NAT", "100.64.0.0/10"],
    ["loopback", "127.0.0.0/8"],
    ["link-local", "169.254.0.0/16"],
    ["private", "172.16.0.0/12"],
    ["IETF protocol assignments", "192.0.0.0/24"],
    ["documentation", "192.0.2.0/24"],
    ["private", "192.168.0.0/16"],
    ["benchmarking", "198.18.0.0/15"],
    ["documentation", "198.51.100.0/24"],
    ["documentation", "203.0.113.0/24"],
    ["multicast", "224.0.0.0/4"],
    ["reserved", "240.0.0.0/4"],
].map(([name, text]) => ({ name, cidr: parseCidr(text) as Cidr }));

/** The special block a block overlaps (e.g. "private 10.0.0.0/8"), or undefined for public unicast space. */
export function nonPublicRange(cidr: Cidr): string | undefined {
    const hit = NOT_PUBLIC.find((range) => overlaps(cidr, range.cidr));
    return hit && `${hit.name} ${hit.cidr.text}`;
}
