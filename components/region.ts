// The second phase of a region: the EKS cluster and every add-on, built on the region's
// foundation (keys, network, runner) once the networks of every region are peered. Platform.deploy
// calls it; bootstrap mode never does.
import * as pulumi from "@pulumi/pulumi";
import { PLATFORM_NAMESPACES } from "../stacks/config/catalog";
import { PLATFORM_SECRETS, teamSecretsPath } from "../stacks/config/rules/addons";
import { CoreAddons, DEFAULTS as CORE_ADDONS } from "./addons/core/core-addons";
import { ArgoCD } from "./addons/argocd/argocd";
import { Backups, DEFAULTS as VELERO } from "./backups/backups";
import { Cilium } from "./addons/cilium/cilium";
import { type ApiClients, Cluster } from "./eks/cluster";
import { ExternalSecrets } from "./addons/external-secrets/external-secrets";
import { Karpenter } from "./addons/karpenter/karpenter";
import { Kyverno } from "./addons/kyverno/kyverno";
import { Monitoring, grafanaAccess } from "./observability/monitoring";
import { MONITORING_NAMESPACE, MonitoringCrds } from "./observability/monitoring-crds";
import { NodeGroups } from "./eks/nodegroups";
import { PipelineAccess } from "./eks/pipeline-access";
import { NodePools, amiAliases } from "./addons/karpenter/nodepools";
import { nextTurn } from "./shared/turns";
import type { Foundation, PlatformArgs, RegionCluster } from "./region-args";
import { DRILL, drillNames, drilledSchedule, restoreDrills } from "./backups/restore-drill";
import { Teams } from "./tenancy/teams";
import { GatewayApiCrds } from "./ingress/gateway-api";
import { Ingress } from "./ingress/ingress";
import { gatewayParentRef } from "./ingress/values";
import { Logging } from "./observability/logging";
import { addonIdentities } from "./identities";

/**
 * Order of creation: control plane (+ Pod Identity agent) -> Cilium -> node groups -> CoreDNS,
 * EBS CSI, Karpenter -> node pools, then the other add-ons on the system nodes. See Cilium for why
 * the CNI comes before the nodes, and Karpenter for the order of teardown. Every Kubernetes object
 * waits for the pipeline's runners to be admitted to the API (see Cluster's `apiClients`). Each
 * component is built in a turn of its own (shared/turns.ts); the order above is the resources'
 * dependencies, not the turns'.
 */
