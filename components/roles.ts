import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { type PolicyDocument, managedPolicyArn } from "./policies";

export interface RoleArgs {
    /** Physical role name (from stacks/names), unique per cluster across the account. */
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
    const role = new aws.iam.Role(name, {
        name: args.roleName,
        description: args.description,
        assumeRolePolicy: pulumi.output(args.trust).apply((doc) => JSON.stringify(doc)),
        tags: args.tags,
    }, { parent });
    const grants: pulumi.Resource[] = (args.managedPolicies ?? []).map((policy) => new aws.iam.RolePolicyAttachment(`${name}-${policy.split("/").pop()}`, {
        role: role.name,
        policyArn: managedPolicyArn(args.partition, policy),
    }, { parent }));
    for (const [policyName, policy] of Object.entries(args.policies ?? {})) {
        grants.push(new aws.iam.RolePolicy(`${name}-${policyName}`, {
            role: role.id,
            name: policyName,
            policy: pulumi.output(policy).apply((doc) => JSON.stringify(doc)),
        }, { parent }));
    }
    return { role, grants };
}
