import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { PARTITION } from "../../stacks/config/catalog";
import type { ClusterHandle } from "./cluster-handle";
import { type PolicyDocument, managedPolicyArn, podIdentityTrustPolicy } from "./iam";

export interface RoleArgs {
    /** Physical role name (from stacks/config/names), unique per cluster across the account. */
    readonly roleName: string;
    readonly description: string;
    readonly trust: pulumi.Input<PolicyDocument>;
    /** Inline policies by name, for permissions scoped to this cluster's resources. */
    readonly policies?: Readonly<Record<string, pulumi.Input<PolicyDocument>>>;
    /** AWS managed policies by name, e.g. "AmazonEKSClusterPolicy" or "service-role/AmazonEBSCSIDriverPolicy". */
    readonly managedPolicies?: readonly string[];
    readonly partition: string;
    readonly tags: Readonly<Record<string, string>>;
}

export interface Role {
    readonly role: aws.iam.Role;
    /** The role's permissions: wait for these before anything assumes the role. */
    readonly grants: pulumi.Resource[];
}

/** An IAM role with its trust policy, an optional inline policy and managed policy attachments. */
export function createRole(name: string, args: RoleArgs, parent: pulumi.Resource): Role {
    const role = new aws.iam.Role(
        name,
        {
            name: args.roleName,
            description: args.description,
            assumeRolePolicy: pulumi.output(args.trust).apply((doc) => JSON.stringify(doc)),
            tags: args.tags,
        },
        { parent },
    );
    const grants: pulumi.Resource[] = (args.managedPolicies ?? []).map(
        (policy) =>
            new aws.iam.RolePolicyAttachment(
                `${name}-${policy.split("/").pop()}`,
                {
                    role: role.name,
                    policyArn: managedPolicyArn(args.partition, policy),
                },
                { parent },
            ),
    );
    for (const [policyName, policy] of Object.entries(args.policies ?? {})) {
        grants.push(
            new aws.iam.RolePolicy(
                `${name}-${policyName}`,
                {
                    role: role.id,
                    name: policyName,
                    policy: pulumi.output(policy).apply((doc) => JSON.stringify(doc)),
                },
                { parent },
            ),
        );
    }
    return { role, grants };
}

export interface WorkloadRoleArgs {
    readonly cluster: ClusterHandle;
    readonly roleName: string;
    readonly description: string;
    /** The service account the role is bound to. */
    readonly namespace: string;
    readonly serviceAccount: string;
    readonly policies?: RoleArgs["policies"];
    readonly managedPolicies?: RoleArgs["managedPolicies"];
}

export interface WorkloadRole extends Role {
    /** The binding: pods get credentials only if it exists when they start. */
    readonly association: aws.eks.PodIdentityAssociation;
}

/**
 * An IAM role for one service account of the cluster, bound by EKS Pod Identity and assumable
 * by no other cluster.
 */
export function createWorkloadRole(name: string, args: WorkloadRoleArgs, parent: pulumi.Resource): WorkloadRole {
    const { cluster } = args;
    const role = createRole(
        name,
        {
            roleName: args.roleName,
            description: args.description,
            trust: cluster.scope.apply((s) => podIdentityTrustPolicy(s, cluster.name)),
            policies: args.policies,
            managedPolicies: args.managedPolicies,
            partition: PARTITION,
            tags: cluster.tags,
        },
        parent,
    );
    const association = new aws.eks.PodIdentityAssociation(
        name,
        {
            clusterName: cluster.createdName,
            namespace: args.namespace,
            serviceAccount: args.serviceAccount,
            roleArn: role.role.arn,
            tags: cluster.tags,
        },
        { parent },
    );
    return { ...role, association };
}
