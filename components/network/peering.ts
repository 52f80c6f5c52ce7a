// Inter-region VPC peering between two networks of one stack. It carries the pipeline: the runner
// that runs a stack's Pulumi jobs sits in one region's VPC and reaches the private API endpoints
// of the other regions over it. A private endpoint's name resolves publicly to its private
// addresses, so the peering needs no DNS options.
// https://docs.aws.amazon.com/eks/latest/userguide/cluster-endpoint.html
// The routes over it are the networks' own (Network's `peerRoutes`): a route table with inline
// routes must hold every route, or the next update removes the others.
import * as aws from "@pulumi/aws";
import type * as pulumi from "@pulumi/pulumi";

/** One side of a peering: a created VPC, and the component of its region, whose provider it uses. */
export interface PeeringSide {
    readonly region: string;
    readonly cluster: string;
    readonly vpcId: pulumi.Input<string>;
    readonly owner: pulumi.Resource;
    readonly tags: Readonly<Record<string, string>>;
}

/**
 * Requests the peering from `requester`'s region and accepts it in `accepter`'s, each resource
 * under its own region's component. Returns the connection's ID once accepted: routes over it are
 * valid from then on. Both VPCs are in `accountId`: one stack, one set of credentials.
 */
export function peer(requester: PeeringSide, accepter: PeeringSide, accountId: pulumi.Input<string>): pulumi.Output<string> {
    const name = `${requester.cluster}-to-${accepter.cluster}`;
    const connection = new aws.ec2.VpcPeeringConnection(
        `${requester.region}-to-${accepter.region}-peering`,
        {
            vpcId: requester.vpcId,
            peerVpcId: accepter.vpcId,
            peerRegion: accepter.region,
            peerOwnerId: accountId,
            tags: { ...requester.tags, Name: name },
        },
        { parent: requester.owner },
    );
    const accepted = new aws.ec2.VpcPeeringConnectionAccepter(
        `${accepter.region}-from-${requester.region}-peering`,
        { vpcPeeringConnectionId: connection.id, autoAccept: true, tags: { ...accepter.tags, Name: name } },
        { parent: accepter.owner },
    );
    return accepted.vpcPeeringConnectionId;
}
