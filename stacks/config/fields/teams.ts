// Product teams, declared once: their namespaces, what those may use, and who may reach them.
import { z } from "zod";
import { described } from "./common";
import { roleArn } from "./cluster";

/** A Kubernetes namespace name (RFC 1123 label). */
const namespace = z
    .string()
    .regex(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/, "not a namespace name (lowercase letters, digits and -, at most 63)");

/** A Kubernetes quantity such as 500m, 2, 512Mi or 4Gi. */
const quantity = z.string().regex(/^[0-9]+(\.[0-9]+)?(m|Ki|Mi|Gi|Ti)?$/, "not a Kubernetes quantity such as 500m or 512Mi");

const quota = z.strictObject({
    cpu: described(z.number().positive(), "CPU requests the namespace may hold, in cores"),
    memoryGiB: described(z.number().positive(), "Memory requests the namespace may hold, in GiB"),
    pods: described(z.number().int().positive(), "Pods the namespace may run"),
    storageGiB: described(z.number().int().min(0).default(0), "Volume storage the namespace may claim, in GiB"),
    loadBalancers: described(z.number().int().min(0).default(0), "Services of type LoadBalancer"),
});

const limits = z.strictObject({
    defaultRequestCpu: described(quantity.default("100m"), "CPU request of a container that sets none"),
    defaultRequestMemory: described(quantity.default("128Mi"), "Memory request of a container that sets none"),
    defaultLimitMemory: described(quantity.default("512Mi"), "Memory limit of a container that sets none"),
});

const gitRepository = z
    .string()
    .regex(
        /^(git@[\w.-]+:[\w./-]+|https:\/\/[\w.-]+\/[\w./-]+)$/,
        "must be a Git URL such as git@github.com:org/repo.git, without wildcards",
    );

const gitops = z.strictObject({
    repository: described(
        gitRepository,
        "The team's repository: with the GitOps repository's folders of its namespaces, the only source of its Argo CD project",
    ),
    revision: described(z.string().min(1).default("main"), "Branch, tag or commit its applications track"),
    path: described(
        z.string().min(1).default("deploy/{environment}/{region}"),
        "Folder with one subfolder per application, named after the team namespace it deploys to; {environment} and {region} are filled in",
    ),
    groups: described(z.array(z.string().min(1)).default([]), "Identity-provider groups that may sync the team's applications in Argo CD"),
});

export const team = z.strictObject({
    namespaces: described(z.array(namespace).min(1), "The team's namespaces, in every cluster of the stack"),
    quota: described(quota, "ResourceQuota of each of the team's namespaces"),
    limits: described(limits.prefault({}), "LimitRange defaults of each of the team's namespaces"),
    members: described(z.array(roleArn).default([]), "IAM roles of the team's members: AmazonEKSEditPolicy in the team's namespaces only"),
    viewers: described(z.array(roleArn).default([]), "IAM roles that may read the team's namespaces (AmazonEKSViewPolicy there only)"),
    secretsPath: described(
        z
            .string()
            .regex(/^([a-z0-9][a-z0-9_.-]*\/)+$/, 'must be a path of lowercase segments ending in "/", e.g. teams/payments/')
            .optional(),
        "Where the team's secrets live under secrets.prefix; default teams/<team>/. Only the team's store reads it",
    ),
    gitops: described(gitops, "The team's Argo CD project and the applications it deploys"),
    ingressFrom: described(
        z.array(namespace).default([]),
        "Namespaces whose pods may connect to the team's (a gateway, another team); the monitoring namespace always may",
    ),
});
export type TeamSettings = z.output<typeof team>;

/** Team names: they label namespaces and will name IAM roles (checked in rules/teams.ts). */
export const TEAM_NAME = /^[a-z][a-z0-9-]{1,30}[a-z0-9]$/;

export const teams = z.record(z.string(), team);
