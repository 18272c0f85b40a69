// ResourceQuota over real HTTP and real storage: exact counts under parallel creates (in memory
// and on SQLite, the default datastore), release on delete, status kept by the controller,
// compute quotas that require limits, and scopes.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { openStorage } from '../../../src/api/storage/open.js';
import { podWith, startAdmissionApi, type AdmissionApi } from './support.js';

const quota = (name: string, hard: Record<string, string>, extra: Record<string, unknown> = {}) => ({
  apiVersion: 'v1',
  kind: 'ResourceQuota',
  metadata: { name },
  spec: { hard, ...extra },
});

async function raceTen(api: AdmissionApi): Promise<void> {
  await api.namespace('race');
  assert.equal(
    (await api.call('POST', '/api/v1/namespaces/race/resourcequotas', quota('q', { pods: '10' }))).status,
    201,
  );
  await api.quotaStatus('race', 'q', (s) => s.used?.pods === '0');
  const replies = await Promise.all(
    Array.from({ length: 100 }, (_, i) => api.call('POST', '/api/v1/namespaces/race/pods', podWith(`p${i}`))),
  );
  const codes = replies.map((r) => r.status);
  assert.equal(codes.filter((c) => c === 201).length, 10, `statuses: ${JSON.stringify(codes)}`);
  assert.equal(codes.filter((c) => c === 403).length, 90);
  const refusal = replies.find((r) => r.status === 403)!.body;
  assert.equal(refusal.reason, 'Forbidden');
  assert.match(
    refusal.message,
    /^pods "p\d+" is forbidden: exceeded quota: q, requested: pods=1, used: pods=10, limited: pods=10$/,
  );
  const list = await api.call('GET', '/api/v1/namespaces/race/pods');
  assert.equal(list.body.items.length, 10);
  const st = await api.quotaStatus('race', 'q', (s) => s.used?.pods === '10');
  assert.deepEqual(st, { hard: { pods: '10' }, used: { pods: '10' } });
}

test('pods=10 with 100 parallel creates admits exactly 10 (in memory)', async (t) => {
  const api = await startAdmissionApi();
  t.after(() => api.stop());
  await raceTen(api);
});

test('pods=10 with 100 parallel creates admits exactly 10 (SQLite)', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'corral-quota-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const storage = await openStorage(`sqlite:${join(dir, 'state.db')}`);
  t.after(() => storage.close());
  const api = await startAdmissionApi(storage);
  t.after(() => api.stop());
  await raceTen(api);
});

test('usage is released on delete and shown in status.used; counts cover other kinds', async (t) => {
  const api = await startAdmissionApi();
  t.after(() => api.stop());
  await api.namespace('dev');
  await api.call('POST', '/api/v1/namespaces/dev/configmaps', { metadata: { name: 'before' } });
  const r = await api.call(
    'POST',
    '/api/v1/namespaces/dev/resourcequotas',
    quota('objects', {
      pods: '2',
      configmaps: '2',
      'count/secrets': '1',
      'requests.cpu': '1',
      'limits.memory': '1Gi',
    }),
  );
  assert.equal(r.status, 201, JSON.stringify(r.body));
  // The recount sees what existed before the quota.
  await api.quotaStatus('dev', 'objects', (s) => s.used?.configmaps === '1');
  const sized = (name: string) => podWith(name, { resources: { limits: { cpu: '500m', memory: '512Mi' } } });
  assert.equal((await api.call('POST', '/api/v1/namespaces/dev/pods', sized('a'))).status, 201);
  assert.equal((await api.call('POST', '/api/v1/namespaces/dev/pods', sized('b'))).status, 201);
  let st = await api.quotaStatus('dev', 'objects', (s) => s.used?.pods === '2');
  assert.deepEqual(st.used, {
    pods: '2',
    configmaps: '1',
    'count/secrets': '0',
    'requests.cpu': '1',
    'limits.memory': '1Gi',
  });
  const third = await api.call('POST', '/api/v1/namespaces/dev/pods', sized('c'));
  assert.equal(third.status, 403);
  assert.equal(
    third.body.message,
    'pods "c" is forbidden: exceeded quota: objects, requested: limits.memory=512Mi,pods=1,requests.cpu=500m, used: limits.memory=1Gi,pods=2,requests.cpu=1, limited: limits.memory=1Gi,pods=2,requests.cpu=1',
  );
  assert.equal((await api.call('DELETE', '/api/v1/namespaces/dev/pods/a')).status, 200);
  st = await api.quotaStatus('dev', 'objects', (s) => s.used?.pods === '1');
  assert.equal(st.used?.['requests.cpu'], '500m');
  assert.equal(st.used?.['limits.memory'], '512Mi');
  assert.equal((await api.call('POST', '/api/v1/namespaces/dev/pods', sized('c'))).status, 201);
  assert.equal(
    (await api.call('POST', '/api/v1/namespaces/dev/secrets', { metadata: { name: 's1' } })).status,
    201,
  );
  const s2 = await api.call('POST', '/api/v1/namespaces/dev/secrets', { metadata: { name: 's2' } });
  assert.equal(s2.status, 403);
  assert.equal(
    s2.body.message,
    'secrets "s2" is forbidden: exceeded quota: objects, requested: count/secrets=1, used: count/secrets=1, limited: count/secrets=1',
  );
  // A create that fails after admission gives its charge back: the name is taken.
  assert.equal(
    (await api.call('POST', '/api/v1/namespaces/dev/configmaps', { metadata: { name: 'before' } })).status,
    409,
  );
  st = await api.quotaStatus('dev', 'objects', () => true);
  assert.equal(st.used?.configmaps, '1');
  // A finished pod releases its compute and its pods slot.
  const done = await api.call('GET', '/api/v1/namespaces/dev/pods/b');
  done.body.status = { ...done.body.status, phase: 'Succeeded' };
  assert.equal((await api.call('PUT', '/api/v1/namespaces/dev/pods/b/status', done.body)).status, 200);
  st = await api.quotaStatus('dev', 'objects', (s) => s.used?.pods === '1');
  assert.equal(st.used?.['requests.cpu'], '500m');
});

