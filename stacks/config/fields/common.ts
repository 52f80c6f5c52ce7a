// Field schemas several sections of a stack file share: CIDRs, retention, AWS tags, instance
// types, Kubernetes labels and taints.
import { z } from "zod";
import { LOG_RETENTION_DAYS } from "../catalog";
import { isCidr, parseCidr } from "../cidr";

export const described = <T extends z.ZodType>(schema: T, description: string): T => schema.meta({ description });

export const cidr = z.string().superRefine((text, ctx) => {
    const parsed = parseCidr(text);
    if (!isCidr(parsed)) ctx.addIssue({ code: "custom", message: parsed.error });
});

export const retentionDays = z
    .number()
    .int()
    .refine((days) => (LOG_RETENTION_DAYS as readonly number[]).includes(days), {
        message: `must be a CloudWatch Logs retention period (${LOG_RETENTION_DAYS.join(", ")})`,
    });

/** AWS tag values: letters, digits, spaces and _ . : / = + - @, at most 256 characters. */
export const tagValue = z
    .string()
    .max(256)
    .regex(/^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u, "not a valid AWS tag value");
export const tagKey = z
    .string()
    .min(1)
    .max(128)
    .regex(/^[\p{L}\p{Z}\p{N}_.:/=+\-@]+$/u, "not a valid AWS tag key")
    .refine((key) => !key.toLowerCase().startsWith("aws:"), { message: "tag keys starting with aws: are reserved" });

/**
 * EC2 instance type: family with a generation digit (m7i, c6gn, r7iz, u-6tb1, m7i-flex), then a
 * size (large, 2xlarge, metal, metal-24xl).
 */
const INSTANCE_TYPE = /^[a-z][a-z0-9]*(-[a-z0-9]+)?\.(nano|micro|small|medium|large|\d*xlarge|metal(-\d+xl)?)$/;
export const instanceType = z
    .string()
    .regex(INSTANCE_TYPE, "not an EC2 instance type such as m7i.large")
    .refine((type) => /\d/.test(type.split(".")[0]), { message: "not an EC2 instance type: the family has no generation" });

/** Kubernetes label keys and values (https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/). */
export const labelKey = z
    .string()
    .regex(
        /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/,
        "not a Kubernetes label key",
    );
export const labelValue = z.string().regex(/^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/, "not a Kubernetes label value");

export const taint = z.strictObject({
    key: described(labelKey, "Taint key"),
    value: described(labelValue.optional(), "Taint value"),
    effect: described(z.enum(["NO_SCHEDULE", "NO_EXECUTE", "PREFER_NO_SCHEDULE"]), "Taint effect"),
});

export const size = z.number().int();
