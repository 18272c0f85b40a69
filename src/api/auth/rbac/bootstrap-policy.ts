// kube-apiserver's bootstrap policy (plugin/pkg/auth/authorizer/rbac/bootstrappolicy), for the
// kinds Corral serves: cluster-admin, the aggregated admin/edit/view roles, discovery, basic-user,
// public-info-viewer and system:node, with Kubernetes' bindings, and Corral's own
// system:corral:network-policy (the node agent's NetworkPolicy watch). Reconciled at every start
// additively, as kube-apiserver does for objects annotated autoupdate=true: missing objects are
// created, missing rules and subjects added back, and anything a user added is kept.
import type { KObject } from '../../resources/types.js';
import type { PolicyRule } from './policy-rules.js';

const RBAC = 'rbac.authorization.k8s.io';
const READ = ['get', 'list', 'watch'];
const WRITE = ['create', 'delete', 'deletecollection', 'patch', 'update'];
const ALL = [...READ, ...WRITE];

/** The user (and ClusterRole) of the node agent's NetworkPolicy watch. */
export const NETWORK_POLICY_USER = 'system:corral:network-policy';

const r = (verbs: string[], apiGroups: string[], resources: string[]): PolicyRule => ({
  verbs,
  apiGroups,
  resources,
});
const urls = (verbs: string[], nonResourceURLs: string[]): PolicyRule => ({ verbs, nonResourceURLs });

const meta = (name: string, labels: Record<string, string> = {}) => ({
  name,
  labels: { 'kubernetes.io/bootstrapping': 'rbac-defaults', ...labels },
  annotations: { 'rbac.authorization.kubernetes.io/autoupdate': 'true' },
});

const aggregated = (name: string, selects: string, labels: Record<string, string> = {}): KObject => ({
  metadata: meta(name, labels),
  aggregationRule: {
    clusterRoleSelectors: [
      { matchLabels: { [`rbac.authorization.k8s.io/aggregate-to-${selects}`]: 'true' } },
    ],
  },
  rules: [],
});

const role = (name: string, rules: PolicyRule[], labels: Record<string, string> = {}): KObject => ({
  metadata: meta(name, labels),
  rules,
});

