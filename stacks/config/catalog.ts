// Upstream facts the platform depends on, in one place, each with its source. Versions are not
// here: every pinned version lives in the stack file's `versions` block.

/**
 * Kubernetes minors a stack may pin. The oldest is the oldest minor Amazon EKS still serves whose
 * extended support outlasts the next two quarters; the newest is the newest minor with a
 * published EKS end-of-support date that the pinned Cilium and Karpenter releases are tested
 * against. Sources: EKS Kubernetes version calendar
 * (https://docs.aws.amazon.com/eks/latest/userguide/kubernetes-versions.html), Cilium
 * Kubernetes compatibility page, Karpenter compatibility matrix.
 */
export const KUBERNETES_WINDOW = { oldest: "1.33", newest: "1.36" } as const;

/**
 * AWS commercial regions with the number of Availability Zones an EKS cluster can use: the
 * region's zones minus the zone IDs where EKS does not place control-plane ENIs (use1-az3 in
 * us-east-1, usw1-az2 in us-west-1) and, for us-west-1, the zone newer accounts cannot see.
 * Sources: botocore partitions.json; EKS network requirements
 * (https://docs.aws.amazon.com/eks/latest/userguide/network-reqs.html).
 */
export const REGIONS: Readonly<Record<string, number>> = {
    "af-south-1": 3,
    "ap-east-1": 3,
    "ap-east-2": 3,
    "ap-northeast-1": 4,
    "ap-northeast-2": 4,
    "ap-northeast-3": 3,
    "ap-south-1": 3,
    "ap-south-2": 3,
    "ap-southeast-1": 3,
    "ap-southeast-2": 3,
    "ap-southeast-3": 3,
    "ap-southeast-4": 3,
    "ap-southeast-5": 3,
    "ap-southeast-6": 3,
    "ap-southeast-7": 3,
    "ca-central-1": 3,
    "ca-west-1": 3,
    "eu-central-1": 3,
    "eu-central-2": 3,
    "eu-north-1": 3,
    "eu-south-1": 3,
    "eu-south-2": 3,
    "eu-west-1": 3,
    "eu-west-2": 3,
    "eu-west-3": 3,
    "il-central-1": 3,
    "me-central-1": 3,
    "me-south-1": 3,
    "mx-central-1": 3,
    "sa-east-1": 3,
    "us-east-1": 5,
    "us-east-2": 3,
    "us-west-1": 2,
    "us-west-2": 4,
};

/** The partition of every region above. */
export const PARTITION = "aws";

/** Zone IDs where EKS does not allow cluster subnets; excluded when zones are picked. */
export const EKS_UNSUPPORTED_ZONE_IDS = ["use1-az3", "usw1-az2", "cac1-az3"] as const;

/**
 * Helm charts the platform installs: where each comes from. Versions are in the stack file, one
 * per entry here; charts released together (a chart and its CRD chart) share that version.
 */
export const CHARTS = {
    cilium: { repository: "https://helm.cilium.io", charts: ["cilium"] },
    karpenter: { repository: "oci://public.ecr.aws/karpenter", charts: ["karpenter-crd", "karpenter"] },
    "external-secrets": { repository: "https://charts.external-secrets.io", charts: ["external-secrets"] },
    "argo-cd": { repository: "https://argoproj.github.io/argo-helm", charts: ["argo-cd"] },
    kyverno: { repository: "https://kyverno.github.io/kyverno", charts: ["kyverno", "kyverno-policies"] },
    "prometheus-operator-crds": { repository: "https://prometheus-community.github.io/helm-charts", charts: ["prometheus-operator-crds"] },
    "kube-prometheus-stack": { repository: "https://prometheus-community.github.io/helm-charts", charts: ["kube-prometheus-stack"] },
    velero: { repository: "https://vmware-tanzu.github.io/helm-charts", charts: ["velero"] },
    "aws-load-balancer-controller": { repository: "https://aws.github.io/eks-charts", charts: ["aws-load-balancer-controller"] },
    "cert-manager": { repository: "https://charts.jetstack.io", charts: ["cert-manager"] },
    "external-dns": { repository: "https://kubernetes-sigs.github.io/external-dns", charts: ["external-dns"] },
    vector: { repository: "https://helm.vector.dev", charts: ["vector"] },
    loki: { repository: "https://grafana.github.io/helm-charts", charts: ["loki"] },
    "nvidia-device-plugin": { repository: "https://nvidia.github.io/k8s-device-plugin", charts: ["nvidia-device-plugin"] },
} as const;
export type ChartName = keyof typeof CHARTS;

