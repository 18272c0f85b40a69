// `corral up`: a one-machine cluster in one process — the API server (with the scheduler and
// controllers) and the node agent joined to it through the admin kubeconfig the server writes.
// SIGINT/SIGTERM stop the agent first (the node goes NotReady), then the server. The pods keep
// running for the next `corral up` (as the kubelet leaves them) unless --stop-pods is given.
import { mkdir } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { ensureSigningKey } from '../api/auth/jwt.js';
import { ApiServer } from '../api/server/api-server.js';
import { writeKubeconfig } from '../api/server/kubeconfig.js';
import { ensurePki } from '../api/server/pki.js';
import { parseListen, storageSpec } from '../api/server/run.js';
import { openStorage } from '../api/storage/open.js';
import { ClusterNode } from '../node/cluster/cluster-node.js';
import { resolveDataDir } from './data-dir.js';
import { networkOptions } from './network-flags.js';

export interface UpFlags {
  listen: string;
  datastore: string;
  nodeName?: string;
  cgroupRoot?: string;
  backoffBase: string;
  stopPods?: boolean;
  network: string;
  podCidr?: string;
  bridge?: string;
  cniNetns?: string;
  networkPolicy: boolean;
}

export async function up(dataDirFlag: string | undefined, f: UpFlags): Promise<void> {
  const dataDir = resolveDataDir(dataDirFlag);
  const net = networkOptions(f);
  const { host, port } = parseListen(f.listen);
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const storage = await openStorage(storageSpec(f.datastore, dataDir));
  const pki = await ensurePki(dataDir, host);
  const log = (who: string) => (m: string) => process.stderr.write(`corral ${who}: ${m}\n`);
  const server = await ApiServer.start({
    storage,
    host,
    port,
    tls: { cert: pki.serverCert, key: pki.serverKey, ca: pki.caCert },
    serviceAccountKey: await ensureSigningKey(dataDir),
    log: log('apiserver'),
  });
  const kubeconfig = join(dataDir, 'kubeconfig');
  await writeKubeconfig(kubeconfig, server.url, pki);
  const node = new ClusterNode({
    dataDir,
    kubeconfig,
    nodeName: f.nodeName ?? hostname(),
    backoffBaseMs: Number(f.backoffBase),
    ...(f.cgroupRoot ? { cgroupRoot: f.cgroupRoot } : {}),
    ...net,
    networkPolicy: f.networkPolicy,
    log: log('node'),
  });
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    process.stderr.write('corral up: stopping\n');
    node
      .shutdown({ stopPods: !!f.stopPods })
      .catch((e: Error) => process.stderr.write(`corral up: node shutdown: ${e.message}\n`))
      .then(() => server.stop())
      .then(() => storage.close())
      .then(
        () => process.exit(0),
        () => process.exit(1),
      );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  await node.start();
  process.stdout.write(
    `corral up: the cluster is running — API server ${server.url} (${storage.backend}), node "${node.nodeName}".\n` +
      `  export KUBECONFIG=${kubeconfig}\n` +
      '  kubectl get nodes\n' +
      "  kubectl run hello --image=busybox --restart=Never -- sh -c 'echo hello; sleep 3600'\n" +
      '  kubectl logs hello; kubectl exec hello -- hostname\n',
  );
}
