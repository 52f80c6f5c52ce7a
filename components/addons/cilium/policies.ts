// IAM documents of Cilium: the operator manages ENIs in ENI IPAM mode.
import { type PolicyDocument, type Scope, policyDocument } from "../../shared/iam";

/** Tags Cilium puts on every ENI it creates (operator ENI garbage-collection tags). */
export const CILIUM_ENI_CLUSTER_TAG = "io.cilium/cluster-name";

/**
 * The Cilium operator in ENI IPAM mode. Actions from Cilium's required-privileges list
 * (https://docs.cilium.io/en/stable/network/concepts/ipam/eni/#required-privileges), scoped:
 * - new ENIs must carry this cluster's Cilium tag, in this VPC's subnets and security groups;
 * - ENIs are attached, modified and deleted only when they carry that tag;
 * - IPs are assigned and released on any ENI of this VPC, because the operator also uses each
 *   node's primary ENI (eth0), which Cilium did not create and did not tag;
 * - Describe calls cannot be scoped to resources and are limited to the region.
 * No DescribeTags: cluster.name is set, so the operator never looks its cluster up.
 */
export function ciliumOperatorPolicy(scope: Scope, args: { vpcId: string; cluster: string }): PolicyDocument {
    const ec2 = (resource: string) => `arn:${scope.partition}:ec2:${scope.region}:${scope.accountId}:${resource}`;
    const inVpc = { ArnEquals: { "ec2:Vpc": ec2(`vpc/${args.vpcId}`) } };
    const tagged = { StringEquals: { [`aws:ResourceTag/${CILIUM_ENI_CLUSTER_TAG}`]: args.cluster } };
    return policyDocument(
        {
            Sid: "DescribeNetworkInRegion",
            Effect: "Allow",
            Action: [
                "ec2:DescribeInstanceTypes",
                "ec2:DescribeNetworkInterfaces",
                "ec2:DescribeSubnets",
                "ec2:DescribeVpcs",
                "ec2:DescribeRouteTables",
                "ec2:DescribeSecurityGroups",
                "ec2:DescribeManagedPrefixLists",
                "ec2:GetManagedPrefixListEntries",
            ],
            Resource: "*",
            Condition: { StringEquals: { "aws:RequestedRegion": scope.region } },
        },
        {
            Sid: "CreateEniInClusterVpc",
            Effect: "Allow",
            Action: "ec2:CreateNetworkInterface",
            Resource: [ec2("subnet/*"), ec2("security-group/*")],
            Condition: inVpc,
        },
        {
            Sid: "CreateEniTaggedForCluster",
            Effect: "Allow",
            Action: "ec2:CreateNetworkInterface",
            Resource: ec2("network-interface/*"),
            Condition: { StringEquals: { [`aws:RequestTag/${CILIUM_ENI_CLUSTER_TAG}`]: args.cluster } },
        },
        {
            Sid: "TagEniOnCreate",
            Effect: "Allow",
            Action: "ec2:CreateTags",
            Resource: ec2("network-interface/*"),
            Condition: { StringEquals: { "ec2:CreateAction": "CreateNetworkInterface" } },
        },
        {
            Sid: "ManageClusterEnis",
            Effect: "Allow",
            Action: ["ec2:AttachNetworkInterface", "ec2:DeleteNetworkInterface", "ec2:ModifyNetworkInterfaceAttribute"],
            Resource: ec2("network-interface/*"),
            Condition: tagged,
        },
        {
            Sid: "AttachToInstances",
            Effect: "Allow",
            Action: "ec2:AttachNetworkInterface",
            Resource: ec2("instance/*"),
        },
        {
            Sid: "AssignPodIpsInClusterVpc",
            Effect: "Allow",
            Action: ["ec2:AssignPrivateIpAddresses", "ec2:UnassignPrivateIpAddresses"],
            Resource: ec2("network-interface/*"),
            Condition: inVpc,
        },
    );
}
