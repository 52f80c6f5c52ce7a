// IAM policies of north-south traffic: the load balancer controller, cert-manager's DNS-01 solver
// and ExternalDNS. Pure builders, unit-tested without a Pulumi runtime.
import { type PolicyDocument, type Scope, type Statement, policyDocument } from "../shared/iam";

/** The tag the load balancer controller writes on everything it creates, with the cluster's name as value. */
export const LBC_CLUSTER_TAG = "elbv2.k8s.aws/cluster";

/**
 * The AWS Load Balancer Controller's policy: upstream's docs/install/iam_policy.json (v3.5.0),
 * narrowed to what a controller that only provisions Network Load Balancers for Services needs
 * (its Ingress and Gateway controllers are off):
 * - its tag condition names this cluster (upstream only requires the tag to exist), so it may
 *   change or delete only load balancers, target groups and security groups this cluster created;
 * - security groups are created and opened only in the cluster's VPC;
 * - ARNs are this account's and region's, NLB only; the ALB-only grants (WAF, Shield, Cognito,
 *   ACM, listener rules and certificates) are left out.
 */
export function loadBalancerControllerPolicy(scope: Scope, args: { cluster: string; vpcId: string }): PolicyDocument {
    const { partition, region, accountId } = scope;
    const elb = (resource: string) => `arn:${partition}:elasticloadbalancing:${region}:${accountId}:${resource}`;
    const securityGroups = `arn:${partition}:ec2:${region}:${accountId}:security-group/*`;
    const vpc = `arn:${partition}:ec2:${region}:${accountId}:vpc/${args.vpcId}`;
    const balancers = [elb("targetgroup/*/*"), elb("loadbalancer/net/*/*")];
    const statements: Statement[] = [
        {
            Sid: "ServiceLinkedRole",
            Effect: "Allow",
            Action: "iam:CreateServiceLinkedRole",
            Resource: "*",
            Condition: { StringEquals: { "iam:AWSServiceName": "elasticloadbalancing.amazonaws.com" } },
        },
        {
            Sid: "Describe",
            Effect: "Allow",
            Action: [
                ...[
                    "DescribeAccountAttributes",
                    "DescribeAddresses",
                    "DescribeAvailabilityZones",
                    "DescribeInternetGateways",
                    "DescribeVpcs",
                    "DescribeVpcPeeringConnections",
                    "DescribeSubnets",
                    "DescribeSecurityGroups",
                    "DescribeInstances",
                    "DescribeNetworkInterfaces",
                    "DescribeTags",
                    "GetCoipPoolUsage",
                    "DescribeCoipPools",
                    "GetSecurityGroupsForVpc",
                    "DescribeIpamPools",
                    "DescribeRouteTables",
                ].map((action) => `ec2:${action}`),
                ...[
                    "DescribeLoadBalancers",
                    "DescribeLoadBalancerAttributes",
                    "DescribeListeners",
                    "DescribeListenerCertificates",
                    "DescribeSSLPolicies",
                    "DescribeRules",
                    "DescribeTargetGroups",
                    "DescribeTargetGroupAttributes",
                    "DescribeTargetHealth",
                    "DescribeTags",
                    "DescribeTrustStores",
                    "DescribeListenerAttributes",
                    "DescribeCapacityReservation",
                ].map((action) => `elasticloadbalancing:${action}`),
            ],
            Resource: "*",
        },
        // Rules on the nodes' security group (the cluster's, which EKS created) admit the load
        // balancer's traffic: any group, but only in the cluster's VPC.
        {
            Sid: "NodeSecurityGroupRules",
            Effect: "Allow",
            Action: ["ec2:AuthorizeSecurityGroupIngress", "ec2:RevokeSecurityGroupIngress"],
            Resource: securityGroups,
            Condition: { ArnEquals: { "ec2:Vpc": vpc } },
        },
        { Sid: "CreateSecurityGroupInVpc", Effect: "Allow", Action: "ec2:CreateSecurityGroup", Resource: vpc },
        ...ownResources("SecurityGroup", {
            resource: securityGroups,
            create: ["ec2:CreateSecurityGroup"],
            tagOnCreate: { action: "ec2:CreateTags", condition: { "ec2:CreateAction": "CreateSecurityGroup" } },
            retag: ["ec2:CreateTags", "ec2:DeleteTags"],
            manage: ["ec2:AuthorizeSecurityGroupIngress", "ec2:RevokeSecurityGroupIngress", "ec2:DeleteSecurityGroup"],
            cluster: args.cluster,
        }),
        ...ownResources("LoadBalancer", {
            resource: balancers,
            create: ["elasticloadbalancing:CreateLoadBalancer", "elasticloadbalancing:CreateTargetGroup"],
            tagOnCreate: {
                action: "elasticloadbalancing:AddTags",
                condition: { "elasticloadbalancing:CreateAction": ["CreateTargetGroup", "CreateLoadBalancer"] },
            },
            retag: ["elasticloadbalancing:AddTags", "elasticloadbalancing:RemoveTags"],
            manage: [
                "elasticloadbalancing:ModifyLoadBalancerAttributes",
                "elasticloadbalancing:SetIpAddressType",
                "elasticloadbalancing:SetSecurityGroups",
                "elasticloadbalancing:SetSubnets",
                "elasticloadbalancing:DeleteLoadBalancer",
                "elasticloadbalancing:ModifyTargetGroup",
                "elasticloadbalancing:ModifyTargetGroupAttributes",
                "elasticloadbalancing:DeleteTargetGroup",
                "elasticloadbalancing:ModifyListenerAttributes",
                "elasticloadbalancing:ModifyCapacityReservation",
                "elasticloadbalancing:ModifyIpPools",
            ],
            cluster: args.cluster,
        }),
        {
            Sid: "Listeners",
            Effect: "Allow",
            Action: [
                "elasticloadbalancing:CreateListener",
                "elasticloadbalancing:DeleteListener",
                "elasticloadbalancing:ModifyListener",
                "elasticloadbalancing:AddTags",
                "elasticloadbalancing:RemoveTags",
            ],
            Resource: [elb("loadbalancer/net/*/*"), elb("listener/net/*/*/*")],
        },
        {
            Sid: "Targets",
            Effect: "Allow",
            Action: ["elasticloadbalancing:RegisterTargets", "elasticloadbalancing:DeregisterTargets"],
            Resource: elb("targetgroup/*/*"),
        },
    ];
    return policyDocument(...statements);
}