/** What a Helm release needs to fetch a chart: OCI charts by full reference, others from their repository. */
export function chartSource(name: ChartName, chart: string): { chart: string; repositoryOpts?: { repo: string } } {
    const { repository } = CHARTS[name];
    return repository.startsWith("oci://") ? { chart: `${repository}/${chart}` } : { chart, repositoryOpts: { repo: repository } };
}

/**
 * Kubernetes minors each chart release line supports, for the charts whose upstream publishes a
 * support range: a lock pairing Kubernetes with a release outside its range is refused. A release
 * line missing here is refused too, until its row is added from the source.
 */
export const KUBERNETES_SUPPORT: Partial<
    Record<
        ChartName,
        { readonly source: string; readonly releases: Readonly<Record<string, { readonly min: string; readonly max: string }>> }
    >
> = {
    // https://karpenter.sh/docs/upgrading/compatibility/, generated from
    // hack/docs/compatibilitymatrix_gen/compatibility.yaml in aws/karpenter-provider-aws (v1.14.1).
    karpenter: {
        source: "https://karpenter.sh/docs/upgrading/compatibility/",
        releases: {
            "1.5": { min: "1.26", max: "1.33" },
            "1.6": { min: "1.26", max: "1.34" },
            "1.7": { min: "1.26", max: "1.34" },
            "1.8": { min: "1.26", max: "1.34" },
            "1.9": { min: "1.26", max: "1.35" },
            "1.10": { min: "1.26", max: "1.35" },
            "1.11": { min: "1.26", max: "1.35" },
            "1.12": { min: "1.26", max: "1.35" },
            "1.13": { min: "1.26", max: "1.36" },
            "1.14": { min: "1.26", max: "1.36" },
        },
    },
};

/** EKS managed add-ons the platform installs. Versions are in the stack file. */
export const ADDONS = ["coredns", "eks-pod-identity-agent", "aws-ebs-csi-driver", "snapshot-controller"] as const;
export type AddonName = (typeof ADDONS)[number];

