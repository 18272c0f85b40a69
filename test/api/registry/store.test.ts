// The generic store's Kubernetes semantics over the in-memory storage.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { admitAll } from '../../../src/api/admission/types.js';
import { ApiError } from '../../../src/api/errors.js';
import { Store } from '../../../src/api/registry/store.js';
import { configmaps } from '../../../src/api/resources/config.js';
import { namespaces } from '../../../src/api/resources/namespaces.js';
import { pods } from '../../../src/api/resources/pods.js';
import type { KObject } from '../../../src/api/resources/types.js';
import { MemoryStorage } from '../support/memory-storage.js';

async function setup() {
  const storage = new MemoryStorage();
  const ns = new Store(storage, namespaces, admitAll);
  const pod = new Store(storage, pods, admitAll);
  const cm = new Store(storage, configmaps, admitAll);
  await ns.create('', { metadata: { name: 'dev' } });
  return { storage, ns, pod, cm };
}
const aPod = (name: string, extra: Partial<KObject> = {}): KObject => ({
  metadata: { name },
  spec: { containers: [{ name: 'c', image: 'busybox' }] },
  ...extra,
});
const apiError = (code: number, message: RegExp) => (e: unknown) =>
  e instanceof ApiError && e.code === code && message.test(e.message);

test('create sets uid, timestamps, resourceVersion, defaults and status; generateName works', async () => {
  const { pod } = await setup();
  const p = await pod.create('dev', aPod('a'));
  assert.match(p.metadata.uid!, /^[0-9a-f-]{36}$/);
  assert.match(p.metadata.creationTimestamp!, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  assert.ok(Number(p.metadata.resourceVersion) > 0);
  assert.equal(p.metadata.generation, 1);
  assert.equal((p.spec as { restartPolicy: string }).restartPolicy, 'Always');
  assert.equal(
    (p.spec as { containers: Array<{ imagePullPolicy: string }> }).containers[0]!.imagePullPolicy,
    'Always',
  );
  assert.deepEqual(p.status, { phase: 'Pending', qosClass: 'BestEffort' });
  const g = await pod.create('dev', { ...aPod(''), metadata: { generateName: 'web-' } });
  assert.match(g.metadata.name!, /^web-[a-z0-9]{5}$/);
  await assert.rejects(pod.create('dev', aPod('a')), apiError(409, /^pods "a" already exists$/));
});

test('namespace must exist and not be terminating', async () => {
  const { pod, ns } = await setup();
  await assert.rejects(pod.create('nope', aPod('a')), apiError(404, /^namespaces "nope" not found$/));
  await pod.create('dev', aPod('keep', { metadata: { name: 'keep', finalizers: ['x/y'] } }));
  const r = await ns.delete('', 'dev');
  assert.equal(r.removed, false);
  assert.equal((r.obj.status as { phase: string }).phase, 'Terminating');
  await assert.rejects(
    pod.create('dev', aPod('b')),
    apiError(403, /unable to create new content in namespace dev because it is being terminated/),
  );
});

test('validation errors name the field (422 with causes)', async () => {
  const { pod } = await setup();
  await assert.rejects(
    pod.create('dev', { metadata: { name: 'bad' }, spec: { containers: [{ name: 'c' }] } }),
    (e: unknown) => {
      assert.ok(e instanceof ApiError);
      assert.equal(e.code, 422);
      assert.equal(e.message, 'Pod "bad" is invalid: spec.containers[0].image: Required value');
      assert.deepEqual(e.details?.causes, [
        { reason: 'FieldValueRequired', message: 'Required value', field: 'spec.containers[0].image' },
      ]);
      return true;
    },
  );
  await assert.rejects(
    pod.create('dev', aPod('Bad_Name')),
    apiError(422, /metadata\.name: Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain/),
  );
});

test('optimistic concurrency: stale resourceVersion conflicts, none retries; no-op keeps the version', async () => {
  const { cm } = await setup();
  const c = await cm.create('dev', { metadata: { name: 'c' }, data: { a: '1' } });
  const u = await cm.update('dev', 'c', (cur) => ({ ...cur, data: { a: '2' } }));
  assert.ok(Number(u.metadata.resourceVersion) > Number(c.metadata.resourceVersion));
  await assert.rejects(
    cm.update('dev', 'c', () => ({ ...c, data: { a: '3' } })),
    apiError(
      409,
      /^Operation cannot be fulfilled on configmaps "c": the object has been modified; please apply your changes to the latest version and try again$/,
    ),
  );
  const noop = await cm.update('dev', 'c', (cur) => cur);
  assert.equal(noop.metadata.resourceVersion, u.metadata.resourceVersion);
});

test('generation moves on spec changes only; status is only written through status', async () => {
  const { pod } = await setup();
  await pod.create('dev', aPod('a'));
  const labelled = await pod.update('dev', 'a', (cur) => ({
    ...cur,
    metadata: { ...cur.metadata, labels: { x: 'y' } },
  }));
  assert.equal(labelled.metadata.generation, 1);
  const image = await pod.update('dev', 'a', (cur) => {
    (cur.spec as { containers: Array<{ image: string }> }).containers[0]!.image = 'busybox:1.36';
    cur.status = { phase: 'Running' };
    return cur;
  });
  assert.equal(image.metadata.generation, 2);
  assert.equal((image.status as { phase: string }).phase, 'Pending');
  const st = await pod.update('dev', 'a', (cur) => ({ ...cur, status: { phase: 'Running' }, spec: {} }), {
    subresource: 'status',
  });
  assert.equal((st.status as { phase: string }).phase, 'Running');
  assert.equal(st.metadata.generation, 2);
  await assert.rejects(
    pod.update('dev', 'a', (cur) => ({ ...cur, spec: { ...(cur.spec as object), restartPolicy: 'Never' } })),
    apiError(422, /spec: Forbidden: pod updates may not change fields other than/),
  );
});

test('dry run persists nothing', async () => {
  const { cm, storage } = await setup();
  const before = await storage.currentRevision();
  const d = await cm.create('dev', { metadata: { name: 'd' } }, { dryRun: true });
  assert.equal(d.metadata.name, 'd');
  assert.equal(await storage.currentRevision(), before);
  await cm.create('dev', { metadata: { name: 'd' } });
  await cm.update('dev', 'd', (cur) => ({ ...cur, data: { a: 'b' } }), { dryRun: true });
  await cm.delete('dev', 'd', { dryRun: true });
  assert.equal((await cm.get('dev', 'd')).data, undefined);
});

test('finalizers hold an object until they are removed; graceful pod deletion waits for the node', async () => {
  const { cm, pod } = await setup();
  await cm.create('dev', { metadata: { name: 'f', finalizers: ['example.com/x'] } });
  const marked = await cm.delete('dev', 'f');
  assert.equal(marked.removed, false);
  assert.ok(marked.obj.metadata.deletionTimestamp);
  await assert.rejects(
    cm.update('dev', 'f', (cur) => ({
      ...cur,
      metadata: { ...cur.metadata, finalizers: ['example.com/x', 'new'] },
    })),
    apiError(422, /no new finalizers/),
  );
  await cm.update('dev', 'f', (cur) => ({ ...cur, metadata: { ...cur.metadata, finalizers: [] } }));
  await assert.rejects(cm.get('dev', 'f'), apiError(404, /not found/));

  await pod.create('dev', aPod('unscheduled'));
  assert.equal((await pod.delete('dev', 'unscheduled')).removed, true);
  await pod.create(
    'dev',
    aPod('bound', { spec: { nodeName: 'n1', containers: [{ name: 'c', image: 'busybox' }] } }),
  );
  const g = await pod.delete('dev', 'bound');
  assert.equal(g.removed, false);
  assert.equal(g.obj.metadata.deletionGracePeriodSeconds, 30);
  assert.equal((await pod.delete('dev', 'bound', { gracePeriodSeconds: 0 })).removed, true);
});

test('delete preconditions', async () => {
  const { cm } = await setup();
  await cm.create('dev', { metadata: { name: 'p' } });
  await assert.rejects(
    cm.delete('dev', 'p', { preconditions: { uid: 'other' } }),
    apiError(409, /Precondition failed: UID in precondition: other/),
  );
});

test('list pagination with continue tokens, consistent at the first page revision', async () => {
  const { cm } = await setup();
  for (const n of ['a', 'b', 'c', 'd', 'e'])
    await cm.create('dev', { metadata: { name: n, labels: { odd: String('ace'.includes(n)) } } });
  const p1 = await cm.list({ namespace: 'dev', limit: 2 });
  assert.deepEqual(
    p1.items.map((o) => o.metadata.name),
    ['a', 'b'],
  );
  assert.ok(p1.continue);
  await cm.create('dev', { metadata: { name: 'bb' } });
  const p2 = await cm.list({ namespace: 'dev', limit: 2, continue: p1.continue });
  assert.deepEqual(
    p2.items.map((o) => o.metadata.name),
    ['c', 'd'],
  );
  const p3 = await cm.list({ namespace: 'dev', limit: 2, continue: p2.continue });
  assert.deepEqual(
    p3.items.map((o) => o.metadata.name),
    ['e'],
  );
  assert.equal(p3.continue, undefined);
  const odd = await cm.list({ namespace: 'dev', limit: 2, match: { labels: (l) => l.odd === 'true' } });
  assert.deepEqual(
    odd.items.map((o) => o.metadata.name),
    ['a', 'c'],
  );
  const exact = await cm.list({
    namespace: 'dev',
    resourceVersion: p1.resourceVersion,
    resourceVersionMatch: 'Exact',
  });
  assert.equal(exact.items.length, 5);
});
