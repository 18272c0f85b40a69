// `corral up`: a one-machine cluster in one process — the API server (with the scheduler and
// controllers) and the node agent joined to it. The agent is no admin: it gets a client
// certificate for system:node:<name> (group system:nodes) in DATA_DIR/node.kubeconfig, which the
// Node authorizer limits to its own Node, Lease and pods, and one for
// system:corral:network-policy (DATA_DIR/network-policy.kubeconfig) for its NetworkPolicy watch.
// Both are minted afresh at each start from the cluster CA (the server URL may change).
// SIGINT/SIGTERM stop the agent first (the node goes NotReady), then the server. The pods keep
// running for the next `corral up` (as the kubelet leaves them) unless --stop-pods is given.
import { mkdir, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { ensureSigningKey } from '../api/auth/jwt.js';
import { ApiServer } from '../api/server/api-server.js';
import { NETWORK_POLICY_USER } from '../api/auth/rbac/bootstrap-policy.js';
import { kubeconfigFor, writeKubeconfig } from '../api/server/kubeconfig.js';
import { ensurePki, issueClientCert } from '../api/server/pki.js';
import { parseListen, storageSpec } from '../api/server/run.js';
import { openStorage } from '../api/storage/open.js';
import { ClusterNode } from '../node/cluster/cluster-node.js';
import { resolveDataDir } from './data-dir.js';
import { agentOptions } from './agent-flags.js';
import { networkOptions, type NetworkFlags } from './network-flags.js';

export interface UpFlags extends NetworkFlags {
  listen: string;
  datastore: string;
  nodeName?: string;
  cgroupRoot?: string;
  backoffBase: string;
  stopPods?: boolean;
  networkPolicy: boolean;
  evictionHard?: string;
  seccompDefault?: string;
}

/** A kubeconfig (mode 0600) for `user` in `groups`, signed by the cluster CA of dataDir. */
async function mintKubeconfig(
  dataDir: string,
  path: string,
  server: string,
  user: string,
  groups: string[],
): Promise<void> {
  const c = await issueClientCert(dataDir, user, groups);
  const text = kubeconfigFor({ server, caCert: c.caCert, clientCert: c.cert, clientKey: c.key, user });
  await writeFile(path, text, { mode: 0o600 });
}

export async function up(dataDirFlag: string | undefined, f: UpFlags): Promise<void> {
  const dataDir = resolveDataDir(dataDirFlag);
  const net = networkOptions(f);
  const agent = agentOptions(f);
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
  const nodeName = (f.nodeName ?? hostname()).toLowerCase();
  const nodeKubeconfig = join(dataDir, 'node.kubeconfig');
  const policyKubeconfig = join(dataDir, 'network-policy.kubeconfig');
  await mintKubeconfig(dataDir, nodeKubeconfig, server.url, `system:node:${nodeName}`, ['system:nodes']);
  await mintKubeconfig(dataDir, policyKubeconfig, server.url, NETWORK_POLICY_USER, []);
  const node = new ClusterNode({
    dataDir,
    kubeconfig: nodeKubeconfig,
    policyKubeconfig,
    nodeName,
    backoffBaseMs: Number(f.backoffBase),
    ...(f.cgroupRoot ? { cgroupRoot: f.cgroupRoot } : {}),
    ...net,
    networkPolicy: f.networkPolicy,
    ...agent,
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
