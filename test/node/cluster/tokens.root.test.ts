// Projected ServiceAccount tokens with the real agent. In a cluster (ClusterNode as
// system:node:<name> against a real API server) the admission-added kube-api-access volume holds
// a token that authenticates as the pod's ServiceAccount, with ca.crt and namespace, the pod
// starts without a failed first attempt, and a renewed token replaces the file while the
// container reads it. Standalone (manifests), such a pod waits with a message naming the volume.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ClusterNode } from '../../../src/node/cluster/cluster-node.js';
import { removeCgroupTree } from '../../support/cgroup-root.js';
import { unmountBelow } from '../../peers/podman.js';
import { startSecureApi } from '../../api/auth/support.js';
import { isRoot, nodeInstance, pod, waitFor } from '../support.js';
import { kubeconfigFile, until, whoAmI } from './support.js';

const JWT = /ey[\w-]+\.[\w-]+\.[\w-]+/g;

test(
  'cluster node: the pod token file authenticates as its ServiceAccount and is renewed in place',
  { skip: !isRoot && 'needs root', timeout: 120_000 },
  async (t) => {
    const api = await startSecureApi();
    const base = mkdtempSync(join(tmpdir(), 'corral-tok-'));
    const cgroupRoot = `corral-tok-test-${process.pid}`;
    const started: ClusterNode[] = []; // filled once constructed; the cleanup stops it first
    t.after(async () => {
      for (const n of started) await n.shutdown({ stopPods: true }).catch(() => undefined);
      await api.stop();
      unmountBelow(base);
      await removeCgroupTree(cgroupRoot);
      rmSync(base, { recursive: true, force: true });
    });
    const kubeconfig = await kubeconfigFile(api, 'system:node:tok-node', ['system:nodes']);
    const node = new ClusterNode({
      dataDir: join(base, 'data'),
      kubeconfig,
      nodeName: 'tok-node',
      cgroupRoot,
      // A failed first volume setup would show as a start this slow.
      backoffBaseMs: 20_000,
      evictionHard: '',
      statusEveryMs: 1000,
      tokenRefresh: () => 2000,
      ...(process.env.CORRAL_NODE_DEBUG ? { log: (m: string) => console.error(m) } : { log: () => {} }),
    });
    started.push(node);
    await node.start();

    const t0 = Date.now();
    const created = await api.admin.call('POST', '/api/v1/namespaces/default/pods', {
      metadata: { name: 'reader' },
      spec: {
        nodeName: 'tok-node',
        terminationGracePeriodSeconds: 1,
        containers: [
          {
            name: 'c',
            image: 'busybox',
            command: [
              'sh',
              '-c',
              'while :; do cat /var/run/secrets/kubernetes.io/serviceaccount/token; echo; sleep 0.3; done',
            ],
          },
        ],
      },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const uid = created.body.metadata.uid as string;
    const vol = (created.body.spec.volumes as { name: string }[]).find((v) =>
      v.name.startsWith('kube-api-access-'),
    )!.name;
    await until(
      'reader Running',
      async () =>
        (await api.admin.call('GET', '/api/v1/namespaces/default/pods/reader')).body.status?.phase ===
        'Running',
      60_000,
    );
    assert.ok(Date.now() - t0 < 15_000, `the pod took ${Date.now() - t0} ms to start`);

    // The host side of the volume.
    const dir = join(base, 'data', 'pods', uid, 'volumes', 'kubernetes.io~projected', vol);
    const file = join(dir, 'token');
    const first = readFileSync(file, 'utf8');
    assert.equal(statSync(file).mode & 0o777, 0o644);
    assert.equal(await whoAmI(api, first), 'system:serviceaccount:default:default');
    assert.equal(readFileSync(join(dir, 'namespace'), 'utf8'), 'default');
    assert.equal(readFileSync(join(dir, 'ca.crt'), 'utf8'), api.pki.caCert);

    // What the container reads: the same token, then (renewal every 2 s here) a new one.
    const seen = () => {
      const log = join(base, 'data', 'pods', uid, 'c', '0.log');
      return existsSync(log) ? [...new Set(readFileSync(log, 'utf8').match(JWT) ?? [])] : [];
    };
    await until('the container reads the token', () => seen().includes(first));
    const renewed = await until(
      'the container reads a renewed token',
      () => seen().find((x) => x !== first),
      20_000,
    );
    assert.equal(await whoAmI(api, renewed), 'system:serviceaccount:default:default');
    assert.equal(readFileSync(file, 'utf8') === first, false);
    const claims = JSON.parse(Buffer.from(renewed.split('.')[1]!, 'base64url').toString());
    assert.deepEqual(claims['kubernetes.io'].pod, { name: 'reader', uid });
  },
);

test(
  'standalone node: a pod with a serviceAccountToken source waits with a message naming the volume',
  { skip: !isRoot && 'needs root', timeout: 60_000 },
  async (t) => {
    const n = nodeInstance(t, { evictionHard: '' });
    n.write(
      'p.yaml',
      `apiVersion: v1
kind: Pod
metadata: {name: wants-token}
spec:
  containers:
  - {name: c, image: busybox, command: [sleep, '30'], volumeMounts: [{name: sa, mountPath: /sa}]}
  volumes:
  - name: sa
    projected:
      sources:
      - serviceAccountToken: {path: token, expirationSeconds: 3607}
`,
    );
    await n.agent.start();
    const waiting = await waitFor(
      'the waiting message',
      () => pod(n.agent, 'wants-token')?.status.containerStatuses[0]?.state.waiting?.message,
    );
    assert.match(waiting, /^volume sa: its serviceAccountToken source needs a token from an API server/);
    assert.match(waiting, /standalone \(--manifests\)/);
    assert.equal(
      pod(n.agent, 'wants-token')!.status.containerStatuses[0]!.state.waiting!.reason,
      'ContainerCreating',
    );
    assert.equal(pod(n.agent, 'wants-token')!.status.phase, 'Pending');
  },
);
