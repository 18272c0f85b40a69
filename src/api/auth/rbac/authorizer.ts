// The RBAC authorizer (plugin/pkg/auth/authorizer/rbac): allowed when some rule bound to the user
// matches the request; the reason names the binding, as `kubectl auth can-i` shows it.
import type { Authorizer } from '../types.js';
import { ruleAllows } from './policy-rules.js';
import type { RuleResolver, RuleSource, Subject } from './resolver.js';

const describeSubject = (s: Subject) =>
  `${s.kind} ${JSON.stringify(s.namespace ? `${s.name}/${s.namespace}` : (s.name ?? ''))}`;

function describe(src: RuleSource): string {
  const b = src.binding;
  const ref = (b.roleRef ?? {}) as { kind?: string; name?: string };
  const name =
    src.bindingKind === 'RoleBinding' ? `${b.metadata.name}/${b.metadata.namespace}` : b.metadata.name;
  return `${src.bindingKind} ${JSON.stringify(name)} of ${ref.kind} ${JSON.stringify(ref.name ?? '')} to ${describeSubject(src.subject)}`;
}

export function rbacAuthorizer(resolver: RuleResolver): Authorizer {
  return async (a) => {
    let reason = '';
    const allowed = await resolver.visitRulesFor(a.user, a.namespace, (rule, src) => {
      if (!ruleAllows(a, rule)) return false;
      reason = `RBAC: allowed by ${describe(src)}`;
      return true;
    });
    return { allowed, reason };
  };
}
