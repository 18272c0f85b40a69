// `corral server` as a library call: open the datastore, make or load the certificates, start
// the API server, write DATA_DIR/kubeconfig, and stop cleanly on SIGINT/SIGTERM.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { ensureSigningKey } from '../auth/jwt.js';
import { loadTokenFile } from '../auth/token-file.js';
import type { Storage } from '../storage/types.js';
import { ApiServer } from './api-server.js';
import { writeKubeconfig } from './kubeconfig.js';
import { ensurePki } from './pki.js';

export interface RunServerOptions {
  dataDir: string;
  /** ADDR:PORT, [IPv6]:PORT or :PORT. */
  listen: string;
  /** 'sqlite' (DATA_DIR/state.db) or etcd://HOST:PORT[,HOST:PORT...]. */
  datastore: string;
  insecureHttp: boolean;
  /** kube-apiserver's --token-auth-file (CSV: token,user,uid,"group1,group2"). */
  tokenAuthFile?: string;
  anonymousAuth?: boolean;
  /** Default RBAC (AlwaysAllow with --insecure-http). */
  authorizationMode?: string;
  openStorage: (spec: string) => Promise<Storage>;
}

export function parseListen(listen: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d+)$/.exec(listen);
  const port = m ? Number(m[3]) : NaN;
  if (!m || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`--listen: "${listen}" is not ADDR:PORT; use e.g. 127.0.0.1:6443 or 0.0.0.0:6443`);
  }
  return { host: m[1] ?? (m[2] || '0.0.0.0'), port };
}

export function storageSpec(datastore: string, dataDir: string): string {
  if (datastore === 'sqlite') return `sqlite:${join(dataDir, 'state.db')}`;
  if (datastore.startsWith('sqlite:') || datastore.startsWith('etcd://')) return datastore;
  throw new Error(
    `--datastore: "${datastore}" is not supported; use sqlite or etcd://HOST:PORT[,HOST:PORT...]`,
  );
}

function parseAuthorizationMode(mode: string | undefined): 'RBAC' | 'AlwaysAllow' | undefined {
  if (mode === undefined) return undefined;
  // kube-apiserver's usual value `Node,RBAC` means the same as RBAC here (the Node authorizer is part of it).
  const m = mode
    .split(',')
    .filter((x) => x !== 'Node')
    .join(',');
  if (m === 'RBAC' || m === 'AlwaysAllow') return m;
  throw new Error(`--authorization-mode: "${mode}" is not supported; use RBAC (or Node,RBAC) or AlwaysAllow`);
}

export async function runServer(o: RunServerOptions): Promise<ApiServer> {
  const { host, port } = parseListen(o.listen);
  const authorizationMode = parseAuthorizationMode(o.authorizationMode);
  const tokens = o.tokenAuthFile ? await loadTokenFile(o.tokenAuthFile) : undefined;
  await mkdir(o.dataDir, { recursive: true, mode: 0o700 });
  const storage = await o.openStorage(storageSpec(o.datastore, o.dataDir));
  const pki = o.insecureHttp ? undefined : await ensurePki(o.dataDir, host);
  const server = await ApiServer.start({
    storage,
    host,
    port,
    tls: pki ? { cert: pki.serverCert, key: pki.serverKey, ca: pki.caCert } : undefined,
    authorizationMode,
    anonymousAuth: o.anonymousAuth,
    tokens,
    serviceAccountKey: await ensureSigningKey(o.dataDir),
  });
  const kubeconfig = join(o.dataDir, 'kubeconfig');
  await writeKubeconfig(kubeconfig, server.url, pki);
  process.stderr.write(
    `corral server: serving the Kubernetes API at ${server.url} (${storage.backend}); kubeconfig: ${kubeconfig}\n`,
  );
  const stop = () => {
    process.stderr.write('corral server: stopping\n');
    server
      .stop()
      .then(() => storage.close())
      .then(
        () => process.exit(0),
        () => process.exit(1),
      );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  return server;
}
