// North-south traffic as pure builders: the IAM documents of the load balancer controller,
// cert-manager and ExternalDNS, the Gateway and its objects, and the charts' values.
import * as assert from "node:assert/strict";
import { LBC_CLUSTER_TAG, certManagerPolicy, externalDnsPolicy, loadBalancerControllerPolicy } from "../../components/ingress/policies";
import {
    certificateSpec,
    certManagerValues,
    clusterIssuerSpec,
    externalDnsValues,
    gatewaySpec,
    loadBalancerAnnotations,
    loadBalancerControllerValues,
    redirectRouteSpec,
    reservedHostnamesPolicy,
} from "../../components/ingress/values";
import { GATEWAY_ACCESS_LABEL } from "../../components/shared/kubernetes";
import type { Statement } from "../../components/shared/iam";

const scope = { partition: "aws", region: "eu-west-1", accountId: "111122223333" };
const cluster = "platform-prod-eu-west-1";
const vpcId = "vpc-0abc";
const zone = { zoneId: "Z0PROD1PLATFORM2ZONE34", hostname: "eu-west-1.prod.platform.example.com" };
const actions = (s: Statement) => [s.Action].flat();

describe("ingress builders", () => {
    describe("the load balancer controller's policy", () => {
        const statements = loadBalancerControllerPolicy(scope, { cluster, vpcId }).Statement;
        const granting = (action: string) => statements.filter((s) => actions(s).includes(action));

        it("creates load balancers, target groups and security groups only with this cluster's tag", () => {
            for (const action of ["elasticloadbalancing:CreateLoadBalancer", "elasticloadbalancing:CreateTargetGroup"]) {
                for (const s of granting(action))
                    assert.deepEqual(s.Condition, { StringEquals: { [`aws:RequestTag/${LBC_CLUSTER_TAG}`]: cluster } }, action);
            }
            const tagged = granting("ec2:CreateSecurityGroup").filter((s) => String(s.Resource).includes("security-group"));
            assert.deepEqual(
                tagged.map((s) => s.Condition),
                [{ StringEquals: { [`aws:RequestTag/${LBC_CLUSTER_TAG}`]: cluster } }],
            );
        });

        it("changes or deletes only what this cluster created, never another cluster's", () => {
            for (const action of [
                "elasticloadbalancing:DeleteLoadBalancer",
                "elasticloadbalancing:DeleteTargetGroup",
                "elasticloadbalancing:ModifyLoadBalancerAttributes",
                "ec2:DeleteSecurityGroup",
            ]) {
                const grants = granting(action);
                assert.ok(grants.length > 0, `${action} is granted`);
                for (const s of grants) assert.equal(s.Condition?.StringEquals?.[`aws:ResourceTag/${LBC_CLUSTER_TAG}`], cluster, action);
            }
        });

        it("opens security groups only in the cluster's VPC and names only this account's and region's balancers", () => {
            const vpcArn = `arn:aws:ec2:eu-west-1:111122223333:vpc/${vpcId}`;
            for (const s of granting("ec2:AuthorizeSecurityGroupIngress"))
                assert.ok(s.Condition?.ArnEquals?.["ec2:Vpc"] === vpcArn || s.Condition?.StringEquals, JSON.stringify(s));
            for (const s of statements.filter((s) =>
                actions(s).some((a) => a.startsWith("elasticloadbalancing:") && !a.includes("Describe")),
            ))
                for (const resource of [s.Resource].flat())
                    assert.match(
                        String(resource),
                        /^arn:aws:elasticloadbalancing:eu-west-1:111122223333:(targetgroup|loadbalancer\/net|listener\/net)\//,
                    );
        });

        it("grants nothing the Services' Network Load Balancers do not use", () => {
            const all = statements.flatMap(actions);
            for (const prefix of ["wafv2:", "waf-regional:", "shield:", "cognito-idp:", "acm:"])
                assert.ok(!all.some((a) => a.startsWith(prefix)), `${prefix} is ALB-only`);
            assert.ok(!all.includes("elasticloadbalancing:SetWebAcl") && !all.includes("elasticloadbalancing:CreateRule"));
            assert.ok(
                statements
                    .filter((s) => s.Resource === "*")
                    .every((s) => s.Condition || actions(s).every((a) => /:(Describe|Get)/.test(a))),
            );
        });
    });

    describe("DNS policies", () => {
        it("lets cert-manager write only the challenge TXT record of the cluster's hostname", () => {
            const statements = certManagerPolicy("aws", zone).Statement;
            const write = statements.find((s) => actions(s).includes("route53:ChangeResourceRecordSets"));
            assert.equal(write?.Resource, `arn:aws:route53:::hostedzone/${zone.zoneId}`);
            assert.deepEqual(write?.Condition?.["ForAllValues:StringEquals"], {
                "route53:ChangeResourceRecordSetsRecordTypes": ["TXT"],
                "route53:ChangeResourceRecordSetsNormalizedRecordNames": [`_acme-challenge.${zone.hostname}`],
            });
            assert.ok(!statements.flatMap(actions).includes("route53:ListHostedZonesByName"), "the issuer names the zone");
        });

        it("lets ExternalDNS change only names under the cluster's hostname in the stack's zone", () => {
            const statements = externalDnsPolicy("aws", zone).Statement;
            const write = statements.filter((s) => actions(s).includes("route53:ChangeResourceRecordSets"));
            assert.equal(write.length, 1);
            assert.equal(write[0].Resource, `arn:aws:route53:::hostedzone/${zone.zoneId}`);
            assert.deepEqual(write[0].Condition?.["ForAllValues:StringLike"], {
                "route53:ChangeResourceRecordSetsNormalizedRecordNames": [zone.hostname, `*.${zone.hostname}`],
            });
            assert.deepEqual(
                statements.filter((s) => s.Resource === "*").flatMap(actions),
                ["route53:ListHostedZones"],
                "only the zone lookup is unscoped",
            );
        });
    });

    describe("the Gateway", () => {
        const args = { hostname: zone.hostname, scheme: "internet-facing" as const, allowedCidrs: ["203.0.113.0/24", "198.51.100.0/24"] };
        const spec = gatewaySpec(args);

        it("terminates HTTPS for every name under the hostname with the certificate cert-manager keeps", () => {
            const https = spec.listeners.find((l) => l.protocol === "HTTPS");
            assert.equal(https?.hostname, `*.${zone.hostname}`);
            assert.equal(https?.port, 443);
            assert.deepEqual(https?.tls?.certificateRefs, [{ kind: "Secret", name: certificateSpec(zone.hostname).secretName }]);
            assert.deepEqual(certificateSpec(zone.hostname).dnsNames, [zone.hostname, `*.${zone.hostname}`]);
        });

        it("takes team routes on HTTPS only from namespaces the platform labelled, and HTTP only for its redirect", () => {
            const https = spec.listeners.find((l) => l.protocol === "HTTPS");
            assert.deepEqual(https?.allowedRoutes.namespaces, {
                from: "Selector",
                selector: { matchLabels: { [GATEWAY_ACCESS_LABEL]: "true" } },
            });
            const http = spec.listeners.find((l) => l.protocol === "HTTP");
            assert.deepEqual(http?.allowedRoutes.namespaces, { from: "Same" });
            const redirect = redirectRouteSpec();
            assert.equal(redirect.parentRefs[0].sectionName, http?.name);
            assert.deepEqual(redirect.rules[0].filters[0].requestRedirect, { scheme: "https", statusCode: 301 });
        });

        it("asks for a Network Load Balancer of the stack file's scheme and CIDRs, on the system nodes, never a Classic one", () => {
            const annotations = loadBalancerAnnotations(args);
            assert.deepEqual(spec.infrastructure.annotations, annotations);
            const at = (key: string) => annotations[`service.beta.kubernetes.io/${key}`];
            assert.equal(at("aws-load-balancer-type"), "external");
            assert.equal(at("aws-load-balancer-scheme"), "internet-facing");
            assert.equal(at("load-balancer-source-ranges"), "203.0.113.0/24,198.51.100.0/24");
            assert.equal(at("aws-load-balancer-nlb-target-type"), "instance");
            assert.equal(at("aws-load-balancer-target-node-labels"), "platform/node-group=system");
            assert.equal(at("aws-load-balancer-scheme"), "internet-facing");
            assert.equal(
                loadBalancerAnnotations({ ...args, scheme: "internal" })["service.beta.kubernetes.io/aws-load-balancer-scheme"],
                "internal",
            );
        });

        it("issues from the stack file's ACME server through the stack's zone", () => {
            const issuer = clusterIssuerSpec({
                email: "ops@example.com",
                server: "https://acme.example.com/dir",
                region: "eu-west-1",
                ...zone,
            });
            assert.equal(issuer.acme.server, "https://acme.example.com/dir");
            assert.deepEqual(issuer.acme.solvers[0].dns01.route53, { region: "eu-west-1", hostedZoneID: zone.zoneId });
            assert.deepEqual(issuer.acme.solvers[0].selector.dnsZones, [zone.hostname]);
        });

        it("keeps the platform's UI hostnames out of team routes", () => {
            const policy = reservedHostnamesPolicy({ hostnames: [`argocd.${zone.hostname}`], platformNamespaces: ["argocd", "gateway"] });
            assert.deepEqual(JSON.parse(policy.variables[0].expression), [`argocd.${zone.hostname}`]);
            assert.deepEqual(policy.matchConstraints.namespaceSelector.matchExpressions[0].values, ["argocd", "gateway"]);
            assert.deepEqual(policy.matchConstraints.resourceRules[0].resources, ["httproutes", "grpcroutes"]);
            assert.deepEqual(
                policy.validations.map((v) => v.expression.includes("size(object.spec.hostnames) > 0") && v.expression.includes("'*'")),
                [true, false],
                "team routes name their hostnames, without wildcards",
            );
            assert.equal(policy.failurePolicy, "Fail");
        });
    });

    describe("chart values", () => {
        it("runs the load balancer controller twice with a budget on the system nodes, for Services only", () => {
            const values = loadBalancerControllerValues({
                cluster,
                region: "eu-west-1",
                vpcId,
                tags: { owner: "platform" },
                unmutatedNamespaces: ["kube-system", "argocd"],
            });
            assert.deepEqual(
                values.serviceMutatorWebhookConfig.namespaceSelectors,
                [{ key: "kubernetes.io/metadata.name", operator: "NotIn", values: ["kube-system", "argocd"] }],
                "the platform's charts never wait on the controller's webhook",
            );
            assert.deepEqual([values.replicaCount, values.podDisruptionBudget], [2, { maxUnavailable: 1 }]);
            assert.equal(values.nodeSelector["platform/node-group"], "system");
            assert.deepEqual([values.clusterName, values.region, values.vpcId], [cluster, "eu-west-1", vpcId]);
            assert.equal(values.createIngressClassResource, false);
            assert.deepEqual(values.controllerConfig.featureGates, {
                NLBGatewayAPI: false,
                ALBGatewayAPI: false,
                GatewayListenerSet: false,
            });
            assert.deepEqual(values.defaultTags, { owner: "platform" });
        });

        it("runs cert-manager's three Deployments with budgets when highly available, checking challenges publicly", () => {
            const ha = certManagerValues({ highAvailability: true });
            for (const part of [ha, ha.webhook, ha.cainjector]) {
                assert.equal(part.replicaCount, 2);
                assert.equal(part.podDisruptionBudget.enabled, true);
                assert.equal(part.nodeSelector["platform/node-group"], "system");
            }
            assert.equal(certManagerValues({ highAvailability: false }).podDisruptionBudget.enabled, false);
            assert.deepEqual(ha.crds, { enabled: true, keep: true });
            assert.equal(ha.dns01RecursiveNameserversOnly, true);
        });

        it("gives ExternalDNS one owner per cluster, the cluster's hostname and the stack's zone", () => {
            const values = externalDnsValues({ cluster, region: "eu-west-1", ...zone });
            assert.equal(values.txtOwnerId, cluster);
            assert.deepEqual(values.domainFilters, [zone.hostname]);
            assert.deepEqual(values.extraArgs, [`--zone-id-filter=${zone.zoneId}`]);
            assert.deepEqual([values.policy, values.registry], ["sync", "txt"]);
            assert.deepEqual(values.sources, ["gateway-httproute"]);
        });
    });
});
