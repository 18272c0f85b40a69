// rbac.authorization.k8s.io/v1 Role, ClusterRole, RoleBinding, ClusterRoleBinding. Stored and
// validated here; the authorizer that evaluates them comes with the RBAC issue.
import { notSupported, required, type FieldError } from '../errors.js';
import { define } from './define.js';
import { printer, str } from './print.js';
import { arr, labelSelector, obj } from './schema.js';
import type { KObject } from './types.js';
import { immutableErrors } from './validation.js';

const rule = obj({
  verbs: arr('string'),
  apiGroups: arr('string'),
  resources: arr('string'),
  resourceNames: arr('string'),
  nonResourceURLs: arr('string'),
});
const subject = obj({ kind: 'string', apiGroup: 'string', name: 'string', namespace: 'string' });
const roleRef = obj({ apiGroup: 'string', kind: 'string', name: 'string' });
type Rule = { verbs?: string[]; apiGroups?: string[]; resources?: string[]; nonResourceURLs?: string[] };
type Subject = { kind?: string; name?: string; namespace?: string; apiGroup?: string };

function ruleErrors(o: KObject, clusterScoped: boolean): FieldError[] {
  const out: FieldError[] = [];
  ((o.rules ?? []) as Rule[]).forEach((r, i) => {
    if (!r.verbs?.length) out.push(required(`rules[${i}].verbs`, 'verbs must contain at least one value'));
    if (r.nonResourceURLs?.length) {
      if (!clusterScoped)
        out.push({
          type: 'FieldValueInvalid',
          field: `rules[${i}].nonResourceURLs`,
          value: r.nonResourceURLs,
          detail: 'namespaced rules cannot apply to non-resource URLs',
        });
    } else if (!r.resources?.length)
      out.push(required(`rules[${i}].resources`, 'resource rules must supply at least one resource'));
    else if (!r.apiGroups)
      out.push(required(`rules[${i}].apiGroups`, 'resource rules must supply at least one api group'));
  });
  return out;
}

function bindingErrors(o: KObject, old: KObject | undefined, clusterScoped: boolean): FieldError[] {
  const out: FieldError[] = [];
  const ref = (o.roleRef ?? {}) as { kind?: string; name?: string; apiGroup?: string };
  const kinds = clusterScoped ? ['ClusterRole'] : ['Role', 'ClusterRole'];
  if (!ref.kind) out.push(required('roleRef.kind'));
  else if (!kinds.includes(ref.kind)) out.push(notSupported('roleRef.kind', ref.kind, kinds));
  if (!ref.name) out.push(required('roleRef.name'));
  if (ref.apiGroup !== 'rbac.authorization.k8s.io')
    out.push(notSupported('roleRef.apiGroup', ref.apiGroup ?? '', ['rbac.authorization.k8s.io']));
  ((o.subjects ?? []) as Subject[]).forEach((s, i) => {
    if (!s.name) out.push(required(`subjects[${i}].name`));
    if (!['User', 'Group', 'ServiceAccount'].includes(s.kind ?? ''))
      out.push(notSupported(`subjects[${i}].kind`, s.kind ?? '', ['ServiceAccount', 'User', 'Group']));
    if (s.kind === 'ServiceAccount' && clusterScoped && !s.namespace)
      out.push(required(`subjects[${i}].namespace`));
  });
  if (old) {
    const e = immutableErrors(o, old, ['roleRef']);
    if (e.length)
      out.push({
        type: 'FieldValueInvalid',
        field: 'roleRef',
        value: o.roleRef,
        detail: 'cannot change roleRef',
      });
  }
  return out;
}

function bindingDefaults(o: KObject): void {
  for (const s of (o.subjects ?? []) as Subject[]) {
    if (s.kind === 'User' || s.kind === 'Group') s.apiGroup ??= 'rbac.authorization.k8s.io';
    if (s.kind === 'ServiceAccount') s.apiGroup ??= '';
  }
}

const who = (o: KObject, kind: string) =>
  ((o.subjects ?? []) as Subject[])
    .filter((s) => s.kind === kind)
    .map((s) => (kind === 'ServiceAccount' ? `${s.namespace ?? ''}/${s.name}` : s.name))
    .join(', ');
const bindingTable = printer(
  [
    str(
      'Role',
      (o) => `${(o.roleRef as Subject | undefined)?.kind}/${(o.roleRef as Subject | undefined)?.name}`,
      'Role',
    ),
  ],
  [
    str('Users', (o) => who(o, 'User'), 'Users'),
    str('Groups', (o) => who(o, 'Group'), 'Groups'),
    str('ServiceAccounts', (o) => who(o, 'ServiceAccount'), 'ServiceAccounts'),
  ],
);
const group = 'rbac.authorization.k8s.io';

export const roles = define({
  group,
  version: 'v1',
  kind: 'Role',
  plural: 'roles',
  namespaced: true,
  description: 'Role is a namespaced, logical grouping of PolicyRules.',
  schema: { rules: arr(rule) },
  strategy: { validate: (o) => ruleErrors(o, false) },
});

export const clusterroles = define({
  group,
  version: 'v1',
  kind: 'ClusterRole',
  plural: 'clusterroles',
  namespaced: false,
  description: 'ClusterRole is a cluster level, logical grouping of PolicyRules.',
  schema: { rules: arr(rule), aggregationRule: obj({ clusterRoleSelectors: arr(labelSelector) }) },
  strategy: { validate: (o) => ruleErrors(o, true) },
});

export const rolebindings = define({
  group,
  version: 'v1',
  kind: 'RoleBinding',
  plural: 'rolebindings',
  namespaced: true,
  description: 'RoleBinding references a role, but does not contain it.',
  schema: { subjects: arr(subject), roleRef },
  strategy: {
    defaults: bindingDefaults,
    validate: (o, old) => bindingErrors(o, old, false),
    table: bindingTable,
  },
});

export const clusterrolebindings = define({
  group,
  version: 'v1',
  kind: 'ClusterRoleBinding',
  plural: 'clusterrolebindings',
  namespaced: false,
  description: 'ClusterRoleBinding references a ClusterRole, but not contain it.',
  schema: { subjects: arr(subject), roleRef },
  strategy: {
    defaults: bindingDefaults,
    validate: (o, old) => bindingErrors(o, old, true),
    table: bindingTable,
  },
});
