// Who may deploy what through Argo CD: the AppProjects, and the ApplicationSets that turn folders
// of Git into Applications, each in the project its folder belongs to.
//
// The cluster's folder of the GitOps repository (gitops.repository.path) holds one folder per
// namespace. A folder named after a platform namespace becomes an Application of the `platform`
// project; a folder named after a team's namespace, one of that team's project; any other folder
// becomes nothing. The `platform` project reaches only the platform's namespaces and a few
// cluster-scoped kinds, so whatever is merged into a team's folder, by anyone, is deployed with
// that team's rights and no more.
import { PLATFORM_NAMESPACES } from "../../../stacks/config/catalog";
import type { TeamSettings } from "../../../stacks/config/fields/teams";

/** Argo CD's name for the cluster it runs in. */
export const IN_CLUSTER = "https://kubernetes.default.svc";

/** The objects that fence a team namespace in, which no team application may change. */
const FENCE = [
    { group: "", kind: "ResourceQuota" },
    { group: "", kind: "LimitRange" },
    { group: "networking.k8s.io", kind: "NetworkPolicy" },
];

/**
 * Cluster-scoped kinds the platform's own folders may hold: admission policies, storage and
 * priority classes. Never RBAC bindings, CRDs, webhooks or namespaces: the program owns those,
 * and any of them from Git would be cluster-admin by another name.
 */
export const PLATFORM_CLUSTER_KINDS = [
    { group: "kyverno.io", kind: "ClusterPolicy" },
    { group: "storage.k8s.io", kind: "StorageClass" },
    { group: "scheduling.k8s.io", kind: "PriorityClass" },
] as const;

/** The AppProject of a team: its name in Argo CD. */
export const teamProject = (team: string) => `team-${team}`;

/**
 * The AppProjects: `platform` (only from the GitOps repository, only to the platform's namespaces
 * in this cluster, only the cluster-scoped kinds above), and one per team: only from the team's
 * repository and the GitOps repository's folders of its namespaces, only to the team's namespaces,
 * no cluster-scoped resources and never the objects that fence a namespace in; its
 * identity-provider groups may sync (and only sync) the team's applications.
 */
export function appProjectSpecs(args: { repository: string; teams: Readonly<Record<string, TeamSettings>> }) {
    const teams = Object.fromEntries(
        Object.entries(args.teams).map(([team, settings]) => {
            const project = teamProject(team);
            return [
                project,
                {
                    description: `Applications of team ${team}`,
                    sourceRepos: [...new Set([settings.gitops.repository, args.repository])],
                    destinations: settings.namespaces.map((namespace) => ({ server: IN_CLUSTER, namespace })),
                    clusterResourceWhitelist: [],
                    namespaceResourceBlacklist: FENCE,
                    roles: [
                        {
                            name: "members",
                            description: `Members of team ${team}`,
                            groups: [...settings.gitops.groups],
                            policies: [
                                `p, proj:${project}:members, applications, get, ${project}/*, allow`,
                                `p, proj:${project}:members, applications, sync, ${project}/*, allow`,
                            ],
                        },
                    ],
                },
            ];
        }),
    );
    return {
        platform: {
            description: "Platform components of this cluster",
            sourceRepos: [args.repository],
            destinations: PLATFORM_NAMESPACES.map((namespace) => ({ server: IN_CLUSTER, namespace })),
            clusterResourceWhitelist: PLATFORM_CLUSTER_KINDS.map((kind) => ({ ...kind })),
        },
        ...teams,
    };
}

/** An ApplicationSet of one project: an Application per matching folder, deployed to the namespace it is named after. */
function folderApplications(args: { repository: string; revision: string; folders: string[]; name: string; project: string }) {
    return {
        goTemplate: true,
        goTemplateOptions: ["missingkey=error"],
        generators: [{ git: { repoURL: args.repository, revision: args.revision, directories: args.folders.map((path) => ({ path })) } }],
        // Deleting the ApplicationSet leaves the applications' resources alone; the Applications
        // carry no finalizer, so tearing Argo CD down never waits on them.
        syncPolicy: { preserveResourcesOnDeletion: true },
        template: {
            metadata: { name: args.name },
            spec: {
                project: args.project,
                source: { repoURL: args.repository, targetRevision: args.revision, path: "{{.path.path}}" },
                destination: { server: IN_CLUSTER, namespace: "{{.path.basename}}" },
                syncPolicy: { automated: { prune: true, selfHeal: true } },
            },
        },
    };
}

/**
 * The ApplicationSet of a team's own repository: one Application per folder under the team's
 * path, in the team's project (which refuses any namespace but the team's).
 */
export function teamApplicationSetSpec(args: { team: string; settings: TeamSettings; environment: string; region: string }) {
    const { repository, revision } = args.settings.gitops;
    const path = args.settings.gitops.path.replace(/\{environment\}/g, args.environment).replace(/\{region\}/g, args.region);
    return folderApplications({
        repository,
        revision,
        folders: [`${path}/*`],
        name: `${args.team}-{{.path.basename}}`,
        project: teamProject(args.team),
    });
}

/**
 * The ApplicationSets that hand the cluster's folder to Git, by project: `cluster-applications`
 * for the folders of the platform's namespaces, and `cluster-team-<team>` for those of each team's
 * namespaces. Each lists its folders by name, so a folder of another name yields no Application.
 */
export function clusterApplicationSetSpecs(args: {
    repository: string;
    revision: string;
    path: string;
    teams: Readonly<Record<string, TeamSettings>>;
}): Record<string, ReturnType<typeof folderApplications>> {
    const folders = (namespaces: readonly string[]) => namespaces.map((namespace) => `${args.path}/${namespace}`);
    const common = { repository: args.repository, revision: args.revision, name: "{{.path.basename}}" };
    return {
        "cluster-applications": folderApplications({ ...common, folders: folders(PLATFORM_NAMESPACES), project: "platform" }),
        ...Object.fromEntries(
            Object.entries(args.teams).map(([team, settings]) => [
                `cluster-${teamProject(team)}`,
                folderApplications({ ...common, folders: folders(settings.namespaces), project: teamProject(team) }),
            ]),
        ),
    };
}
