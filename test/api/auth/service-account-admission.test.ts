// The ServiceAccount admission plugin on a real server: default ServiceAccount, refusal for a
// missing one, the projected kube-api-access volume and mounts exactly as Kubernetes writes them,
// the automount opt-outs; and the kube-root-ca.crt ConfigMap published in every namespace.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { serviceAccountAdmission, tokenVolume } from '../../../src/api/admission/service-account.js';
import { MemoryStorage } from '../support/memory-storage.js';
import { startSecureApi, type SecureApi } from './support.js';

let api: SecureApi;
let dir: string;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'corral-sa-'));
  const storage = new MemoryStorage();
  api = await startSecureApi({ admission: serviceAccountAdmission(storage) }, { dir, storage });
  await api.admin.call('POST', '/api/v1/namespaces', { metadata: { name: 'dev' } });
  await api.server.settled();
});
after(async () => {
  await api.stop();
  rmSync(dir, { recursive: true, force: true });
});

const pod = (name: string, spec: Record<string, unknown> = {}) => ({
  metadata: { name },
  spec: {
    containers: [
      { name: 'a', image: 'busybox' },
      { name: 'b', image: 'busybox' },
    ],
    ...spec,
  },
});

test('a pod gets the default ServiceAccount and the kube-api-access volume in every container', async () => {
  const r = await api.admin.call(
    'POST',
    '/api/v1/namespaces/dev/pods',
    pod('p1', { initContainers: [{ name: 'i', image: 'busybox' }] }),
  );
  assert.equal(r.status, 201, JSON.stringify(r.body));
  const spec = r.body.spec;
  assert.equal(spec.serviceAccountName, 'default');
  assert.equal(spec.volumes.length, 1);
  const vol = spec.volumes[0];
  assert.match(vol.name, /^kube-api-access-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
  assert.deepEqual(vol, tokenVolume(vol.name));
  assert.deepEqual(r.body.spec.volumes[0].projected.sources[0], {
    serviceAccountToken: { expirationSeconds: 3607, path: 'token' },
  });
  for (const c of [...spec.containers, ...spec.initContainers])
    assert.deepEqual(c.volumeMounts, [
      { name: vol.name, readOnly: true, mountPath: '/var/run/secrets/kubernetes.io/serviceaccount' },
    ]);
});

test('a missing ServiceAccount is refused with Kubernetes message', async () => {
  const r = await api.admin.call(
    'POST',
    '/api/v1/namespaces/dev/pods',
    pod('p2', { serviceAccountName: 'ghost' }),
  );
  assert.equal(r.status, 403);
  assert.equal(
    r.body.message,
    'pods "p2" is forbidden: error looking up service account dev/ghost: serviceaccount "ghost" not found',
  );
});

test('automountServiceAccountToken: false on the pod or the ServiceAccount skips the volume', async () => {
  const r1 = await api.admin.call(
    'POST',
    '/api/v1/namespaces/dev/pods',
    pod('p3', { automountServiceAccountToken: false }),
  );
  assert.equal(r1.status, 201);
  assert.equal(r1.body.spec.volumes, undefined);
  await api.admin.call('POST', '/api/v1/namespaces/dev/serviceaccounts', {
    metadata: { name: 'quiet' },
    automountServiceAccountToken: false,
    imagePullSecrets: [{ name: 'regcred' }],
  });
  const r2 = await api.admin.call(
    'POST',
    '/api/v1/namespaces/dev/pods',
    pod('p4', { serviceAccountName: 'quiet' }),
  );
  assert.equal(r2.body.spec.volumes, undefined);
  assert.deepEqual(r2.body.spec.imagePullSecrets, [{ name: 'regcred' }]);
  // The pod's own setting wins over the ServiceAccount's.
  const r3 = await api.admin.call(
    'POST',
    '/api/v1/namespaces/dev/pods',
    pod('p5', { serviceAccountName: 'quiet', automountServiceAccountToken: true }),
  );
  assert.equal(r3.body.spec.volumes.length, 1);
});

test('kube-root-ca.crt is published in every namespace and restored when deleted', async () => {
  for (const ns of ['default', 'kube-system', 'dev']) {
    const cm = await api.admin.call('GET', `/api/v1/namespaces/${ns}/configmaps/kube-root-ca.crt`);
    assert.equal(cm.status, 200, ns);
    assert.equal(cm.body.data['ca.crt'], api.pki.caCert);
  }
  await api.admin.call('DELETE', '/api/v1/namespaces/dev/configmaps/kube-root-ca.crt');
  const deadline = Date.now() + 5000;
  let status = 0;
  while (Date.now() < deadline && status !== 200) {
    await new Promise((r) => setTimeout(r, 50));
    status = (await api.admin.call('GET', '/api/v1/namespaces/dev/configmaps/kube-root-ca.crt')).status;
  }
  assert.equal(status, 200);
});
