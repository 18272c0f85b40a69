// Which rules apply to a user in a namespace (pkg/registry/rbac/validation DefaultRuleResolver):
// every ClusterRoleBinding naming the user, then every RoleBinding of the namespace naming them,
// each expanded to the rules of the Role or ClusterRole it references. A ClusterRole with an
// aggregationRule is the union of the ClusterRoles its selectors pick (evaluated on read, so
// aggregated roles follow edits without a controller).
import { ApiError } from '../../errors.js';
import type { Store } from '../../registry/store.js';
import { clusterrolebindings, clusterroles, rolebindings, roles } from '../../resources/rbac.js';
import type { KObject, ResourceDef, UserInfo } from '../../resources/types.js';
import { labelSelectorFromObject, type LabelSelectorObject } from '../../selectors/index.js';
import type { PolicyRule } from './policy-rules.js';

export interface Subject {
  kind?: string;
  name?: string;
  namespace?: string;
}
export interface RoleRef {
  kind?: string;
  name?: string;
}

/** What a rule came from, for the `allowed by ...` reason. */
export interface RuleSource {
  binding: KObject;
  /** RoleBinding or ClusterRoleBinding. */
  bindingKind: string;
  subject: Subject;
}

export const serviceAccountUsername = (ns: string, name: string) => `system:serviceaccount:${ns}:${name}`;

function appliesTo(user: UserInfo, s: Subject, bindingNamespace: string): boolean {
  switch (s.kind) {
    case 'User':
      return s.name === user.username;
    case 'Group':
      return !!s.name && user.groups.includes(s.name);
    case 'ServiceAccount':
      return serviceAccountUsername(s.namespace || bindingNamespace, s.name ?? '') === user.username;
    default:
      return false;
  }
}

export class RuleResolver {
  constructor(private readonly stores: Map<ResourceDef, Store>) {}

  private store(def: ResourceDef): Store {
    return this.stores.get(def)!;
  }

  private async getOrUndefined(def: ResourceDef, ns: string, name: string): Promise<KObject | undefined> {
    try {
      return await this.store(def).get(ns, name);
    } catch (e) {
      if (e instanceof ApiError && e.code === 404) return undefined;
      throw e;
    }
  }

  /** The rules of a ClusterRole, following its aggregationRule. */
  async clusterRoleRules(role: KObject, seen = new Set<string>()): Promise<PolicyRule[]> {
    const own = (role.rules ?? []) as PolicyRule[];
    const agg = role.aggregationRule as { clusterRoleSelectors?: LabelSelectorObject[] } | undefined;
    if (!agg?.clusterRoleSelectors?.length) return own;
    seen.add(role.metadata.name ?? '');
    const selectors = agg.clusterRoleSelectors.map((s) => labelSelectorFromObject(s));
    const out = [...own];
    const all = (await this.store(clusterroles).list()).items;
    for (const other of all) {
      const name = other.metadata.name ?? '';
      if (seen.has(name)) continue;
      const labels = other.metadata.labels ?? {};
      if (!selectors.some((s) => s.matches(labels))) continue;
      seen.add(name);
      out.push(...(await this.clusterRoleRules(other, seen)));
    }
    return out;
  }

  /** The rules a roleRef names; a missing role has none (as Kubernetes: bindings may dangle). */
  async roleRefRules(ref: RoleRef, namespace: string): Promise<PolicyRule[]> {
    if (ref.kind === 'Role') {
      const r = await this.getOrUndefined(roles, namespace, ref.name ?? '');
      return (r?.rules ?? []) as PolicyRule[];
    }
    const r = await this.getOrUndefined(clusterroles, '', ref.name ?? '');
    return r ? this.clusterRoleRules(r) : [];
  }

  /**
   * Calls `visit` with each rule that applies to the user in the namespace ('' = cluster scope
   * only); stops as soon as `visit` returns true.
   */
  async visitRulesFor(
    user: UserInfo,
    namespace: string,
    visit: (rule: PolicyRule, source: RuleSource) => boolean,
  ): Promise<boolean> {
    const scopes: Array<{ def: ResourceDef; ns: string; kind: string }> = [
      { def: clusterrolebindings, ns: '', kind: 'ClusterRoleBinding' },
    ];
    if (namespace) scopes.push({ def: rolebindings, ns: namespace, kind: 'RoleBinding' });
    for (const scope of scopes) {
      const bindings = (await this.store(scope.def).list({ namespace: scope.ns || undefined })).items;
      for (const b of bindings) {
        const subject = ((b.subjects ?? []) as Subject[]).find((s) => appliesTo(user, s, scope.ns));
        if (!subject) continue;
        const rules = await this.roleRefRules((b.roleRef ?? {}) as RoleRef, scope.ns);
        for (const rule of rules)
          if (visit(rule, { binding: b, bindingKind: scope.kind, subject })) return true;
      }
    }
    return false;
  }

  async rulesFor(user: UserInfo, namespace: string): Promise<PolicyRule[]> {
    const out: PolicyRule[] = [];
    await this.visitRulesFor(user, namespace, (r) => {
      out.push(r);
      return false;
    });
    return out;
  }
}
