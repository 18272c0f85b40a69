// The admin kubeconfig the server writes (JSON is valid YAML, so no YAML library is needed).
import { writeFile } from 'node:fs/promises';
import type { Pki } from './pki.js';

const b64 = (s: string) => Buffer.from(s).toString('base64');

export function adminKubeconfig(server: string, pki: Pki | undefined, name = 'corral'): string {
  const cluster = pki ? { server, 'certificate-authority-data': b64(pki.caCert) } : { server };
  const user = pki
    ? { 'client-certificate-data': b64(pki.adminCert), 'client-key-data': b64(pki.adminKey) }
    : {};
  const cfg = {
    apiVersion: 'v1',
    kind: 'Config',
    preferences: {},
    clusters: [{ name, cluster }],
    users: [{ name: 'admin', user }],
    contexts: [{ name, context: { cluster: name, user: 'admin', namespace: 'default' } }],
    'current-context': name,
  };
  return `${JSON.stringify(cfg, null, 2)}\n`;
}

export async function writeKubeconfig(path: string, server: string, pki: Pki | undefined): Promise<void> {
  await writeFile(path, adminKubeconfig(server, pki), { mode: 0o600 });
}
