// The version lock: every version a stack runs, exact (no ranges, no latest).
import { z } from "zod";
import { ADDONS, CHARTS } from "../catalog";
import { described } from "./common";

/** A container image with an explicit tag (never latest) or digest. */
const image = z
    .string()
    .regex(
        /^([a-z0-9.-]+(:\d+)?\/)?[a-z0-9._/-]+(:[A-Za-z0-9._-]+|@sha256:[a-f0-9]{64})$/,
        "must be an image with a tag or digest, e.g. velero/velero-plugin-for-aws:v1.14.0",
    )
    .refine((ref) => !ref.endsWith(":latest"), { message: "must not use the latest tag" });

const exactVersion = described(
    z.string().regex(/^v?\d+\.\d+\.\d+$/, "must be an exact chart version such as 1.20.0 (no ranges, no latest)"),
    "Exact chart version, spelled as its repository publishes it (cert-manager's start with v)",
);
const addonVersion = described(
    z.string().regex(/^v\d+\.\d+\.\d+-eksbuild\.\d+$/, "must be an exact EKS add-on version such as v1.14.3-eksbuild.3"),
    "Exact EKS add-on version",
);

export const versions = z.strictObject({
    kubernetes: described(
        z
            .string({
                error: (issue) =>
                    issue.input === undefined
                        ? "required"
                        : `must be a quoted string such as "1.35"; YAML reads an unquoted ${String(issue.input)} as a number`,
            })
            .regex(/^1\.\d{2}$/, 'must be a Kubernetes minor such as "1.35"'),
        'Kubernetes minor of the control plane and nodes, quoted ("1.35")',
    ),
    nodeAmiRelease: described(
        z.string().regex(/^1\.\d{2}\.\d+-\d{8}$/, "must be an EKS AL2023 AMI release such as 1.35.6-20260714"),
        "EKS-optimized AL2023 AMI release, e.g. 1.35.6-20260714 (Kubernetes patch, build date): managed node groups and Karpenter's al2023 nodes",
    ),
    gatewayApi: described(
        z.string().regex(/^v\d+\.\d+\.\d+$/, "must be a Gateway API release such as v1.5.1"),
        "Gateway API release whose standard-channel CRDs every cluster installs, before Cilium (its implementation)",
    ),
    images: described(
        z.strictObject({
            veleroAwsPlugin: described(image, "Velero's AWS plugin image"),
            restoreDrill: described(
                z
                    .string()
                    .regex(
                        /^docker\.io\/[a-z0-9._/-]+:[\w.-]+@sha256:[0-9a-f]{64}$/,
                        "must be a Docker Hub image with its tag, pinned by digest, e.g. docker.io/alpine/k8s:1.35.0@sha256:<64 hex digits>",
                    ),
                "Image of the restore drill job, a shell with kubectl and jq: a Docker Hub image pinned by digest, which nodes pull through the region's ECR pull-through cache",
            ),
        }),
        "Images the platform runs directly, not through a chart's defaults",
    ),
    bottlerocketRelease: described(
        z
            .string()
            .regex(/^\d+\.\d+\.\d+$/, "must be a Bottlerocket release such as 1.49.0")
            .optional(),
        "Bottlerocket release of Karpenter's bottlerocket node classes",
    ),
    charts: described(
        z.strictObject(
            Object.fromEntries(Object.keys(CHARTS).map((name) => [name, exactVersion])) as Record<keyof typeof CHARTS, typeof exactVersion>,
        ),
        `Exact Helm chart versions: ${Object.keys(CHARTS).join(", ")}`,
    ),
    addons: described(
        z.strictObject(
            Object.fromEntries(ADDONS.map((name) => [name, addonVersion])) as Record<(typeof ADDONS)[number], typeof addonVersion>,
        ),
        `Exact EKS add-on versions: ${ADDONS.join(", ")}`,
    ),
});