/**
 * The grants over one kind of AWS resource the controller creates, as upstream splits them, with
 * this cluster's name in every tag condition: create only with the cluster's tag, tag at creation,
 * retag while keeping the cluster's tag, and change or delete only while the tag is there.
 */
function ownResources(
    kind: string,
    args: {
        resource: string | string[];
        create: string[];
        tagOnCreate: { action: string; condition: Record<string, string | string[]> };
        retag: string[];
        manage: string[];
        cluster: string;
    },
): Statement[] {
    const requestTag = { [`aws:RequestTag/${LBC_CLUSTER_TAG}`]: args.cluster };
    const resourceTag = { [`aws:ResourceTag/${LBC_CLUSTER_TAG}`]: args.cluster };
    const grant = (sid: string, action: string | string[], condition: Statement["Condition"]): Statement => ({
        Sid: `${sid}${kind}`,
        Effect: "Allow",
        Action: action,
        Resource: args.resource,
        Condition: condition,
    });
    return [
        grant("CreateTagged", args.create, { StringEquals: requestTag }),
        grant("TagNew", args.tagOnCreate.action, { StringEquals: { ...args.tagOnCreate.condition, ...requestTag } }),
        grant("RetagOwn", args.retag, { Null: { [`aws:RequestTag/${LBC_CLUSTER_TAG}`]: "true" }, StringEquals: resourceTag }),
        grant("ManageOwn", args.manage, { StringEquals: resourceTag }),
    ];
}

const zoneArn = (partition: string, zoneId: string) => `arn:${partition}:route53:::hostedzone/${zoneId}`;

/**
 * cert-manager's Route 53 DNS-01 solver, as cert-manager documents it
 * (https://cert-manager.io/docs/configuration/acme/dns01/route53/), limited to TXT records named
 * _acme-challenge.<hostname> in the stack's zone: the only challenge a wildcard certificate for
 * *.<hostname> needs. The zone is named in the issuer, so no zone lookup is granted.
 */
export function certManagerPolicy(partition: string, args: { zoneId: string; hostname: string }): PolicyDocument {
    return policyDocument(
        { Sid: "ChallengeProgress", Effect: "Allow", Action: "route53:GetChange", Resource: `arn:${partition}:route53:::change/*` },
        {
            Sid: "ChallengeRecords",
            Effect: "Allow",
            Action: "route53:ChangeResourceRecordSets",
            Resource: zoneArn(partition, args.zoneId),
            Condition: {
                "ForAllValues:StringEquals": {
                    "route53:ChangeResourceRecordSetsRecordTypes": ["TXT"],
                    "route53:ChangeResourceRecordSetsNormalizedRecordNames": [`_acme-challenge.${args.hostname}`],
                },
            },
        },
        { Sid: "ReadZone", Effect: "Allow", Action: "route53:ListResourceRecordSets", Resource: zoneArn(partition, args.zoneId) },
    );
}

/**
 * ExternalDNS on Route 53, as its AWS tutorial documents it (docs/tutorials/aws.md, v0.21), with
 * changes limited to the records of this cluster's hostname in the stack's zone: the apps' A
 * records and the TXT records that say which cluster owns them.
 */
export function externalDnsPolicy(partition: string, args: { zoneId: string; hostname: string }): PolicyDocument {
    return policyDocument(
        {
            Sid: "ClusterRecords",
            Effect: "Allow",
            Action: "route53:ChangeResourceRecordSets",
            Resource: zoneArn(partition, args.zoneId),
            Condition: {
                "ForAllValues:StringLike": {
                    "route53:ChangeResourceRecordSetsNormalizedRecordNames": [args.hostname, `*.${args.hostname}`],
                },
                "ForAllValues:StringEquals": { "route53:ChangeResourceRecordSetsRecordTypes": ["A", "AAAA", "CNAME", "TXT"] },
            },
        },
        {
            Sid: "ReadZone",
            Effect: "Allow",
            Action: ["route53:ListResourceRecordSets", "route53:ListTagsForResources"],
            Resource: zoneArn(partition, args.zoneId),
        },
        // ExternalDNS lists the zones to find the one matching its filter; AWS cannot scope the call.
        { Sid: "FindZone", Effect: "Allow", Action: "route53:ListHostedZones", Resource: "*" },
    );
}
