// The authorization hook point: every request (resource or not) is checked before it is handled,
// and the access-review APIs ask the same authorizer. kube-apiserver's modes: AlwaysAllow, or the
// chain of system:masters → Node → RBAC (rbac/authorizer.ts, node-authorizer.ts).
import { ApiError, qualified } from '../errors.js';
import type { AuthzAttributes } from '../resources/types.js';

// Defined with the resource types, which the review APIs (below this module) answer with.
export type { AuthzAttributes };

export interface Decision {
  allowed: boolean;
  reason?: string;
  /** Set by an authorizer that refuses outright (the chain stops); default: no opinion. */
  denied?: boolean;
}

export type Authorizer = (a: AuthzAttributes) => Decision | Promise<Decision>;

export const alwaysAllow: Authorizer = () => ({ allowed: true, reason: '' });

/** The group whose members may do anything, before any other authorizer is asked. */
export const PRIVILEGED_GROUP = 'system:masters';

export const privilegedGroups: Authorizer = (a) =>
  a.user.groups.includes(PRIVILEGED_GROUP) ? { allowed: true, reason: '' } : { allowed: false };

/** The first authorizer that allows or denies decides; if none has an opinion the answer is no. */
export function unionAuthorizer(...chain: Authorizer[]): Authorizer {
  return async (a) => {
    const reasons: string[] = [];
    for (const authz of chain) {
      const d = await authz(a);
      if (d.allowed || d.denied) return d;
      if (d.reason) reasons.push(d.reason);
    }
    return { allowed: false, reason: reasons.join('\n') };
  };
}

/** Kubernetes' Forbidden message for a denied request. */
export function forbiddenMessage(a: AuthzAttributes): string {
  if (a.path !== undefined) return `User "${a.user.username}" cannot ${a.verb} path "${a.path}"`;
  const resource = a.subresource ? `${a.resource}/${a.subresource}` : a.resource;
  const scope = a.namespace ? `in the namespace "${a.namespace}"` : 'at the cluster scope';
  return `User "${a.user.username}" cannot ${a.verb} resource "${resource}" in API group "${a.apiGroup}" ${scope}`;
}

/**
 * The 403 Status for a denied request: `pods "web" is forbidden: User ...` with details naming
 * the resource (no empty name, as apimachinery omits it); `forbidden: User ... path` otherwise.
 */
export function forbiddenError(a: AuthzAttributes): ApiError {
  if (a.path !== undefined) return new ApiError(403, 'Forbidden', `forbidden: ${forbiddenMessage(a)}`, {});
  const gr = { group: a.apiGroup, plural: a.resource };
  return new ApiError(
    403,
    'Forbidden',
    `${qualified(gr)}${a.name ? ` "${a.name}"` : ''} is forbidden: ${forbiddenMessage(a)}`,
    { ...(a.name ? { name: a.name } : {}), ...(a.apiGroup ? { group: a.apiGroup } : {}), kind: a.resource },
  );
}