export async function deployCluster(
    name: string,
    args: PlatformArgs,
    foundation: Foundation,
    apiClients: ApiClients,
    /** The cluster whose backups are replicated into this one's bucket, which a second drill restores. */
    replicaOf: string | undefined,
    parent: { parent: pulumi.Resource },
): Promise<RegionCluster> {
    const { region, versions } = args;
    const names = region.names;
    const drills = [drillNames(false), ...(replicaOf ? [drillNames(true)] : [])];
    const cluster = new Cluster(
        `${name}-cluster`,
        {
            name: names.cluster,
            region: region.region,
            roleName: names.roles.cluster,
            controlPlaneLogGroup: names.controlPlaneLogGroup,
            version: versions.kubernetes,
            settings: args.cluster,
            serviceCidr: region.serviceCidr,
            vpcId: foundation.vpcId,
            privateSubnetIds: foundation.privateSubnetIds,
            secretsKeyArn: foundation.secretsKeyArn,
            logsKeyArn: foundation.logsKeyArn,
            podIdentityAgentVersion: versions.addons["eks-pod-identity-agent"],
            scope: foundation.scope,
            tags: region.tags,
            protect: args.protect,
            teams: args.teams,
            apiClients,
            helmValues: args.helmValues,
        },
        parent,
    );

    // Every add-on ships a ServiceMonitor, Cilium's included, and Cilium comes before the nodes.
    // Cilium does not wait for the Pod Identity agent: its operator needs the agent only once
    // it runs on a node, and the nodes wait for both.
    await nextTurn();
    const monitoringCrds = new MonitoringCrds(
        `${name}-monitoring-crds`,
        { cluster: cluster.handle, chartVersion: versions.charts["prometheus-operator-crds"] },
        parent,
    );

    // Cilium's operator enables its Gateway API controller only if these exist when it starts.
    const gatewayApi = new GatewayApiCrds(`${name}-gateway-api`, { cluster: cluster.handle, version: versions.gatewayApi }, parent);
    await nextTurn();
    const cilium = new Cilium(
        `${name}-cilium`,
        {
            cluster: cluster.handle,
            clusterId: region.ciliumClusterId,
            highAvailability: args.highAvailability,
            vpcId: foundation.vpcId,
            chartVersion: versions.charts.cilium,
            operatorRoleName: names.roles.ciliumOperator,
            dependsOn: [monitoringCrds.release, gatewayApi.crds],
        },
        parent,
    );

    await nextTurn();
    const nodeGroups = new NodeGroups(
        `${name}-nodes`,
        {
            cluster: cluster.handle,
            nodeRoleName: names.roles.node,
            groupNames: names.nodeGroups,
            launchTemplateNames: names.launchTemplates,
            volumesKeyArn: foundation.volumesKeyArn,
            groups: args.nodeGroups,
            kubernetesVersion: versions.kubernetes,
            amiRelease: versions.nodeAmiRelease,
            subnetIds: foundation.privateSubnetIds,
            // A node is Ready once Cilium's operator, with credentials from the Pod Identity
            // agent, has given it pod addresses; it joins through the NAT routes.
            dependsOn: [cilium.release, cluster.podIdentityAgent, ...foundation.egress],
        },
        parent,
    );

    // Add-ons wait for the system group only: it is where they run (they tolerate its
    // CriticalAddonsOnly taint), and the general and memory groups are not theirs to wait for.
    await nextTurn();
    const coreAddons = new CoreAddons(
        `${name}-addons`,
        {
            cluster: cluster.handle,
            versions: versions.addons,
            ebsCsiRoleName: names.roles.ebsCsi,
            dependsOn: [nodeGroups.system],
        },
        parent,
    );

    await nextTurn();
    const karpenter = new Karpenter(
        `${name}-karpenter`,
        {
            cluster: cluster.handle,
            chartVersion: versions.charts.karpenter,
            controllerRoleName: names.roles.karpenter,
            nodeRoleName: names.roles.karpenterNode,
            queueName: names.interruptionQueue,
            ruleNames: names.interruptionRules,
            untaggedSubnetIds: region.network.kind === "existing" ? foundation.privateSubnetIds : undefined,
            dependsOn: [nodeGroups.system],
        },
        parent,
    );
    await nextTurn();
    const pools = new NodePools(
        `${name}-pools`,
        {
            cluster: cluster.handle,
            settings: args.karpenter,
            nodeRoleName: karpenter.nodeRoleName,
            amiAliases: amiAliases(versions),
            devicePluginVersion: versions.charts["nvidia-device-plugin"],
            volumesKeyArn: foundation.volumesKeyArn,
            zones: foundation.zones,
            dependsOn: karpenter.ready,
        },
        parent,
    );

    await nextTurn();
    const externalSecrets = new ExternalSecrets(
        `${name}-external-secrets`,
        {
            cluster: cluster.handle,
            chartVersion: versions.charts["external-secrets"],
            roleName: names.roles.externalSecrets,
            prefix: args.secrets.prefix + PLATFORM_SECRETS,
            kmsKeyArn: args.secrets.kmsKeyArn,
            teamRoles: names.teamRole("*"),
            highAvailability: args.highAvailability,
            dependsOn: [nodeGroups.system],
        },
        parent,
    );
    await nextTurn();
    const kyverno = new Kyverno(
        `${name}-kyverno`,
        {
            cluster: cluster.handle,
            chartVersion: versions.charts.kyverno,
            settings: args.policies,
            excludedNamespaces: PLATFORM_NAMESPACES,
            highAvailability: args.highAvailability,
            dependsOn: [nodeGroups.system],
        },
        parent,
    );

    // Argo CD's and Grafana's routes need only the CRDs: a route waits in the API for its Gateway.
    await nextTurn();
    const ingress = new Ingress(
        `${name}-ingress`,
        {
            cluster: cluster.handle,
            charts: versions.charts,
            settings: args.ingress,
            hostname: region.hostname,
            vpcId: foundation.vpcId,
            roleNames: names.roles,
            highAvailability: args.highAvailability,
            reservedHostnames: [new URL(region.gitopsUrl).hostname, region.grafanaHostname],
            platformNamespaces: PLATFORM_NAMESPACES,
            dependsOn: [nodeGroups.system, monitoringCrds.release, cilium.release],
        },
        parent,
    );
    await nextTurn();
    const monitoring = new Monitoring(
        `${name}-monitoring`,
        {
            cluster: cluster.handle,
            chartVersion: versions.charts["kube-prometheus-stack"],
            settings: args.monitoring,
            highAvailability: args.highAvailability,
            environment: args.environment,
            drills: {
                cronjobs: drills.map((drill) => drill.name),
                namespace: VELERO.namespace,
                periodHours: 7 * 24,
                runSeconds: DRILL.deadlineSeconds + DRILL.graceSeconds,
            },
            secretStore: externalSecrets.ready,
            grafana: grafanaAccess(region.grafanaHostname, gatewayParentRef(), args.gitops.sso, args.monitoring.sso),
            dependsOn: [nodeGroups.system, monitoringCrds.release, gatewayApi.crds],
        },
        parent,
    );
    await nextTurn();
    const backups = new Backups(
        `${name}-backups`,
        {
            cluster: cluster.handle,
            chartVersion: versions.charts.velero,
            pluginImage: versions.images.veleroAwsPlugin,
            settings: args.backups,
            bucket: foundation.scope.apply((s) => names.backupBucket(s.accountId)),
            keyAlias: names.backupKeyAlias,
            roleName: names.roles.velero,
            protect: args.protect,
            dependsOn: [nodeGroups.system, monitoringCrds.release, coreAddons.snapshotController],
        },
        parent,
    );
    restoreDrills(
        name,
        {
            cluster: cluster.handle,
            namespace: VELERO.namespace,
            schedule: drilledSchedule(args.backups.schedules),
            cron: args.backups.drill.cron,
            image: versions.images.restoreDrill,
            dockerHubSecretName: args.backups.drill.dockerHubSecretName,
            storageClass: CORE_ADDONS.storageClass,
            dependsOn: backups.ready,
        },
        replicaOf ? { cluster: replicaOf, bucket: backups.bucketName } : undefined,
        parent,
    );

    await nextTurn();
    new Teams(
        `${name}-teams`,
        {
            cluster: cluster.handle,
            teams: args.teams,
            monitoringNamespace: MONITORING_NAMESPACE,
            secrets: {
                prefix: (team) => args.secrets.prefix + teamSecretsPath(team, args.teams[team]),
                kmsKeyArn: args.secrets.kmsKeyArn,
                roleName: names.teamRole,
                readerRoleArn: externalSecrets.roleArn,
            },
            // Network policies need the CNI; secret stores, External Secrets' CRDs.
            dependsOn: [cilium.release, ...externalSecrets.ready],
        },
        parent,
    );

    await nextTurn();
    const logging = new Logging(
        `${name}-logging`,
        {
            cluster: cluster.handle,
            charts: versions.charts,
            settings: args.logging,
            highAvailability: args.highAvailability,
            bucket: foundation.scope.apply((s) => names.logBucket(s.accountId)),
            keyAlias: names.logKeyAlias,
            roleNames: names.roles,
            monitoringNamespace: MONITORING_NAMESPACE,
            protect: args.protect,
            dependsOn: [nodeGroups.system, monitoringCrds.release],
        },
        parent,
    );

    const addons = addonIdentities({
        cilium: cilium.operatorRoleArn,
        ebsCsi: coreAddons.ebsCsiRoleArn,
        karpenter: karpenter.controllerRoleArn,
        externalSecrets: externalSecrets.roleArn,
        velero: backups.roleArn,
        ingress: ingress.roleArns,
        logging: logging.roleArns,
    });
    await nextTurn();
    const argocd = new ArgoCD(
        `${name}-argocd`,
        {
            cluster: cluster.handle,
            chartVersion: versions.charts["argo-cd"],
            settings: args.gitops,
            url: region.gitopsUrl,
            gateway: gatewayParentRef(),
            path: region.gitopsPath,
            environment: args.environment,
            highAvailability: args.highAvailability,
            teams: args.teams,
            addons,
            secretStore: externalSecrets.ready,
            dependsOn: [nodeGroups.system, gatewayApi.crds],
        },
        parent,
    );

    if (args.cluster.access.previewRole !== undefined) {
        // Read access for the pipeline's previews, in the add-ons' namespaces.
        new PipelineAccess(
            `${name}-pipeline-access`,
            {
                cluster: cluster.handle,
                secretNamespaces: [
                    ...new Set([...Object.values(addons).map((addon) => addon.namespace), ...pools.releaseNamespaces]),
                ].sort(),
            },
            { ...parent, dependsOn: [cilium, karpenter, pools, externalSecrets, kyverno, ingress, monitoring, logging, backups, argocd] },
        );
    }

    return {
        clusterName: names.cluster,
        endpoint: cluster.handle.endpoint,
        oidcIssuer: cluster.oidcIssuer,
        kubeconfig: cluster.kubeconfig,
        nodeGroupNames: nodeGroups.names,
        addons,
        backups: {
            region: region.region,
            bucketName: backups.bucketName,
            bucketArn: backups.bucketArn,
            keyArn: backups.keyArn,
            versioning: backups.versioning,
        },
    };
}
