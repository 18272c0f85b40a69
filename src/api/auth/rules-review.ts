// SelfSubjectRulesReview's answer: the rules a user holds in a namespace, split into resource and
// non-resource rules as Kubernetes' RulesFor does. AlwaysAllow answers "everything".
import type { UserInfo } from '../resources/types.js';
import type { PolicyRule } from './rbac/policy-rules.js';
import type { RuleResolver } from './rbac/resolver.js';

export interface RulesReviewStatus {
  resourceRules: PolicyRule[];
  nonResourceRules: PolicyRule[];
  incomplete: boolean;
  evaluationError?: string;
}

export type RulesReview = (user: UserInfo, namespace: string) => Promise<RulesReviewStatus>;

export const allowAllRules: RulesReview = () =>
  Promise.resolve({
    resourceRules: [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }],
    nonResourceRules: [{ verbs: ['*'], nonResourceURLs: ['*'] }],
    incomplete: false,
  });

export function rbacRules(resolver: RuleResolver): RulesReview {
  return async (user, namespace) => {
    const out: RulesReviewStatus = { resourceRules: [], nonResourceRules: [], incomplete: false };
    for (const r of await resolver.rulesFor(user, namespace)) {
      if (r.resources?.length)
        out.resourceRules.push({
          verbs: r.verbs ?? [],
          apiGroups: r.apiGroups ?? [],
          resources: r.resources,
          ...(r.resourceNames?.length ? { resourceNames: r.resourceNames } : {}),
        });
      if (r.nonResourceURLs?.length)
        out.nonResourceRules.push({ verbs: r.verbs ?? [], nonResourceURLs: r.nonResourceURLs });
    }
    return out;
  };
}
