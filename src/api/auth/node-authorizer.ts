// The Node authorizer (plugin/pkg/auth/authorizer/node): a kubelet's user `system:node:<name>` in
// group `system:nodes` may read nodes, write its own Node and Lease, read the pods and write the
// status of the pods bound to it, write events, and get the secrets, configmaps and
// serviceaccount tokens its pods reference. Anything else gets no opinion here (RBAC decides,
// and binds nothing to system:nodes by default). Which Node or Lease a create makes is checked
// at admission (node-restriction.ts), since the authorizer never sees a request body.
import { ApiError } from '../errors.js';
import type { Store } from '../registry/store.js';
import { pods } from '../resources/pods.js';
import type { KObject, ResourceDef } from '../resources/types.js';
import type { AuthzAttributes, Authorizer, Decision } from './types.js';

const NODES_GROUP = 'system:nodes';
const PREFIX = 'system:node:';

/** The node a user acts for, or undefined when it is not a node's user. */
export function nodeNameOf(user: { username: string; groups: string[] }): string | undefined {
  if (!user.groups.includes(NODES_GROUP) || !user.username.startsWith(PREFIX)) return undefined;
  return user.username.slice(PREFIX.length) || undefined;
}

const READ = ['get', 'list', 'watch'];
const WRITE = ['create', 'update', 'patch', 'delete'];

type Refs = { secrets: Set<string>; configmaps: Set<string>; serviceaccounts: Set<string> };

/** The secrets, configmaps and serviceaccount a pod uses (volumes, env, envFrom, pull secrets). */
function podReferences(pod: KObject, refs: Refs): void {
  const spec = (pod.spec ?? {}) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  refs.serviceaccounts.add(String(spec.serviceAccountName || 'default'));
  for (const s of spec.imagePullSecrets ?? []) if (s?.name) refs.secrets.add(s.name);
  for (const v of spec.volumes ?? []) {
    if (v?.secret?.secretName) refs.secrets.add(v.secret.secretName);
    if (v?.configMap?.name) refs.configmaps.add(v.configMap.name);
    for (const src of v?.projected?.sources ?? []) {
      if (src?.secret?.name) refs.secrets.add(src.secret.name);
      if (src?.configMap?.name) refs.configmaps.add(src.configMap.name);
    }
  }
  for (const c of [...(spec.containers ?? []), ...(spec.initContainers ?? [])]) {
    for (const e of c?.env ?? []) {
      if (e?.valueFrom?.secretKeyRef?.name) refs.secrets.add(e.valueFrom.secretKeyRef.name);
      if (e?.valueFrom?.configMapKeyRef?.name) refs.configmaps.add(e.valueFrom.configMapKeyRef.name);
    }
    for (const f of c?.envFrom ?? []) {
      if (f?.secretRef?.name) refs.secrets.add(f.secretRef.name);
      if (f?.configMapRef?.name) refs.configmaps.add(f.configMapRef.name);
    }
  }
}

export function nodeAuthorizer(stores: Map<ResourceDef, Store>): Authorizer {
  const podStore = stores.get(pods)!;
  const boundPods = async (node: string, ns: string) =>
    (await podStore.list({ namespace: ns })).items.filter(
      (p) => (p.spec as { nodeName?: string } | undefined)?.nodeName === node,
    );
  const boundPod = async (node: string, ns: string, name: string) => {
    try {
      const p = await podStore.get(ns, name);
      return (p.spec as { nodeName?: string } | undefined)?.nodeName === node;
    } catch (e) {
      if (e instanceof ApiError && e.code === 404) return false;
      throw e;
    }
  };

  return async (a: AuthzAttributes): Promise<Decision> => {
    const node = nodeNameOf(a.user);
    if (!node || a.path !== undefined) return { allowed: false };
    const allow: Decision = { allowed: true, reason: '' };
    const no = (why: string): Decision => ({ allowed: false, reason: `node "${node}" ${why}` });
    const core = a.apiGroup === '';
    switch (`${a.apiGroup}/${a.resource}`) {
      case '/nodes':
        if (READ.includes(a.verb) && !a.subresource) return allow;
        if (a.verb === 'create' && !a.subresource) return allow;
        if (WRITE.includes(a.verb) && a.name === node && ['', 'status'].includes(a.subresource)) return allow;
        return no(`cannot modify node "${a.name}"`);
      case 'coordination.k8s.io/leases':
        if (a.namespace !== 'kube-node-lease') return no('can only access leases in kube-node-lease');
        if (a.verb === 'create' && !a.name) return allow;
        if ([...WRITE, 'get'].includes(a.verb) && a.name === node) return allow;
        return no(`can only access its own lease`);
      case '/events':
      case 'events.k8s.io/events':
        return ['create', 'update', 'patch'].includes(a.verb) ? allow : { allowed: false };
      case '/pods': {
        if ((a.verb === 'list' || a.verb === 'watch') && !a.subresource) return allow;
        const mayTouch = ['get', 'delete'].includes(a.verb) && !a.subresource;
        const status = ['get', 'update', 'patch'].includes(a.verb) && a.subresource === 'status';
        if ((mayTouch || status) && (await boundPod(node, a.namespace, a.name))) return allow;
        return no(`can only access pods bound to it`);
      }
      case '/secrets':
      case '/configmaps':
      case '/serviceaccounts': {
        if (!core) return { allowed: false };
        const want =
          a.resource === 'serviceaccounts'
            ? a.verb === 'create' && a.subresource === 'token'
            : a.verb === 'get' && !a.subresource;
        if (!want || !a.name) return no(`can only get individual ${a.resource} its pods reference`);
        const refs: Refs = { secrets: new Set(), configmaps: new Set(), serviceaccounts: new Set() };
        for (const p of await boundPods(node, a.namespace)) podReferences(p, refs);
        if (refs[a.resource as keyof Refs].has(a.name)) return allow;
        return no(`has no relationship with ${a.resource.replace(/s$/, '')} "${a.namespace}/${a.name}"`);
      }
      default:
        return { allowed: false };
    }
  };
}
