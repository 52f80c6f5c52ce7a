// The whole program per committed stack file: each cluster's way in. Gateway API CRDs before
// Cilium, the load balancer controller before the Gateway, a certificate and DNS limited to the
// stack's zone, and Argo CD and Grafana served at the hostnames the stack file derives.
import * as assert from "node:assert/strict";
import type { RecordedResource } from "../../stacks/plan/resources";
import { appHostname } from "../../stacks/config/rules/ingress";
import { type Inputs, STACKS, inputs, ofType, one } from "../fixtures";
import { describeStack } from "./harness";

const release = (resources: readonly RecordedResource[], name: string): RecordedResource => {
    const found = ofType(resources, "kubernetes:helm.sh/v3:Release").find((r) => inputs(r).name === name);
    assert.ok(found, `no release ${name}`);
    return found;
};

/** Whether `from` waits for `to`, directly or through what it waits for. */
function waitsFor(from: RecordedResource, to: RecordedResource, byUrn: Map<string, RecordedResource>): boolean {
    const seen = new Set<string>();
    const pending = [...from.dependencies];
    while (pending.length > 0) {
        const urn = pending.pop() as string;
        if (urn === to.urn) return true;
        if (seen.has(urn)) continue;
        seen.add(urn);
        pending.push(...(byUrn.get(urn)?.dependencies ?? []));
    }
    return false;
}

/** The statements of a role's inline policy, by the role's physical name. */
function policyOf(resources: readonly RecordedResource[], roleName: string): Inputs[] {
    const role = ofType(resources, "aws:iam/role:Role").find((r) => inputs(r).name === roleName);
    assert.ok(role, `no role ${roleName}`);
    const policies = ofType(resources, "aws:iam/rolePolicy:RolePolicy").filter((p) => p.dependencies.includes(role.urn));
    assert.equal(policies.length, 1, `${roleName} has one inline policy`);
    return JSON.parse(inputs(policies[0]).policy).Statement;
}

