// Who is calling: the client certificate's CN/O (as kube-apiserver's x509 authenticator), then
// impersonation headers. Plain-HTTP test servers treat every caller as the admin.
import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { ApiError } from '../errors.js';
import type { UserInfo } from '../resources/types.js';

export const ADMIN: UserInfo = { username: 'admin', groups: ['system:masters', 'system:authenticated'] };
const ANONYMOUS: UserInfo = { username: 'system:anonymous', groups: ['system:unauthenticated'] };

export function authenticate(req: IncomingMessage, insecure: boolean): UserInfo {
  let user = insecure ? ADMIN : ANONYMOUS;
  const sock = req.socket as TLSSocket;
  if (typeof sock.getPeerCertificate === 'function' && sock.authorized) {
    const cert = sock.getPeerCertificate();
    const subject = cert?.subject as unknown as Record<string, string | string[]> | undefined;
    if (subject?.CN) {
      const o = subject.O;
      const groups = o === undefined ? [] : Array.isArray(o) ? o : [o];
      user = { username: String(subject.CN), groups: [...groups, 'system:authenticated'] };
    }
  }
  const as = header(req, 'impersonate-user');
  if (as) {
    // Who may impersonate is RBAC's decision (a later issue); until then every caller may.
    const groups = (req.headersDistinct['impersonate-group'] ?? [])
      .flatMap((g) => g.split(',').map((x) => x.trim()))
      .filter(Boolean);
    user = {
      username: as,
      groups: [...groups, ...(as === 'system:anonymous' ? [] : ['system:authenticated'])],
    };
  } else if (req.headers['impersonate-group']) {
    throw new ApiError(
      500,
      'InternalError',
      'Internal error occurred: requested [{Group  ...}] without impersonating a user',
    );
  }
  return user;
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}