export const BOOTSTRAP_CLUSTER_ROLES: KObject[] = [
  role('cluster-admin', [r(['*'], ['*'], ['*']), urls(['*'], ['*'])]),
  role('system:discovery', [
    urls(
      ['get'],
      [
        '/api',
        '/api/*',
        '/apis',
        '/apis/*',
        '/healthz',
        '/livez',
        '/openapi',
        '/openapi/*',
        '/readyz',
        '/version',
        '/version/',
      ],
    ),
  ]),
  role('system:basic-user', [
    r(['create'], ['authorization.k8s.io'], ['selfsubjectaccessreviews', 'selfsubjectrulesreviews']),
    r(['create'], ['authentication.k8s.io'], ['selfsubjectreviews']),
  ]),
  role('system:public-info-viewer', [
    urls(['get'], ['/healthz', '/livez', '/readyz', '/version', '/version/']),
  ]),
  aggregated('admin', 'admin'),
  aggregated('edit', 'edit', { 'rbac.authorization.k8s.io/aggregate-to-admin': 'true' }),
  aggregated('view', 'view', { 'rbac.authorization.k8s.io/aggregate-to-edit': 'true' }),
  role(
    'system:aggregate-to-admin',
    [
      r(['create'], ['authorization.k8s.io'], ['localsubjectaccessreviews']),
      r(ALL, [RBAC], ['rolebindings', 'roles']),
    ],
    { 'rbac.authorization.k8s.io/aggregate-to-admin': 'true' },
  ),
  role(
    'system:aggregate-to-edit',
    [
      r(['impersonate'], [''], ['serviceaccounts']),
      r(WRITE, [''], ['pods', 'pods/attach', 'pods/exec', 'pods/portforward', 'pods/proxy']),
      r(['create'], [''], ['pods/eviction']),
      r(
        WRITE,
        [''],
        [
          'configmaps',
          'events',
          'persistentvolumeclaims',
          'secrets',
          'serviceaccounts',
          'services',
          'services/proxy',
        ],
      ),
      r(['create'], [''], ['serviceaccounts/token']),
      r(
        READ,
        [''],
        ['pods/attach', 'pods/exec', 'pods/portforward', 'pods/proxy', 'secrets', 'services/proxy'],
      ),
      r(WRITE, ['networking.k8s.io'], ['networkpolicies', 'ingresses']),
      r(WRITE, ['policy'], ['poddisruptionbudgets']),
    ],
    { 'rbac.authorization.k8s.io/aggregate-to-edit': 'true' },
  ),
  role(
    'system:aggregate-to-view',
    [
      r(
        READ,
        [''],
        [
          'configmaps',
          'endpoints',
          'persistentvolumeclaims',
          'persistentvolumeclaims/status',
          'pods',
          'services',
          'services/status',
          'serviceaccounts',
        ],
      ),
      r(
        READ,
        [''],
        [
          'bindings',
          'events',
          'limitranges',
          'namespaces/status',
          'pods/log',
          'pods/status',
          'resourcequotas',
          'resourcequotas/status',
        ],
      ),
      r(READ, [''], ['namespaces']),
      r(READ, ['discovery.k8s.io'], ['endpointslices']),
      r(READ, ['networking.k8s.io'], ['ingresses', 'networkpolicies']),
      r(READ, ['policy'], ['poddisruptionbudgets']),
      r(READ, ['events.k8s.io'], ['events']),
    ],
    { 'rbac.authorization.k8s.io/aggregate-to-view': 'true' },
  ),
  // What a kubelet needs; the Node authorizer grants it per node, so nothing binds this role.
  role('system:node', [
    r(['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'], [''], ['nodes']),
    r(['patch', 'update'], [''], ['nodes/status']),
    r(['create', 'patch', 'update'], ['', 'events.k8s.io'], ['events']),
    r(['get', 'list', 'watch'], [''], ['pods']),
    r(['delete'], [''], ['pods']),
    r(['patch', 'update'], [''], ['pods/status']),
    r(['get'], [''], ['configmaps', 'secrets', 'serviceaccounts']),
    r(['create'], [''], ['serviceaccounts/token']),
    r(['create', 'delete', 'get', 'patch', 'update'], ['coordination.k8s.io'], ['leases']),
  ]),
  // NetworkPolicy enforcement on a node needs every namespace, policy and pod (peers on other
  // nodes are named by selectors), more than the Node authorizer gives a node: its own user.
  role(NETWORK_POLICY_USER, [
    r(READ, [''], ['namespaces', 'pods']),
    r(READ, ['networking.k8s.io'], ['networkpolicies']),
  ]),
];

const binding = (name: string, role: string, subjects: Array<{ kind: string; name: string }>): KObject => ({
  metadata: meta(name),
  roleRef: { apiGroup: RBAC, kind: 'ClusterRole', name: role },
  subjects: subjects.map((s) => ({ ...s, apiGroup: RBAC })),
});

export const BOOTSTRAP_CLUSTER_ROLE_BINDINGS: KObject[] = [
  binding('cluster-admin', 'cluster-admin', [{ kind: 'Group', name: 'system:masters' }]),
  binding('system:discovery', 'system:discovery', [{ kind: 'Group', name: 'system:authenticated' }]),
  binding('system:basic-user', 'system:basic-user', [{ kind: 'Group', name: 'system:authenticated' }]),
  binding('system:public-info-viewer', 'system:public-info-viewer', [
    { kind: 'Group', name: 'system:authenticated' },
    { kind: 'Group', name: 'system:unauthenticated' },
  ]),
  binding('system:node', 'system:node', []),
  binding(NETWORK_POLICY_USER, NETWORK_POLICY_USER, [{ kind: 'User', name: NETWORK_POLICY_USER }]),
];

const key = (x: unknown) => JSON.stringify(x);

/** The existing object with what the bootstrap one has and it lacks; undefined if nothing is missing. */
export function reconcileAdditively(existing: KObject, wanted: KObject): KObject | undefined {
  if (existing.metadata.annotations?.['rbac.authorization.kubernetes.io/autoupdate'] === 'false')
    return undefined;
  let changed = false;
  const out: KObject = { ...existing };
  for (const field of ['rules', 'subjects'] as const) {
    const want = (wanted[field] ?? []) as unknown[];
    const have = (existing[field] ?? []) as unknown[];
    const missing = want.filter((w) => !have.some((h) => key(h) === key(w)));
    if (missing.length) {
      out[field] = [...have, ...missing];
      changed = true;
    }
  }
  if (wanted.aggregationRule && !existing.aggregationRule) {
    out.aggregationRule = wanted.aggregationRule;
    changed = true;
  }
  return changed ? out : undefined;
}
