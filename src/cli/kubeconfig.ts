// `corral kubeconfig --user U --group G...`: a client certificate for U (groups G) signed by the
// cluster CA, printed as a kubeconfig or written to a file. The server URL comes from the admin
// kubeconfig the server wrote in the data dir, unless --server is given.
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { kubeconfigFor } from '../api/server/kubeconfig.js';
import { issueClientCert } from '../api/server/pki.js';

export interface KubeconfigFlags {
  user?: string;
  group?: string[];
  server?: string;
  namespace?: string;
  days?: string;
  output?: string;
}

async function serverOf(dataDir: string): Promise<string> {
  const path = join(dataDir, 'kubeconfig');
  if (!existsSync(path))
    throw new Error(`no ${path} to take the server URL from: pass --server https://HOST:PORT`);
  const cfg = JSON.parse(await readFile(path, 'utf8')) as {
    clusters?: Array<{ cluster?: { server?: string } }>;
  };
  const server = cfg.clusters?.[0]?.cluster?.server;
  if (!server) throw new Error(`${path} names no server: pass --server https://HOST:PORT`);
  return server;
}

export async function kubeconfig(dataDir: string, f: KubeconfigFlags): Promise<void> {
  if (!f.user) throw new Error('--user is required: the user name the certificate carries (its CN)');
  const days = f.days === undefined ? 365 : Number(f.days);
  if (!Number.isInteger(days) || days < 1)
    throw new Error(`--days: "${f.days}" is not a positive whole number`);
  const server = f.server ?? (await serverOf(dataDir));
  const cert = await issueClientCert(dataDir, f.user, f.group ?? [], days);
  const text = kubeconfigFor({
    server,
    caCert: cert.caCert,
    clientCert: cert.cert,
    clientKey: cert.key,
    user: f.user,
    namespace: f.namespace,
  });
  if (f.output) {
    await writeFile(f.output, text, { mode: 0o600 });
    process.stderr.write(`corral kubeconfig: wrote ${f.output} for user "${f.user}"\n`);
  } else process.stdout.write(text);
}
