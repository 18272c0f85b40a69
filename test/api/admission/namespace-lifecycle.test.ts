// NamespaceLifecycle over real HTTP: no creates in missing or terminating namespaces, and the
// system namespaces cannot be deleted.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { podWith, startAdmissionApi } from './support.js';

test('creates in a missing or Terminating namespace are refused; updates and deletes there still work', async (t) => {
  const api = await startAdmissionApi();
  t.after(() => api.stop());
  const missing = await api.call('POST', '/api/v1/namespaces/nope/configmaps', { metadata: { name: 'x' } });
  assert.equal(missing.status, 404);
  assert.equal(missing.body.message, 'namespaces "nope" not found');
  await api.namespace('dev');
  // A finalizer keeps the namespace Terminating while we look.
  const held = await api.call('POST', '/api/v1/namespaces/dev/configmaps', {
    metadata: { name: 'held', finalizers: ['example.com/hold'] },
  });
  assert.equal(held.status, 201);
  assert.ok([200, 202].includes((await api.call('DELETE', '/api/v1/namespaces/dev')).status));
  const ns = await api.call('GET', '/api/v1/namespaces/dev');
  assert.equal(ns.body.status.phase, 'Terminating');
  const p = await api.call('POST', '/api/v1/namespaces/dev/pods', podWith('late'));
  assert.equal(p.status, 403);
  assert.equal(p.body.reason, 'Forbidden');
  assert.equal(
    p.body.message,
    'pods "late" is forbidden: unable to create new content in namespace dev because it is being terminated',
  );
  assert.deepEqual(p.body.details.causes, [
    {
      reason: 'NamespaceTerminating',
      message: 'namespace dev is being terminated',
      field: 'metadata.namespace',
    },
  ]);
  // Releasing the finalizer is an update in the terminating namespace: allowed, and the
  // namespace then goes away.
  const cur = await api.call('GET', '/api/v1/namespaces/dev/configmaps/held');
  cur.body.metadata.finalizers = [];
  assert.equal((await api.call('PUT', '/api/v1/namespaces/dev/configmaps/held', cur.body)).status, 200);
  for (let i = 0; i < 100 && (await api.call('GET', '/api/v1/namespaces/dev')).status !== 404; i++)
    await new Promise((r) => setTimeout(r, 50));
  assert.equal((await api.call('GET', '/api/v1/namespaces/dev')).status, 404);
});

test('default, kube-system and kube-public cannot be deleted; other namespaces can', async (t) => {
  const api = await startAdmissionApi();
  t.after(() => api.stop());
  for (const name of ['default', 'kube-system', 'kube-public']) {
    const r = await api.call('DELETE', `/api/v1/namespaces/${name}`);
    assert.equal(r.status, 403);
    assert.equal(r.body.message, `namespaces "${name}" is forbidden: this namespace may not be deleted`);
    assert.equal((await api.call('GET', `/api/v1/namespaces/${name}`)).body.status.phase, 'Active');
  }
  assert.ok([200, 202].includes((await api.call('DELETE', '/api/v1/namespaces/kube-node-lease')).status));
});
