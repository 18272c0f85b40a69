// An HTTPS API server with real certificates (a CA made by ensurePki in a temp dir), RBAC on, and
// a client that calls it as a given identity: a client certificate, a bearer token, or nothing.
import https from 'node:https';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureSigningKey } from '../../../src/api/auth/jwt.js';
import { ApiServer, type ApiServerOptions } from '../../../src/api/server/api-server.js';
import { ensurePki, issueClientCert, type Pki } from '../../../src/api/server/pki.js';
import { MemoryStorage } from '../support/memory-storage.js';

export interface Reply {
  status: number;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

export type Identity = { cert: string; key: string } | { token: string } | Record<string, never>;

export interface Caller {
  call(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<Reply>;
  /** Opens a watch and resolves with its status once headers arrive (the stream is then closed). */
  watchStatus(path: string): Promise<number>;
}

export interface SecureApi {
  server: ApiServer;
  storage: MemoryStorage;
  dir: string;
  pki: Pki;
  as(id: Identity): Caller;
  /** A caller with a fresh client certificate for user/groups signed by the cluster CA. */
  user(name: string, groups?: string[]): Promise<Caller>;
  admin: Caller;
  stop(): Promise<void>;
}

export async function startSecureApi(
  opts: Partial<ApiServerOptions> = {},
  reuse?: { dir: string; storage: MemoryStorage },
): Promise<SecureApi> {
  const dir = reuse?.dir ?? mkdtempSync(join(tmpdir(), 'corral-auth-'));
  const storage = reuse?.storage ?? new MemoryStorage();
  try {
    const pki = await ensurePki(dir, '127.0.0.1');
    const server = await ApiServer.start({
      storage,
      log: () => {},
      compactEveryMs: 0,
      scheduler: false,
      tls: { cert: pki.serverCert, key: pki.serverKey, ca: pki.caCert },
      serviceAccountKey: await ensureSigningKey(dir),
      ...opts,
    });
    const as = (id: Identity): Caller => {
      const request = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
        new Promise<{ status: number; res: import('node:http').IncomingMessage }>((resolve, reject) => {
          const data =
            body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
          const req = https.request(`${server.url}${path}`, {
            method,
            ca: pki.caCert,
            ...('cert' in id ? { cert: id.cert, key: id.key } : {}),
            headers: {
              ...(data !== undefined ? { 'Content-Type': 'application/json' } : {}),
              ...('token' in id ? { Authorization: `Bearer ${id.token}` } : {}),
              ...headers,
            },
            agent: false,
          });
          req.on('response', (res) => resolve({ status: res.statusCode ?? 0, res }));
          req.on('error', reject);
          req.end(data);
        });
      return {
        async call(method, path, body, headers) {
          const { status, res } = await request(method, path, body, headers);
          let text = '';
          for await (const c of res) text += (c as Buffer).toString();
          let parsed: unknown = text;
          try {
            parsed = JSON.parse(text);
          } catch {
            // not JSON
          }
          return { status, body: parsed };
        },
        async watchStatus(path) {
          const { status, res } = await request('GET', path);
          res.destroy();
          return status;
        },
      };
    };
    return {
      server,
      storage,
      dir,
      pki,
      as,
      admin: as({ cert: pki.adminCert, key: pki.adminKey }),
      async user(name, groups = []) {
        const c = await issueClientCert(dir, name, groups);
        return as({ cert: c.cert, key: c.key });
      },
      async stop() {
        await server.stop();
        if (!reuse) rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (e) {
    if (!reuse) rmSync(dir, { recursive: true, force: true });
    throw e;
  }
}

export const rbac = 'rbac.authorization.k8s.io';

export const roleBinding = (
  name: string,
  ns: string,
  role: { kind: 'Role' | 'ClusterRole'; name: string },
  subjects: Array<{ kind: string; name: string; namespace?: string }>,
) => ({
  apiVersion: `${rbac}/v1`,
  kind: 'RoleBinding',
  metadata: { name, namespace: ns },
  roleRef: { apiGroup: rbac, ...role },
  subjects: subjects.map((s) => (s.kind === 'ServiceAccount' ? s : { apiGroup: rbac, ...s })),
});

export const clusterRole = (name: string, rules: unknown[]) => ({
  apiVersion: `${rbac}/v1`,
  kind: 'ClusterRole',
  metadata: { name },
  rules,
});