test('a compute quota requires limits and requests, with the Kubernetes message', async (t) => {
  const api = await startAdmissionApi();
  t.after(() => api.stop());
  await api.namespace('dev');
  await api.call(
    'POST',
    '/api/v1/namespaces/dev/resourcequotas',
    quota('compute', { 'limits.cpu': '2', 'requests.memory': '1Gi' }),
  );
  await api.quotaStatus('dev', 'compute', (s) => s.used?.['limits.cpu'] === '0');
  const bare = await api.call('POST', '/api/v1/namespaces/dev/pods', {
    ...podWith('bare'),
    spec: {
      containers: [
        { name: 'web', image: 'busybox' },
        { name: 'side', image: 'busybox', resources: { limits: { cpu: '1' } } },
      ],
    },
  });
  assert.equal(bare.status, 403);
  assert.equal(
    bare.body.message,
    'pods "bare" is forbidden: failed quota: compute: must specify limits.cpu for: web; requests.memory for: side,web',
  );
  const ok = await api.call(
    'POST',
    '/api/v1/namespaces/dev/pods',
    podWith('ok', { resources: { limits: { cpu: '1', memory: '256Mi' } } }),
  );
  assert.equal(ok.status, 201, JSON.stringify(ok.body));
  const st = await api.quotaStatus('dev', 'compute', (s) => s.used?.['limits.cpu'] === '1');
  assert.equal(st.used?.['requests.memory'], '256Mi');
});

test('scopes: BestEffort and NotTerminating quotas count only the pods they select', async (t) => {
  const api = await startAdmissionApi();
  t.after(() => api.stop());
  await api.namespace('dev');
  await api.call(
    'POST',
    '/api/v1/namespaces/dev/resourcequotas',
    quota('besteffort', { pods: '1' }, { scopes: ['BestEffort'] }),
  );
  await api.call(
    'POST',
    '/api/v1/namespaces/dev/resourcequotas',
    quota(
      'long-running',
      { pods: '2', 'requests.cpu': '1' },
      { scopes: ['NotTerminating', 'NotBestEffort'] },
    ),
  );
  await api.call(
    'POST',
    '/api/v1/namespaces/dev/resourcequotas',
    quota('batch', { pods: '1' }, { scopes: ['Terminating'] }),
  );
  const burst = (name: string, spec: Record<string, unknown> = {}) =>
    podWith(name, { resources: { requests: { cpu: '250m' }, limits: { cpu: '500m' } } }, spec);
  assert.equal((await api.call('POST', '/api/v1/namespaces/dev/pods', podWith('be1'))).status, 201);
  const be2 = await api.call('POST', '/api/v1/namespaces/dev/pods', podWith('be2'));
  assert.equal(be2.status, 403);
  assert.match(
    be2.body.message,
    /exceeded quota: besteffort, requested: pods=1, used: pods=1, limited: pods=1$/,
  );
  // Not BestEffort: the BestEffort quota does not see it, the long-running one does.
  assert.equal((await api.call('POST', '/api/v1/namespaces/dev/pods', burst('web1'))).status, 201);
  assert.equal((await api.call('POST', '/api/v1/namespaces/dev/pods', burst('web2'))).status, 201);
  const web3 = await api.call('POST', '/api/v1/namespaces/dev/pods', burst('web3'));
  assert.equal(web3.status, 403);
  assert.match(
    web3.body.message,
    /exceeded quota: long-running, requested: pods=1, used: pods=2, limited: pods=2$/,
  );
  // activeDeadlineSeconds makes a pod Terminating: only the batch quota counts it.
  assert.equal(
    (await api.call('POST', '/api/v1/namespaces/dev/pods', burst('job1', { activeDeadlineSeconds: 60 })))
      .status,
    201,
  );
  const job2 = await api.call(
    'POST',
    '/api/v1/namespaces/dev/pods',
    burst('job2', { activeDeadlineSeconds: 60 }),
  );
  assert.equal(job2.status, 403);
  assert.match(job2.body.message, /exceeded quota: batch/);
  const st = await api.quotaStatus('dev', 'long-running', (s) => s.used?.pods === '2');
  assert.equal(st.used?.['requests.cpu'], '500m');
  assert.equal((await api.quotaStatus('dev', 'besteffort', (s) => s.used?.pods === '1')).used?.pods, '1');
  // Non-pod objects are outside every scoped quota.
  assert.equal(
    (await api.call('POST', '/api/v1/namespaces/dev/configmaps', { metadata: { name: 'x' } })).status,
    201,
  );
});

test('a bad quota names the field', async (t) => {
  const api = await startAdmissionApi();
  t.after(() => api.stop());
  await api.namespace('dev');
  const r = await api.call(
    'POST',
    '/api/v1/namespaces/dev/resourcequotas',
    quota('bad', { pods: 'lots' }, { scopes: ['Sometimes'] }),
  );
  assert.ok(r.status === 422 || r.status === 400, JSON.stringify(r.body));
  assert.match(r.body.message, /spec\.hard/);
});
