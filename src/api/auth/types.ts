// The authorization hook point: every resource request is checked before it is handled, and the
// access-review APIs ask the same authorizer. The RBAC authorizer (a later issue) implements it;
// until then everything is allowed, as kube-apiserver's AlwaysAllow mode.
import type { UserInfo } from '../resources/types.js';

export interface AuthzAttributes {
  user: UserInfo;
  verb: string;
  namespace: string;
  apiGroup: string;
  resource: string;
  subresource: string;
  name: string;
  /** Set for non-resource requests (/healthz, /version). */
  path?: string;
}

export interface Decision {
  allowed: boolean;
  reason?: string;
}

export type Authorizer = (a: AuthzAttributes) => Decision | Promise<Decision>;

export const alwaysAllow: Authorizer = () => ({
  allowed: true,
  reason: 'no authorizer configured yet: every request is allowed',
});

/** Kubernetes' Forbidden message for a denied resource request. */
export function forbiddenMessage(a: AuthzAttributes): string {
  const resource = a.subresource ? `${a.resource}/${a.subresource}` : a.resource;
  const scope = a.namespace ? `in the namespace "${a.namespace}"` : 'at the cluster scope';
  return `User "${a.user.username}" cannot ${a.verb} resource "${resource}" in API group "${a.apiGroup}" ${scope}`;
}