for (const stack of STACKS) {
    describeStack(stack, (program) => {
        it("installs the locked Gateway API CRDs before Cilium, whose chart creates the GatewayClass", () => {
            for (const region of program.config.regions) {
                const own = program.inRegion(region.region);
                const crds = one(own, "kubernetes:yaml/v2:ConfigFile");
                assert.match(inputs(crds).file, new RegExp(`/${program.config.versions.gatewayApi}/standard-install\\.yaml$`));
                const cilium = release(own, "cilium");
                assert.ok(cilium.dependencies.includes(crds.urn), "Cilium's operator needs the CRDs when it starts");
                assert.equal(inputs(cilium).values.gatewayAPI.enabled, true);
                assert.equal(inputs(cilium).values.gatewayAPI.gatewayClass.create, "true");
            }
        });

        it("runs the load balancer controller, cert-manager and ExternalDNS with their own Pod Identity roles", () => {
            for (const region of program.config.regions) {
                const own = program.inRegion(region.region);
                const associations = ofType(own, "aws:eks/podIdentityAssociation:PodIdentityAssociation").map(inputs);
                for (const [name, namespace, serviceAccount] of [
                    ["aws-load-balancer-controller", "kube-system", "aws-load-balancer-controller"],
                    ["cert-manager", "cert-manager", "cert-manager"],
                    ["external-dns", "external-dns", "external-dns"],
                ]) {
                    const chart = release(own, name);
                    assert.equal(inputs(chart).namespace, namespace);
                    assert.equal(inputs(chart).values.serviceAccount.name, serviceAccount, `${name}'s pods use the bound account`);
                    assert.ok(
                        associations.some((a) => a.namespace === namespace && a.serviceAccount === serviceAccount),
                        `${name} has a Pod Identity association`,
                    );
                }
                const controller = inputs(release(own, "aws-load-balancer-controller")).values;
                assert.deepEqual(
                    [controller.clusterName, controller.region, controller.replicaCount],
                    [region.names.cluster, region.region, 2],
                );
                assert.deepEqual(controller.podDisruptionBudget, { maxUnavailable: 1 });
                const unmutated = controller.serviceMutatorWebhookConfig.namespaceSelectors[0].values as string[];
                assert.ok(unmutated.includes("argocd") && unmutated.includes("kube-system"), "platform Services skip the webhook");
                assert.ok(!unmutated.includes("gateway"), "the Gateway's Service gets the controller's class");
                assert.equal(controller.nodeSelector["platform/node-group"], "system");
            }
        });

        it("lets DNS and certificates touch the stack's zone only, and only names under the cluster's hostname", () => {
            const { hostedZoneId } = program.config.ingress;
            for (const region of program.config.regions) {
                const own = program.inRegion(region.region);
                for (const role of [region.names.roles.externalDns, region.names.roles.certManager]) {
                    const changes = policyOf(own, role).filter((s) => [s.Action].flat().includes("route53:ChangeResourceRecordSets"));
                    assert.deepEqual(
                        changes.map((s) => s.Resource),
                        [`arn:aws:route53:::hostedzone/${hostedZoneId}`],
                    );
                    const names = Object.values(changes[0].Condition as Record<string, Record<string, string[]>>).flatMap(
                        (c) => c["route53:ChangeResourceRecordSetsNormalizedRecordNames"] ?? [],
                    );
                    assert.ok(names.length > 0 && names.every((n) => n.endsWith(region.hostname)), `${role}: ${names.join(", ")}`);
                }
                const dns = inputs(release(own, "external-dns")).values;
                assert.equal(dns.txtOwnerId, region.names.cluster, "a TXT owner per cluster");
                assert.equal(dns.policy, "sync");
                assert.deepEqual(dns.domainFilters, [region.hostname]);
                assert.ok(dns.extraArgs.includes(`--zone-id-filter=${hostedZoneId}`));
                const certificate = inputs(one(own, "kubernetes:cert-manager.io/v1:Certificate")).spec;
                assert.deepEqual(certificate.dnsNames, [region.hostname, `*.${region.hostname}`]);
                const issuer = inputs(one(own, "kubernetes:cert-manager.io/v1:ClusterIssuer")).spec.acme;
                assert.equal(issuer.solvers[0].dns01.route53.hostedZoneID, hostedZoneId);
            }
            const owners = program.config.regions.map((r) => r.names.cluster);
            assert.equal(new Set(owners).size, owners.length);
        });

        it("fronts a Gateway with HTTPS for the cluster's hostname by a load balancer of the stack file's scheme and CIDRs", () => {
            const { scheme, allowedCidrs } = program.config.ingress;
            for (const region of program.config.regions) {
                const own = program.inRegion(region.region);
                const gateway = one(own, "kubernetes:gateway.networking.k8s.io/v1:Gateway");
                const spec = inputs(gateway).spec;
                const https = spec.listeners.find((l: Inputs) => l.protocol === "HTTPS");
                assert.equal(https.hostname, `*.${region.hostname}`);
                assert.equal(
                    https.tls.certificateRefs[0].name,
                    inputs(one(own, "kubernetes:cert-manager.io/v1:Certificate")).spec.secretName,
                );
                const annotations = spec.infrastructure.annotations;
                assert.equal(annotations["service.beta.kubernetes.io/aws-load-balancer-scheme"], scheme);
                assert.equal(annotations["service.beta.kubernetes.io/load-balancer-source-ranges"], allowedCidrs.join(","));
                assert.ok(
                    gateway.dependencies.includes(release(own, "aws-load-balancer-controller").urn),
                    "the controller's webhook admits the Gateway's Service",
                );
                assert.ok(waitsFor(gateway, release(own, "cilium"), program.byUrn), "Cilium's chart creates its GatewayClass");
                const redirect = one(own, "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute");
                assert.equal(inputs(redirect).spec.rules[0].filters[0].requestRedirect.scheme, "https");
                assert.equal(
                    inputs(redirect).metadata.annotations["external-dns.alpha.kubernetes.io/controller"],
                    "none",
                    "no wildcard record for the redirect",
                );
            }
        });

        it("deletes the Gateway and its namespace, and so its load balancer, before the controller that removes it", () => {
            for (const region of program.config.regions) {
                const own = program.inRegion(region.region);
                const gateway = one(own, "kubernetes:gateway.networking.k8s.io/v1:Gateway");
                const namespace = ofType(own, "kubernetes:core/v1:Namespace").find(
                    (n) => inputs(n).metadata.name === inputs(gateway).metadata.namespace,
                );
                assert.ok(namespace);
                assert.ok(gateway.dependencies.includes(namespace.urn));
                for (const chart of ["aws-load-balancer-controller", "external-dns"])
                    assert.ok(namespace.dependencies.includes(release(own, chart).urn), `the namespace is deleted before ${chart}`);
                for (const resource of [gateway, namespace, release(own, "aws-load-balancer-controller")])
                    assert.equal(resource.deletedWith, "", `${resource.name} is deleted, not dropped with the cluster`);
            }
        });

        it("serves Argo CD at its URL and Grafana beside it, through the Gateway, once the route CRDs exist", () => {
            for (const region of program.config.regions) {
                const own = program.inRegion(region.region);
                const gateway = one(own, "kubernetes:gateway.networking.k8s.io/v1:Gateway");
                const argocd = release(own, "argo-cd");
                const route = inputs(argocd).values.server.httproute;
                assert.deepEqual(route.hostnames, [new URL(region.gitopsUrl).hostname]);
                assert.equal(inputs(argocd).values.configs.cm.url, region.gitopsUrl);
                const grafana = release(own, "kube-prometheus-stack");
                assert.deepEqual(inputs(grafana).values.grafana.route.main.hostnames, [appHostname(region.hostname, "grafana")]);
                for (const [chart, parentRefs] of [
                    [argocd, route.parentRefs],
                    [grafana, inputs(grafana).values.grafana.route.main.parentRefs],
                ] as const) {
                    assert.deepEqual(parentRefs, [
                        { name: inputs(gateway).metadata.name, namespace: inputs(gateway).metadata.namespace, sectionName: "https" },
                    ]);
                    const crds = one(own, "kubernetes:yaml/v2:ConfigFile");
                    assert.ok(chart.dependencies.includes(crds.urn), `${chart.name} renders an HTTPRoute: it waits for its CRD`);
                }
                const reserved = one(own, "kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicy");
                assert.deepEqual(JSON.parse(inputs(reserved).spec.variables[0].expression), [
                    ...route.hostnames,
                    appHostname(region.hostname, "grafana"),
                ]);
            }
        });
    });
}
