// Who is calling, as kube-apiserver's authentication chain decides it: a client certificate
// signed by the cluster CA (CN = user, O = groups), else a bearer token (the static token file,
// then ServiceAccount JWTs), else anonymous when allowed. Then impersonation headers, each
// authorized as verb `impersonate` on users/groups/serviceaccounts/uids/userextras.
import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import type { ServiceAccountTokens } from '../auth/service-account-tokens.js';
import { serviceAccountGroups } from '../auth/service-account-tokens.js';
import { forbiddenError, type Authorizer, type AuthzAttributes } from '../auth/types.js';
import { ApiError } from '../errors.js';
import type { UserInfo } from '../resources/types.js';

export const ADMIN: UserInfo = { username: 'admin', groups: ['system:masters', 'system:authenticated'] };
const ANONYMOUS: UserInfo = { username: 'system:anonymous', groups: ['system:unauthenticated'] };

export interface Authentication {
  /** Plain-HTTP test mode: a caller presenting no credentials is the admin. */
  insecureAdmin: boolean;
  /** --anonymous-auth: a caller presenting no credentials is system:anonymous (else 401). */
  anonymous: boolean;
  /** --token-auth-file entries by token. */
  tokens: Map<string, UserInfo>;
  serviceAccounts?: ServiceAccountTokens;
}

const unauthorized = () => new ApiError(401, 'Unauthorized', 'Unauthorized');

/**
 * The client certificate's user, once per connection: a TLS connection's peer certificate cannot
 * change, and decoding it costs more than the rest of a GET. null = no certificate; 'invalid' =
 * one the CA did not sign, or without a CN.
 */
const certUsers = new WeakMap<TLSSocket, UserInfo | null | 'invalid'>();

function certUser(sock: TLSSocket): UserInfo | null | 'invalid' {
  let u = certUsers.get(sock);
  if (u !== undefined) return u;
  u = null;
  const cert = sock.getPeerCertificate();
  if (cert && Object.keys(cert).length > 0) {
    const subject = cert.subject as unknown as Record<string, string | string[]> | undefined;
    // A certificate the CA did not sign is a failed login, not an anonymous one.
    if (!sock.authorized || !subject?.CN) u = 'invalid';
    else {
      const o = subject.O;
      const groups = o === undefined ? [] : Array.isArray(o) ? o : [o];
      u = { username: String(subject.CN), groups: [...groups, 'system:authenticated'] };
    }
  }
  certUsers.set(sock, u);
  return u;
}

async function whoIs(req: IncomingMessage, authn: Authentication): Promise<UserInfo> {
  const sock = req.socket as TLSSocket;
  if (typeof sock.getPeerCertificate === 'function') {
    const u = certUser(sock);
    if (u === 'invalid') throw unauthorized();
    if (u) return { username: u.username, groups: [...u.groups] };
  }
  const auth = header(req, 'authorization');
  const m = auth ? /^Bearer\s+(\S+)\s*$/i.exec(auth) : null;
  if (m) {
    const token = m[1]!;
    const fromFile = authn.tokens.get(token);
    if (fromFile) return fromFile;
    const sa = await authn.serviceAccounts?.authenticate(token);
    if (sa) return sa;
    throw unauthorized();
  }
  if (authn.insecureAdmin) return ADMIN;
  if (authn.anonymous) return ANONYMOUS;
  throw unauthorized();
}

export async function authenticate(
  req: IncomingMessage,
  authn: Authentication,
  authorize: Authorizer,
): Promise<UserInfo> {
  const user = await whoIs(req, authn);
  const as = header(req, 'impersonate-user');
  const groups = (req.headersDistinct['impersonate-group'] ?? []).map((g) => g.trim()).filter(Boolean);
  const uid = header(req, 'impersonate-uid');
  const extras = Object.keys(req.headers).filter((h) => h.startsWith('impersonate-extra-'));
  if (!as) {
    if (groups.length || uid || extras.length)
      throw new ApiError(
        500,
        'InternalError',
        'Internal error occurred: requested impersonation of groups, uid or extra without impersonating a user',
      );
    return user;
  }
  const checks: AuthzAttributes[] = [];
  const attrs = (resource: string, name: string, namespace = '', apiGroup = ''): AuthzAttributes => ({
    user,
    verb: 'impersonate',
    namespace,
    apiGroup,
    resource,
    subresource: '',
    name,
  });
  let out: UserInfo;
  const sa = /^system:serviceaccount:([^:]+):([^:]+)$/.exec(as);
  if (sa) {
    checks.push(attrs('serviceaccounts', sa[2]!, sa[1]!));
    out = {
      username: as,
      groups: [...serviceAccountGroups(sa[1]!).filter((g) => g !== 'system:authenticated')],
    };
  } else {
    checks.push(attrs('users', as));
    out = { username: as, groups: [] };
  }
  for (const g of groups) {
    checks.push(attrs('groups', g));
    if (!out.groups.includes(g)) out.groups.push(g);
  }
  if (uid) {
    checks.push(attrs('uids', uid, '', 'authentication.k8s.io'));
    out.uid = uid;
  }
  for (const h of extras)
    for (const v of req.headersDistinct[h] ?? [])
      checks.push({
        ...attrs('userextras', v, '', 'authentication.k8s.io'),
        subresource: decodeURIComponent(h.slice('impersonate-extra-'.length)),
      });
  for (const a of checks) {
    const d = await authorize(a);
    if (!d.allowed) throw forbiddenError(a);
  }
  const extra = as === ANONYMOUS.username ? 'system:unauthenticated' : 'system:authenticated';
  if (!out.groups.includes(extra)) out.groups.push(extra);
  return out;
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}
