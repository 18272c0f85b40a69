// Kubeconfigs the server writes: the admin's, a node's, and any user's minted by `corral
// kubeconfig` (JSON is valid YAML, so no YAML library is needed).
import { writeFile } from 'node:fs/promises';
import type { Pki } from './pki.js';

const b64 = (s: string) => Buffer.from(s).toString('base64');

export interface KubeconfigParts {
  server: string;
  caCert?: string;
  clientCert?: string;
  clientKey?: string;
  token?: string;
  /** The user entry's name (default: the cluster name's admin). */
  user: string;
  cluster?: string;
  namespace?: string;
}

export function kubeconfigFor(p: KubeconfigParts): string {
  const name = p.cluster ?? 'corral';
  const cluster = p.caCert
    ? { server: p.server, 'certificate-authority-data': b64(p.caCert) }
    : { server: p.server };
  const user = {
    ...(p.clientCert ? { 'client-certificate-data': b64(p.clientCert) } : {}),
    ...(p.clientKey ? { 'client-key-data': b64(p.clientKey) } : {}),
    ...(p.token ? { token: p.token } : {}),
  };
  const context = p.user === 'admin' ? name : `${p.user}@${name}`;
  const cfg = {
    apiVersion: 'v1',
    kind: 'Config',
    preferences: {},
    clusters: [{ name, cluster }],
    users: [{ name: p.user, user }],
    contexts: [
      { name: context, context: { cluster: name, user: p.user, namespace: p.namespace ?? 'default' } },
    ],
    'current-context': context,
  };
  return `${JSON.stringify(cfg, null, 2)}\n`;
}

export function adminKubeconfig(server: string, pki: Pki | undefined, name = 'corral'): string {
  return kubeconfigFor({
    server,
    caCert: pki?.caCert,
    clientCert: pki?.adminCert,
    clientKey: pki?.adminKey,
    user: 'admin',
    cluster: name,
  });
}

export async function writeKubeconfig(path: string, server: string, pki: Pki | undefined): Promise<void> {
  await writeFile(path, adminKubeconfig(server, pki), { mode: 0o600 });
}
