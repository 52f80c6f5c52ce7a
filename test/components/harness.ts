// The harness of the per-component tests: each component alone, under the offline mocks, with
// hand-written arguments, so a test can assert what it passes to AWS, Kubernetes and @pulumi/eks.
import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import { Cluster, type ClusterArgs } from "../../components/eks/cluster";
import type { Scope } from "../../components/shared/iam";
import { resolveStackConfig } from "../../stacks/config/config";
import { physicalNames } from "../../stacks/config/names";
import { OFFLINE_ACCOUNT } from "../../stacks/plan/mocks";
import type { RecordedResource } from "../../stacks/plan/resources";
import { run } from "../../stacks/plan/offline";
import { COMPONENT_INPUT, rawConfig, settingsOf } from "../fixtures";

export const scope: Scope = { partition: "aws", region: "eu-west-1", accountId: OFFLINE_ACCOUNT };
export const tags = { environment: "test", region: "eu-west-1", owner: "team", "managed-by": "pulumi" };
export const names = physicalNames("platform-test-eu-west-1");
export const settings = resolveStackConfig(rawConfig(settingsOf("prod")));

/** A control plane for components that build on one; `overrides` replace its arguments. */
export function testCluster(provider: aws.Provider, overrides: Partial<ClusterArgs> = {}): Cluster {
    return new Cluster(
        "c",
        {
            name: names.cluster,
            region: "eu-west-1",
            roleName: names.roles.cluster,
            controlPlaneLogGroup: names.controlPlaneLogGroup,
            version: "1.35",
            settings: settings.cluster,
            serviceCidr: "172.30.0.0/16",
            vpcId: "vpc-0abc",
            privateSubnetIds: ["subnet-a", "subnet-b"],
            secretsKeyArn: `arn:aws:kms:eu-west-1:${OFFLINE_ACCOUNT}:key/s`,
            logsKeyArn: `arn:aws:kms:eu-west-1:${OFFLINE_ACCOUNT}:key/l`,
            podIdentityAgentVersion: "v1.3.10-eksbuild.3",
            scope,
            tags,
            protect: false,
            teams: settings.teams,
            helmValues: settings.helmValues,
            apiClients: { securityGroupIds: { "eu-west-1": "sg-0runner" }, cidrs: { "us-east-1": "10.20.0.0/16" }, ready: [] },
            ...overrides,
        },
        { providers: { aws: provider } },
    );
}

/** Evaluates `build` with an explicit AWS provider for eu-west-1 and a Kubernetes provider. */
export async function evaluateComponent(build: (providers: { aws: aws.Provider; k8s: k8s.Provider }) => void): Promise<RecordedResource[]> {
    const evaluation = await run("test", COMPONENT_INPUT, () => {
        build({
            aws: new aws.Provider("eu-west-1", { region: "eu-west-1" }),
            k8s: new k8s.Provider("k8s", { kubeconfig: "{}" }),
        });
        return {};
    });
    return evaluation.resources;
}