/** Retention periods CloudWatch Logs accepts (PutRetentionPolicy). */
export const LOG_RETENTION_DAYS = [
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

/**
 * EC2 instance sizes Karpenter pools may use, with their vCPUs. Used to check that a pool's limits
 * admit at least one node.
 */
export const INSTANCE_SIZES: Readonly<Record<string, number>> = {
    medium: 1,
    large: 2,
    xlarge: 4,
    "2xlarge": 8,
    "4xlarge": 16,
    "8xlarge": 32,
    "12xlarge": 48,
    "16xlarge": 64,
    "24xlarge": 96,
    "32xlarge": 128,
    "48xlarge": 192,
};
/**
 * EC2 instance categories a Karpenter pool may name (the `karpenter.k8s.aws/instance-category`
 * label: the letters before the generation, c7i -> c), with the least memory per vCPU of their
 * current families, in GiB (used to check that a pool's limits admit at least one node). Other
 * accelerators (Inferentia, Trainium, Gaudi, FPGA) are left out: their device plugins are not
 * part of the platform.
 * Source: EC2 instance types (https://aws.amazon.com/ec2/instance-types/).
 */
export const INSTANCE_CATEGORIES = {
    c: { purpose: "compute optimised", memoryPerVcpuGiB: 2 },
    m: { purpose: "general purpose", memoryPerVcpuGiB: 4 },
    r: { purpose: "memory optimised", memoryPerVcpuGiB: 8 },
    t: { purpose: "burstable", memoryPerVcpuGiB: 2 },
    x: { purpose: "memory optimised, large memory", memoryPerVcpuGiB: 16 },
    z: { purpose: "high frequency", memoryPerVcpuGiB: 8 },
    i: { purpose: "storage optimised (NVMe)", memoryPerVcpuGiB: 8 },
    d: { purpose: "dense storage (HDD)", memoryPerVcpuGiB: 8 },
    g: { purpose: "NVIDIA GPU (graphics, inference)", memoryPerVcpuGiB: 4 },
    p: { purpose: "NVIDIA GPU (training)", memoryPerVcpuGiB: 7 },
} as const;
export type InstanceCategory = keyof typeof INSTANCE_CATEGORIES;

/** Categories whose instances carry NVIDIA GPUs. A pool is either all GPU categories or none. */
export const GPU_CATEGORIES: readonly InstanceCategory[] = ["g", "p"];

/**
 * What the platform puts on every GPU node: a taint only pods that ask for GPUs tolerate (the
 * taint Karpenter's scheduling docs use), and the label the NVIDIA device plugin's chart selects
 * its nodes by (its default affinity, deployments/helm/nvidia-device-plugin/values.yaml).
 */
export const GPU_TAINT = { key: "nvidia.com/gpu", value: "true", effect: "NoSchedule" } as const;
export const GPU_NODE_LABEL = "nvidia.com/gpu.present";
/** The extended resource the device plugin advertises; pools may cap it. */
export const GPU_RESOURCE = "nvidia.com/gpu";

/** Control-plane log types; the platform always enables all of them. */
export const CONTROL_PLANE_LOG_TYPES = ["api", "audit", "authenticator", "controllerManager", "scheduler"] as const;

/** EKS access policies (https://docs.aws.amazon.com/eks/latest/userguide/access-policy-permissions.html). */
export const ACCESS_POLICIES = {
    admin: "AmazonEKSClusterAdminPolicy",
    viewer: "AmazonEKSViewPolicy",
    editor: "AmazonEKSEditPolicy",
} as const;

/**
 * Namespaces of the platform itself. Admission policies never apply to them, so a policy engine
 * outage or a strict policy cannot block node rotation or the platform's own add-ons.
 */
export const PLATFORM_NAMESPACES = [
    "kube-system",
    "kube-public",
    "kube-node-lease",
    "karpenter",
    "external-secrets",
    "argocd",
    "kyverno",
    "monitoring",
    "velero",
    "restore-drill-canary",
    "restore-drill-scratch",
    "restore-drill-replica-scratch",
    "gateway",
    "cert-manager",
    "external-dns",
    "logging",
    "log-collector",
    "nvidia-device-plugin",
] as const;

/**
 * Replicas that need a system node each (required anti-affinity on the hostname): Argo CD's HA
 * Redis, three Redis servers and three HAProxies, in a highly available stack.
 */
export const ANTI_AFFINE_SYSTEM_REPLICAS = 3;

/** Label every managed node group's nodes carry, with the group's role (system, general, memory) as value. */
export const NODE_GROUP_LABEL = "platform/node-group";

/** AMI types a managed node group may use; the platform pins AL2023 releases. */
export const AMI_TYPES = { x86_64: "AL2023_x86_64_STANDARD", arm64: "AL2023_ARM_64_STANDARD" } as const;

/**
 * AWS physical-name limits the derived names must respect.
 * Sources: IAM quotas (role name 64), S3 bucket naming rules (3..63, lowercase), EKS CreateCluster
 * (name 1..100) and CreateNodegroup (1..63), Cilium chart validation (cluster.name 32).
 */
export const NAME_LIMITS = {
    eksCluster: 100,
    nodeGroup: 63,
    iamRole: 64,
    s3Bucket: 63,
    ciliumCluster: 32,
    sqsQueue: 80,
    eventRule: 64,
} as const;

/**
 * EC2 events Karpenter acts on before AWS takes a node away, as EventBridge matches them.
 * Source: Karpenter's getting-started CloudFormation template (v1.14).
 */
export const INTERRUPTION_EVENTS = [
    { key: "spot", source: "aws.ec2", detailType: "EC2 Spot Instance Interruption Warning" },
    { key: "rebalance", source: "aws.ec2", detailType: "EC2 Instance Rebalance Recommendation" },
    { key: "state", source: "aws.ec2", detailType: "EC2 Instance State-change Notification" },
    { key: "health", source: "aws.health", detailType: "AWS Health Event" },
    { key: "capacity", source: "aws.ec2", detailType: "EC2 Capacity Reservation Instance Interruption Warning" },
] as const;
export type InterruptionEvent = (typeof INTERRUPTION_EVENTS)[number]["key"];

/**
 * Cilium cluster IDs usable with ENI IPAM: the chart refuses 128..255 in ENI mode
 * (cilium/cilium#21330), and 0 means "no ClusterMesh".
 */
export const CILIUM_CLUSTER_ID = { min: 1, max: 127 } as const;
