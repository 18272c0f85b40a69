// A secure API server for node-agent tests and kubeconfig files for the agent's identities
// (client certificates signed by that server's CA), kept in the server's temp dir.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { kubeconfigFor } from '../../../src/api/server/kubeconfig.js';
import { issueClientCert } from '../../../src/api/server/pki.js';
import type { SecureApi } from '../../api/auth/support.js';

let seq = 0;

export async function kubeconfigFile(api: SecureApi, user: string, groups: string[] = []): Promise<string> {
  const c = await issueClientCert(api.dir, user, groups);
  const path = join(api.dir, `kubeconfig-${++seq}`);
  const text = kubeconfigFor({
    server: api.server.url,
    caCert: c.caCert,
    clientCert: c.cert,
    clientKey: c.key,
    user,
  });
  writeFileSync(path, text, { mode: 0o600 });
  return path;
}

/** The user a bearer token authenticates as (SelfSubjectReview), or the HTTP status on failure. */
export async function whoAmI(api: SecureApi, token: string): Promise<string | number> {
  const r = await api.as({ token }).call('POST', '/apis/authentication.k8s.io/v1/selfsubjectreviews', {
    apiVersion: 'authentication.k8s.io/v1',
    kind: 'SelfSubjectReview',
  });
  return r.status === 201 ? (r.body.status.userInfo.username as string) : r.status;
}

export async function until<T>(
  what: string,
  fn: () => Promise<T | undefined | false> | T | undefined | false,
  ms = 20_000,
): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
