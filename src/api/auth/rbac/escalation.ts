// RBAC escalation prevention (pkg/registry/rbac/{role,clusterrole,rolebinding,...}/policybased):
// writing a Role/ClusterRole needs every permission it grants (or verb `escalate` on it), and
// writing a binding needs the referenced role's permissions (or verb `bind` on it). Members of
// system:masters, and the server's own writers, may do anything. Runs as an admission step, where
// the object after defaulting (and after a patch is applied) is known.
import type { Admission, AdmissionAttributes } from '../../admission/types.js';
import { forbidden } from '../../errors.js';
import { sameJSON } from '../../resources/canonical.js';
import type { UserInfo } from '../../resources/types.js';
import { PRIVILEGED_GROUP, type Authorizer } from '../types.js';
import { compactString, uncovered, type PolicyRule } from './policy-rules.js';
import type { RoleRef, RuleResolver } from './resolver.js';

const GROUP = 'rbac.authorization.k8s.io';
const FULL_AUTHORITY: PolicyRule[] = [
  { verbs: ['*'], apiGroups: ['*'], resources: ['*'] },
  { verbs: ['*'], nonResourceURLs: ['*'] },
];

function escalationMessage(user: UserInfo, missing: PolicyRule[]): string {
  const groups = `[${user.groups.map((g) => JSON.stringify(g)).join(' ')}]`;
  const lines = [...new Set(missing.map(compactString))].sort();
  return `user ${JSON.stringify(user.username)} (groups=${groups}) is attempting to grant RBAC permissions not currently held:\n${lines.join('\n')}`;
}

export function rbacEscalationCheck(resolver: RuleResolver, authorize: Authorizer): Admission {
  return async (a: AdmissionAttributes) => {
    if (a.def.group !== GROUP || (a.operation !== 'CREATE' && a.operation !== 'UPDATE') || !a.obj) return;
    if (a.user.groups.includes(PRIVILEGED_GROUP)) return;
    const o = a.obj;
    const name = o.metadata.name ?? a.name;
    const gr = { group: GROUP, plural: a.def.plural };
    const namespace = a.def.namespaced ? a.namespace : '';
    const may = async (verb: string, resource: string, ns: string, n: string) =>
      (
        await authorize({
          user: a.user,
          verb,
          namespace: ns,
          apiGroup: GROUP,
          resource,
          subresource: '',
          name: n,
        })
      ).allowed;
    const confirm = async (rules: PolicyRule[], ns: string, why?: string) => {
      const missing = uncovered(await resolver.rulesFor(a.user, ns), rules);
      if (missing.length) throw forbidden(gr, name, why ?? escalationMessage(a.user, missing));
    };

    if (a.def.plural === 'roles' || a.def.plural === 'clusterroles') {
      const changed = (f: string) => !a.old || !sameJSON(a.old[f] ?? null, o[f] ?? null);
      if (!changed('rules') && !changed('aggregationRule')) return;
      if (await may('escalate', a.def.plural, namespace, name)) return;
      // An aggregation rule can gather anything, so it takes full authority (as Kubernetes).
      if (o.aggregationRule)
        await confirm(FULL_AUTHORITY, '', 'must have cluster-admin privileges to use the aggregationRule');
      await confirm((o.rules ?? []) as PolicyRule[], namespace);
      return;
    }
    if (a.def.plural === 'rolebindings' || a.def.plural === 'clusterrolebindings') {
      if (a.old && sameJSON(a.old.subjects ?? null, o.subjects ?? null) && sameJSON(a.old.roleRef, o.roleRef))
        return;
      const ref = (o.roleRef ?? {}) as RoleRef;
      const resource = ref.kind === 'Role' ? 'roles' : 'clusterroles';
      if (await may('bind', resource, namespace, ref.name ?? '')) return;
      await confirm(await resolver.roleRefRules(ref, namespace), namespace);
    }
  };
}
