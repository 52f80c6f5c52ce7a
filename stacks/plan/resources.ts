// What an evaluation recorded, and the queries the plan tooling and the tests make of it.

export interface RecordedResource {
    readonly urn: string;
    readonly type: string;
    readonly name: string;
    readonly parent: string;
    readonly custom: boolean;
    /** A component implemented by a provider plugin (@pulumi/eks): one resource here, many at deploy time. */
    readonly remote: boolean;
    /** Provider reference (`<urn>::<id>`), empty for components and default providers. */
    readonly provider: string;
    readonly protect: boolean;
    readonly retainOnDelete: boolean;
    readonly ignoreChanges: readonly string[];
    /** The resource whose deletion deletes this one without Pulumi deleting it, if any (URN). */
    readonly deletedWith: string;
    /** Earlier identities Pulumi treats as this resource (parent URN, name or type, as given). */
    readonly aliases: ReadonlyArray<{ readonly parentUrn?: string; readonly name?: string; readonly type?: string; readonly urn?: string }>;
    /** URNs this resource waits for: explicit dependsOn plus every input's dependencies. */
    readonly dependencies: readonly string[];
    inputs: Record<string, unknown>;
    /** The ID and ARN the (mocked) provider returned: what dependents receive, and lose when this is replaced. */
    outputs?: { id?: string; arn?: string };
}

/** `aws:ec2/subnet:Subnet` -> `aws.ec2.Subnet`, `kubernetes:helm.sh/v3:Release` -> `k8s.Release`. */
export function shortType(type: string): string {
    const [pkg, module, name] = type.split(":");
    if (pkg === "kubernetes") return `k8s.${name}`;
    if (pkg === "pulumi") return module === "providers" ? `provider.${name}` : name;
    const mod = module.split("/")[0];
    return mod === "index" ? `${pkg}.${name}` : `${pkg}.${mod}.${name}`;
}

/**
 * What a resource waits for before Pulumi creates it: its dependencies and its provider (a
 * Kubernetes provider is only ready once the cluster it points at exists).
 */
export function waitsFor(resource: RecordedResource): string[] {
    const provider = resource.provider ? resource.provider.slice(0, resource.provider.lastIndexOf("::")) : undefined;
    return provider ? [...resource.dependencies, provider] : [...resource.dependencies];
}

/** Each region's resources: everything under its Platform component, by region. */
export function resourcesByRegion(resources: readonly RecordedResource[]): Map<string, RecordedResource[]> {
    const byUrn = new Map(resources.map((r) => [r.urn, r]));
    const regionOf = new Map<string, string | undefined>();
    const find = (resource: RecordedResource | undefined): string | undefined => {
        if (!resource) return undefined;
        if (regionOf.has(resource.urn)) return regionOf.get(resource.urn);
        const region = resource.type === "platform:index:Platform" ? resource.name : find(byUrn.get(resource.parent));
        regionOf.set(resource.urn, region);
        return region;
    };
    const regions = new Map<string, RecordedResource[]>();
    for (const resource of resources) {
        const region = find(resource);
        if (region === undefined || resource.type === "platform:index:Platform") continue;
        if (!regions.has(region)) regions.set(region, []);
        regions.get(region)?.push(resource);
    }
    return regions;
}

/** Each component's direct children, by the parent's URN, in registration order. */
export function childrenByParent(resources: readonly RecordedResource[]): Map<string, RecordedResource[]> {
    const children = new Map<string, RecordedResource[]>();
    for (const resource of resources) {
        if (!children.has(resource.parent)) children.set(resource.parent, []);
        children.get(resource.parent)?.push(resource);
    }
    return children;
}
