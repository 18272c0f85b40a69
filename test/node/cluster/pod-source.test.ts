// The cluster pod source and token manager against a real API server, as system:node:n1: the
// snapshot holds the node's pods and only the ConfigMaps/Secrets they reference (fetched by name,
// re-read as they change), and ServiceAccount tokens come from TokenRequest bound to the pod and
// are renewed on schedule.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { KubeClient } from '../../../src/node/cluster/client.js';
import { ApiPodSource } from '../../../src/node/cluster/pod-source.js';
import {
  projections,
  refreshDelayMs,
  ServiceAccountTokenManager,
} from '../../../src/node/cluster/token-manager.js';
import type { Desired } from '../../../src/node/watcher.js';
import type { Pod } from '../../../src/node/types.js';
import { startSecureApi, type SecureApi } from '../../api/auth/support.js';
import { kubeconfigFile, until, whoAmI } from './support.js';

let api: SecureApi;
let client: KubeClient;

const claims = (t: string) => JSON.parse(Buffer.from(t.split('.')[1]!, 'base64url').toString());

const podManifest = (name: string, nodeName: string, extra: Record<string, unknown> = {}) => ({
  metadata: { name },
  spec: {
    nodeName,
    containers: [{ name: 'c', image: 'busybox', ...extra }],
  },
});

const create = async (path: string, body: unknown) => {
  const r = await api.admin.call('POST', path, body);
  assert.equal(r.status, 201, JSON.stringify(r.body));
  return r.body;
};

before(async () => {
  api = await startSecureApi();
  client = KubeClient.fromKubeconfig(await kubeconfigFile(api, 'system:node:n1', ['system:nodes']));
});
after(async () => {
  client.close();
  await api.stop();
});

test('refreshDelayMs: 80 % of the lifetime, at most 24 h (the kubelet rule)', () => {
  assert.equal(refreshDelayMs(3607_000), 2885_600);
  assert.equal(refreshDelayMs(600_000), 480_000);
  assert.equal(refreshDelayMs(7 * 24 * 3600_000), 24 * 3600_000);
});

test('the snapshot: this node pods, only the objects they reference, kept current', async (t) => {
  const cm = '/api/v1/namespaces/default/configmaps';
  await create(cm, { metadata: { name: 'app-config' }, data: { k: 'one' } });
  await create(cm, { metadata: { name: 'unrelated' }, data: { k: 'x' } });
  await create(cm, { metadata: { name: 'their-config' }, data: { k: 'x' } });
  await create('/api/v1/namespaces/default/secrets', { metadata: { name: 's1' }, stringData: { a: 'b' } });
  await create('/api/v1/namespaces/default/pods', {
    metadata: { name: 'web' },
    spec: {
      nodeName: 'n1',
      volumes: [{ name: 's', secret: { secretName: 's1' } }],
      containers: [
        {
          name: 'c',
          image: 'busybox',
          env: [{ name: 'K', valueFrom: { configMapKeyRef: { name: 'app-config', key: 'k' } } }],
          volumeMounts: [{ name: 's', mountPath: '/s' }],
        },
      ],
    },
  });
  await create(
    '/api/v1/namespaces/default/pods',
    podManifest('late', 'n1', {
      env: [{ name: 'L', valueFrom: { configMapKeyRef: { name: 'later', key: 'k', optional: true } } }],
    }),
  );
  await create(
    '/api/v1/namespaces/default/pods',
    podManifest('theirs', 'n2', {
      env: [{ name: 'K', valueFrom: { configMapKeyRef: { name: 'their-config', key: 'k' } } }],
    }),
  );

  let last: Desired | undefined;
  const logs: string[] = [];
  const source = new ApiPodSource(client, 'n1', {
    running: () => false,
    log: (m) => logs.push(m),
    objectResyncMs: 150,
  });
  const hook = source.bind((d) => (last = d));
  hook.start();
  t.after(() => hook.stop());
  const names = (d: Desired | undefined, kind: 'configMaps' | 'secrets' | 'pods') =>
    (d?.[kind] ?? []).map((o) => o.metadata.name).sort();

  await until('the first snapshot', () => last);
  assert.deepEqual(names(last, 'pods'), ['late', 'web']);
  assert.deepEqual(names(last, 'configMaps'), ['app-config', 'kube-root-ca.crt']);
  assert.deepEqual(names(last, 'secrets'), ['s1']);
  assert.equal(last!.configMaps.find((c) => c.metadata.name === 'app-config')!.data!.k, 'one');
  assert.equal(last!.configMaps[0]!.kind, 'ConfigMap');
  assert.deepEqual(logs, [], 'nothing was refused to the node');

  // A referenced object created or changed later reaches the snapshot by the periodic re-read.
  await create(cm, { metadata: { name: 'later' }, data: { k: 'now' } });
  await until('later in the snapshot', () => names(last, 'configMaps').includes('later'));
  const mp = { 'Content-Type': 'application/merge-patch+json' };
  await api.admin.call('PATCH', `${cm}/app-config`, JSON.stringify({ data: { k: 'two' } }), mp);
  await until(
    'the new app-config',
    () => last!.configMaps.find((c) => c.metadata.name === 'app-config')?.data?.k === 'two',
  );

  // The pod's deletion drops it, and with it the objects only it used.
  await api.admin.call('DELETE', '/api/v1/namespaces/default/pods/web?gracePeriodSeconds=0');
  await until('web gone from the snapshot', () => !names(last, 'pods').includes('web'));
  await until('s1 dropped', () => !names(last, 'secrets').includes('s1'));
  assert.ok(!names(last, 'configMaps').includes('app-config'));
});

