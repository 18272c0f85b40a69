// Patch metadata for the list fields of the built-in kinds Corral serves: the Go struct tags
// `patchStrategy`/`patchMergeKey` (strategic merge patch) and `listType`/`listMapKey`
// (server-side apply), from k8s.io/api v0.32. Lists not named here are atomic and are replaced
// as a whole by both strategies — the Kubernetes default (RBAC rules/subjects, NetworkPolicy
// ingress/egress, command/args, tolerations, ...). Maps always merge key by key.

export interface ListMeta {
  /** Strategic merge patch: merge lists by `mergeKey` (or as a set of scalars), or replace. */
  strategy: 'merge' | 'replace';
  mergeKey?: string;
  /** Server-side apply: associative list keyed by `keys`, set of scalars, or atomic. */
  listType: 'map' | 'set' | 'atomic';
  keys?: string[];
}

const keyed = (mergeKey: string, keys = [mergeKey]): ListMeta => ({
  strategy: 'merge',
  mergeKey,
  listType: 'map',
  keys,
});
const mergedSet: ListMeta = { strategy: 'merge', listType: 'set' };
const ATOMIC: ListMeta = { strategy: 'replace', listType: 'atomic' };

const OBJECT_META: Record<string, ListMeta> = {
  ownerReferences: keyed('uid'),
  finalizers: mergedSet,
};

const CONTAINER: Record<string, ListMeta> = {
  ports: keyed('containerPort', ['containerPort', 'protocol']),
  env: keyed('name'),
  volumeMounts: keyed('mountPath'),
  volumeDevices: keyed('devicePath'),
  resizePolicy: { strategy: 'replace', listType: 'atomic' },
};

const POD_SPEC: Record<string, ListMeta> = {
  volumes: keyed('name'),
  containers: keyed('name'),
  initContainers: keyed('name'),
  ephemeralContainers: keyed('name'),
  imagePullSecrets: keyed('name'),
  hostAliases: keyed('ip'),
  topologySpreadConstraints: keyed('topologyKey', ['topologyKey', 'whenUnsatisfiable']),
  resourceClaims: keyed('name'),
  schedulingGates: keyed('name'),
};
for (const c of ['containers', 'initContainers', 'ephemeralContainers'])
  for (const [f, m] of Object.entries(CONTAINER)) POD_SPEC[`${c}.${f}`] = m;

const CONDITIONS: Record<string, ListMeta> = { conditions: keyed('type') };

function prefixed(prefix: string, table: Record<string, ListMeta>): Record<string, ListMeta> {
  return Object.fromEntries(Object.entries(table).map(([k, v]) => [prefix ? `${prefix}.${k}` : k, v]));
}

function podTemplate(prefix: string): Record<string, ListMeta> {
  return { ...prefixed(`${prefix}.metadata`, OBJECT_META), ...prefixed(`${prefix}.spec`, POD_SPEC) };
}

const BY_KIND: Record<string, Record<string, ListMeta>> = {
  Pod: {
    ...prefixed('spec', POD_SPEC),
    ...prefixed('status', CONDITIONS),
    'status.podIPs': keyed('ip'),
    'status.hostIPs': keyed('ip'),
  },
  PodTemplate: podTemplate('template'),
  Deployment: { ...podTemplate('spec.template'), ...prefixed('status', CONDITIONS) },
  ReplicaSet: { ...podTemplate('spec.template'), ...prefixed('status', CONDITIONS) },
  StatefulSet: { ...podTemplate('spec.template'), ...prefixed('status', CONDITIONS) },
  DaemonSet: { ...podTemplate('spec.template'), ...prefixed('status', CONDITIONS) },
  Job: { ...podTemplate('spec.template'), ...prefixed('status', CONDITIONS) },
  CronJob: podTemplate('spec.jobTemplate.spec.template'),
  Namespace: { ...prefixed('status', CONDITIONS) },
  Node: {
    ...prefixed('status', CONDITIONS),
    'status.addresses': keyed('type'),
    'spec.podCIDRs': mergedSet,
  },
  Service: { 'spec.ports': keyed('port', ['port', 'protocol']) },
};

/** The list metadata of `kind` at `path` (field names from the object root, list steps omitted). */
export function listMeta(kind: string, path: readonly string[]): ListMeta {
  const p = path.join('.');
  if (path.length >= 2 && path[0] === 'metadata') {
    const m = OBJECT_META[path.slice(1).join('.')];
    if (m !== undefined) return m;
  }
  return BY_KIND[kind]?.[p] ?? ATOMIC;
}

/** Kinds whose fields the strategies know; strategic merge on other kinds falls back to atomic lists. */
export const KNOWN_KINDS = new Set([
  ...Object.keys(BY_KIND),
  'ConfigMap',
  'Secret',
  'ServiceAccount',
  'ResourceQuota',
  'LimitRange',
  'Event',
  'Endpoints',
  'Role',
  'ClusterRole',
  'RoleBinding',
  'ClusterRoleBinding',
  'NetworkPolicy',
  'Lease',
]);
