// The typed handle a cluster hands to every component built on it. It lives apart from the
// Cluster component so that the shared builders (roles, releases) and every add-on depend on this
// interface, never on the component that creates the cluster.
import type * as eks from "@pulumi/eks";
import type * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import type { HelmValuesSettings } from "../../stacks/config/schema";
import type { Scope } from "./iam";

/**
 * What the components built on a cluster need of it: its identity, its API, and where and how
 * its AWS resources are named and tagged.
 */
export interface ClusterHandle {
    /** Cluster name, known before creation: for physical names and IAM conditions. */
    readonly name: string;
    readonly region: string;
    /** The same name, resolved only once the control plane exists: use it to order work after it. */
    readonly createdName: pulumi.Output<string>;
    readonly endpoint: pulumi.Output<string>;
    /** The security group EKS creates for the control plane and managed nodes. */
    readonly securityGroupId: pulumi.Output<string>;
    /** The @pulumi/eks component, for node groups. */
    readonly eks: eks.Cluster;
    /** Kubernetes provider for the cluster's API. */
    readonly provider: k8s.Provider;
    readonly scope: pulumi.Output<Scope>;
    readonly tags: Readonly<Record<string, string>>;
    /** The stack file's Helm values overrides, by chart, for every release on the cluster. */
    readonly helmValues: HelmValuesSettings;
}
