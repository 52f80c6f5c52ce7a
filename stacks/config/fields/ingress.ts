// North-south traffic: the DNS names each cluster serves, its load balancer and its certificates.
import { z } from "zod";
import { cidr, described } from "./common";

/** A lowercase DNS name of at least two labels, without a trailing dot. */
export const dnsName = z
    .string()
    .max(253)
    .regex(/^([a-z0-9]([-a-z0-9]*[a-z0-9])?\.)+[a-z]([-a-z0-9]*[a-z0-9])?$/, "must be a lowercase DNS name such as platform.example.com");

export const ingress = z.strictObject({
    domain: described(dnsName, "DNS domain of the stack; each region's hostname lies under it"),
    hostedZoneId: described(
        z.string().regex(/^Z[A-Z0-9]{1,31}$/, "must be a Route 53 hosted zone ID such as Z0123456789ABCDEFGHIJ"),
        "Public Route 53 hosted zone of the domain: ExternalDNS writes the records and cert-manager answers DNS-01 challenges in it, nowhere else",
    ),
    hostnames: described(
        z.record(z.string(), dnsName).default({}),
        "Per-region hostname, by region; default <region>.<domain>. The region's apps are served at <app>.<hostname>",
    ),
    scheme: described(
        z.enum(["internal", "internet-facing"]).default("internal"),
        "The Network Load Balancer in front of each cluster's Gateway: internal (private subnets) or internet-facing (public subnets)",
    ),
    allowedCidrs: described(
        z.array(cidr).min(1, "name the networks that may reach the load balancer"),
        "Source CIDRs the load balancer admits: private ranges only when internal, public ranges only when internet-facing",
    ),
    certificates: described(
        z.strictObject({
            email: described(
                z.string().regex(/^[^\s@]+@[^\s@]+\.[^\s@]+$/, "must be an e-mail address"),
                "Contact of the ACME account (expiry and revocation notices)",
            ),
            server: described(
                z
                    .string()
                    .regex(/^https:\/\/[a-z0-9.-]+(:\d+)?\/\S*$/, "must be an https:// ACME directory URL")
                    .default("https://acme-v02.api.letsencrypt.org/directory"),
                "ACME directory cert-manager issues from (Let's Encrypt production by default)",
            ),
        }),
        "Each region's wildcard certificate, issued by cert-manager through ACME DNS-01 challenges in the hosted zone",
    ),
});