test('tokens: TokenRequest bound to the pod, audience and expiry from the source, renewed', async (t) => {
  await create('/api/v1/namespaces/default/serviceaccounts', { metadata: { name: 'robot' } });
  const raw = await create('/api/v1/namespaces/default/pods', {
    metadata: { name: 'tok' },
    spec: {
      nodeName: 'n1',
      serviceAccountName: 'robot',
      containers: [{ name: 'c', image: 'busybox', volumeMounts: [{ name: 'vault', mountPath: '/v' }] }],
      volumes: [
        {
          name: 'vault',
          projected: {
            sources: [{ serviceAccountToken: { audience: 'vault', expirationSeconds: 1200, path: 'vt' } }],
          },
        },
      ],
    },
  });
  const pod = raw as Pod;
  const srcs = projections(pod);
  // The admission plugin's kube-api-access volume (3607 s, default audience) and ours.
  assert.deepEqual(srcs.map((s) => [s.path, s.audience, s.expirationSeconds]).sort(), [
    ['token', undefined, 3607],
    ['vt', 'vault', 1200],
  ]);
  let renewals = 0;
  const tokens = new ServiceAccountTokenManager(client, () => undefined, { refreshDelay: () => 300 });
  t.after(() => tokens.stop());
  const apiSrc = srcs.find((s) => s.path === 'token')!;
  const vaultSrc = srcs.find((s) => s.path === 'vt')!;
  tokens.prefetch(pod);
  const first = await tokens.token(pod, apiSrc);
  const c = claims(first);
  assert.equal(c.sub, 'system:serviceaccount:default:robot');
  assert.deepEqual(c['kubernetes.io'].pod, { name: 'tok', uid: pod.metadata.uid });
  assert.equal(c.exp - c.iat, 3607);
  assert.equal(await whoAmI(api, first), 'system:serviceaccount:default:robot');
  const vault = await tokens.token(pod, vaultSrc);
  assert.deepEqual(claims(vault).aud, ['vault']);
  assert.equal(claims(vault).exp - claims(vault).iat, 1200);
  assert.equal(await whoAmI(api, vault), 401, 'another audience is not for the API server');

  tokens.onRenew(pod.metadata.uid, 'api', () => renewals++);
  await until('a renewal', () => renewals >= 1, 5000);
  const renewed = await tokens.token(pod, apiSrc);
  assert.notEqual(renewed, first);
  assert.ok(claims(renewed).jti !== c.jti);
  assert.equal(await whoAmI(api, renewed), 'system:serviceaccount:default:robot');

  // Gone from the node: no more renewals.
  tokens.retain(new Set());
  const n = renewals;
  await new Promise((r) => setTimeout(r, 800));
  assert.equal(renewals, n);

  // The token dies with the pod it is bound to.
  await api.admin.call('DELETE', '/api/v1/namespaces/default/pods/tok?gracePeriodSeconds=0');
  await until(
    'tok gone',
    async () => (await api.admin.call('GET', '/api/v1/namespaces/default/pods/tok')).status === 404,
  );
  assert.equal(await whoAmI(api, renewed), 401);
});

test('tokens: a failed TokenRequest rejects with the reason, and the next ask tries again', async (t) => {
  const tokens = new ServiceAccountTokenManager(client, () => undefined);
  t.after(() => tokens.stop());
  await create('/api/v1/namespaces/default/serviceaccounts', { metadata: { name: 'flaky' } });
  const pod = (await create('/api/v1/namespaces/default/pods', {
    metadata: { name: 'flaky' },
    spec: { nodeName: 'n1', serviceAccountName: 'flaky', containers: [{ name: 'c', image: 'busybox' }] },
  })) as Pod;
  const src = projections(pod)[0]!;
  assert.equal(
    (await api.admin.call('DELETE', '/api/v1/namespaces/default/serviceaccounts/flaky')).status,
    200,
  );
  await assert.rejects(tokens.token(pod, src), /serviceaccounts "flaky" not found/);
  await create('/api/v1/namespaces/default/serviceaccounts', { metadata: { name: 'flaky' } });
  assert.equal(await whoAmI(api, await tokens.token(pod, src)), 'system:serviceaccount:default:flaky');
});
