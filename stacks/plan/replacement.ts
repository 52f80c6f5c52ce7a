// Which input changes replace a resource rather than update it in place, for the resource types
// the program registers, as the providers' schemas declare them (Terraform's ForceNew, which
// pulumi-aws bridges; Kubernetes identity fields). A path matches itself and everything under it.
// Types not listed here update in place.

export interface ReplacementRule {
    /** Input paths (dot-separated, as the change set names them) whose change forces replacement. */
    readonly paths: readonly string[];
    /** Where the rule comes from. */
    readonly source: string;
}

const tf = (resource: string, file: string) =>
    `terraform-provider-aws ${resource} (internal/service/${file}, ForceNew), bridged by pulumi-aws 7`;

export const REPLACEMENT_RULES: Readonly<Record<string, ReplacementRule>> = {
    "aws:ec2/vpc:Vpc": { paths: ["cidrBlock", "instanceTenancy"], source: tf("aws_vpc", "ec2/vpc_.go") },
    "aws:ec2/subnet:Subnet": {
        paths: ["vpcId", "cidrBlock", "availabilityZone", "availabilityZoneId"],
        source: tf("aws_subnet", "ec2/vpc_subnet.go"),
    },
    "aws:ec2/routeTable:RouteTable": { paths: ["vpcId"], source: tf("aws_route_table", "ec2/vpc_route_table.go") },
    "aws:ec2/routeTableAssociation:RouteTableAssociation": {
        paths: ["subnetId", "gatewayId"],
        source: tf("aws_route_table_association", "ec2/vpc_route_table_association.go"),
    },
    "aws:ec2/natGateway:NatGateway": {
        paths: ["subnetId", "allocationId", "connectivityType"],
        source: tf("aws_nat_gateway", "ec2/vpc_nat_gateway.go"),
    },
    "aws:ec2/securityGroup:SecurityGroup": {
        paths: ["vpcId", "name", "description"],
        source: tf("aws_security_group", "ec2/vpc_security_group.go"),
    },
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": {
        paths: ["vpcId"],
        source: tf("aws_default_security_group", "ec2/vpc_default_security_group.go"),
    },
    "aws:ec2/flowLog:FlowLog": { paths: ["vpcId", "logDestination", "trafficType"], source: tf("aws_flow_log", "ec2/vpc_flow_log.go") },
    "aws:ec2/vpcEndpoint:VpcEndpoint": {
        paths: ["vpcId", "serviceName", "vpcEndpointType"],
        source: tf("aws_vpc_endpoint", "ec2/vpc_endpoint.go"),
    },
    "aws:ec2/launchTemplate:LaunchTemplate": { paths: ["name"], source: tf("aws_launch_template", "ec2/ec2_launch_template.go") },
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": {
        paths: ["securityGroupId"],
        source: tf("aws_vpc_security_group_ingress_rule", "ec2/vpc_security_group_ingress_rule.go"),
    },
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": {
        paths: ["securityGroupId"],
        source: tf("aws_vpc_security_group_egress_rule", "ec2/vpc_security_group_egress_rule.go"),
    },
    "aws:kms/key:Key": { paths: ["customerMasterKeySpec", "keySpec", "keyUsage", "multiRegion"], source: tf("aws_kms_key", "kms/key.go") },
    "aws:kms/alias:Alias": { paths: ["name"], source: tf("aws_kms_alias", "kms/alias.go") },
    "aws:s3/bucket:Bucket": { paths: ["bucket", "bucketPrefix"], source: tf("aws_s3_bucket", "s3/bucket.go") },
    "aws:iam/role:Role": { paths: ["name", "namePrefix", "path"], source: tf("aws_iam_role", "iam/role.go") },
    "aws:iam/rolePolicy:RolePolicy": { paths: ["name", "role"], source: tf("aws_iam_role_policy", "iam/role_policy.go") },
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": {
        paths: ["role", "policyArn"],
        source: tf("aws_iam_role_policy_attachment", "iam/role_policy_attachment.go"),
    },
    "aws:cloudwatch/logGroup:LogGroup": { paths: ["name", "namePrefix"], source: tf("aws_cloudwatch_log_group", "logs/group.go") },
    "aws:eks/nodeGroup:NodeGroup": {
        paths: ["clusterName", "nodeGroupName", "subnetIds", "amiType", "capacityType", "diskSize", "instanceTypes", "nodeRoleArn"],
        source: tf("aws_eks_node_group", "eks/node_group.go"),
    },
    "aws:eks/addon:Addon": { paths: ["addonName", "clusterName"], source: tf("aws_eks_addon", "eks/addon.go") },
    "aws:eks/accessEntry:AccessEntry": {
        paths: ["clusterName", "principalArn", "type"],
        source: tf("aws_eks_access_entry", "eks/access_entry.go"),
    },
    "aws:eks/podIdentityAssociation:PodIdentityAssociation": {
        paths: ["clusterName", "namespace", "serviceAccount"],
        source: tf("aws_eks_pod_identity_association", "eks/pod_identity_association.go"),
    },
    "aws:sqs/queue:Queue": { paths: ["name", "fifoQueue"], source: tf("aws_sqs_queue", "sqs/queue.go") },
    "aws:cloudwatch/eventRule:EventRule": { paths: ["name", "eventBusName"], source: tf("aws_cloudwatch_event_rule", "events/rule.go") },
    // An EKS cluster cannot move to another VPC, be renamed or change its service range
    // (EKS CreateCluster: name, resourcesVpcConfig's VPC, kubernetesNetworkConfig are fixed).
    "eks:index:Cluster": {
        paths: ["name", "vpcId", "kubernetesServiceIpAddressRange", "clusterSecurityGroup"],
        source: "Amazon EKS API, CreateCluster/UpdateClusterConfig: name, VPC and service CIDR cannot be updated",
    },
    // A Helm release is identified by its name and namespace (pulumi-kubernetes helm.v3.Release).
    "kubernetes:helm.sh/v3:Release": {
        paths: ["name", "namespace"],
        source: "pulumi-kubernetes helm.v3.Release: name and namespace replace",
    },
};

/** Every Kubernetes object is identified by its name and namespace (and kind): changing them replaces it. */
const KUBERNETES_IDENTITY: ReplacementRule = {
    paths: ["metadata.name", "metadata.namespace", "apiVersion", "kind"],
    source: "Kubernetes API: an object's name, namespace and kind cannot change (pulumi-kubernetes replaces)",
};

export function replacementRule(type: string): ReplacementRule | undefined {
    return REPLACEMENT_RULES[type] ?? (type.startsWith("kubernetes:") ? KUBERNETES_IDENTITY : undefined);
}

/** The changed paths that force replacement under `rule`. */
export function forcingPaths(rule: ReplacementRule | undefined, changed: readonly string[]): string[] {
    if (!rule) return [];
    return changed.filter((path) => rule.paths.some((p) => path === p || path.startsWith(`${p}.`) || path.startsWith(`${p}[`)));
}
