// The served-JSON cache: GET and LIST bytes from it are what decoding the stored value gives, for
// every way a key's revision moves (writes through the store, another store, storage itself, dry
// runs), and the cache stays within its byte budget. Over SQLite, the backend a server runs on.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { admitAll } from '../../../src/api/admission/types.js';
import { Store } from '../../../src/api/registry/store.js';
import { WireCache, wireCacheFor } from '../../../src/api/registry/wire-cache.js';
import { configmaps } from '../../../src/api/resources/config.js';
import { namespaces } from '../../../src/api/resources/namespaces.js';
import { pods } from '../../../src/api/resources/pods.js';
import type { KObject } from '../../../src/api/resources/types.js';
import { openSqlite } from '../../../src/api/storage/sqlite.js';

async function setup(t: { after(fn: () => Promise<void> | void): void }) {
  const dir = mkdtempSync(join(tmpdir(), 'corral-wire-cache-'));
  const storage = openSqlite(join(dir, 'state.db'), { progressIntervalMs: 0 });
  t.after(async () => {
    await storage.close();
    rmSync(dir, { recursive: true, force: true });
  });
  await new Store(storage, namespaces, admitAll).create('', { metadata: { name: 'dev' } });
  return { storage, pod: new Store(storage, pods, admitAll), cm: new Store(storage, configmaps, admitAll) };
}

const parse = (b: Buffer) => JSON.parse(b.toString()) as KObject;
const aPod = (name: string): KObject => ({
  metadata: { name, labels: { app: 'web' } },
  spec: { containers: [{ name: 'c', image: 'busybox' }] },
});

/** What GET sent before the cache: the decoded object with its type meta, serialized. */
async function decodedGet(store: Store, ns: string, name: string): Promise<string> {
  const o = await store.get(ns, name);
  return JSON.stringify({ apiVersion: 'v1', kind: store.def.kind, ...o });
}

test('GET bytes follow every write, whoever makes it', async (t) => {
  const { storage, pod } = await setup(t);
  const created = await pod.create('dev', aPod('a'));
  // The create's response seeds the cache: byte for byte what decoding the stored value gives.
  assert.equal(pod.wireJSON(created).toString(), await decodedGet(pod, 'dev', 'a'));
  assert.equal((await pod.getJSON('dev', 'a')).toString(), await decodedGet(pod, 'dev', 'a'));

  // An update whose metadata has resourceVersion first still caches GET's key order.
  const cur = await pod.get('dev', 'a');
  const { resourceVersion, ...rest } = cur.metadata;
  const updated = await pod.update('dev', 'a', () => ({
    ...cur,
    metadata: { resourceVersion, ...rest, labels: { app: 'api' } },
  }));
  assert.equal(pod.wireJSON(updated).toString(), await decodedGet(pod, 'dev', 'a'));
  assert.equal(parse(await pod.getJSON('dev', 'a')).metadata.labels?.app, 'api');

  // A dry run returns the would-be object; GET still serves the stored one.
  const dry = await pod.update(
    'dev',
    'a',
    (c) => ({ ...c, metadata: { ...c.metadata, labels: { app: 'dry' } } }),
    { dryRun: true },
  );
  assert.equal(parse(pod.wireJSON(dry)).metadata.labels?.app, 'dry');
  assert.equal(parse(await pod.getJSON('dev', 'a')).metadata.labels?.app, 'api');

  // Another Store over the same storage (admission and controllers have their own).
  const other = new Store(storage, pods, admitAll);
  await other.update('dev', 'a', (c) => ({ ...c, metadata: { ...c.metadata, labels: { app: 'other' } } }));
  assert.equal(parse(await pod.getJSON('dev', 'a')).metadata.labels?.app, 'other');

  // Storage written underneath the registry.
  const kv = (await storage.get(pod.key('dev', 'a')))!;
  const raw = JSON.parse(kv.value.toString()) as KObject;
  raw.metadata.labels = { app: 'raw' };
  await storage.update(kv.key, Buffer.from(JSON.stringify(raw)), kv.modRevision);
  const got = parse(await pod.getJSON('dev', 'a'));
  assert.equal(got.metadata.labels?.app, 'raw');
  assert.equal(got.metadata.resourceVersion, String(kv.modRevision + 1));

  // Deleted, then created again under the same name: the new object, never the old bytes.
  await pod.delete('dev', 'a', { gracePeriodSeconds: 0 });
  await assert.rejects(pod.getJSON('dev', 'a'), /pods "a" not found/);
  const again = await pod.create('dev', aPod('a'));
  assert.equal(parse(await pod.getJSON('dev', 'a')).metadata.uid, again.metadata.uid);
});

test('LIST items are the bytes GET serves; selectors still apply', async (t) => {
  const { cm } = await setup(t);
  for (let i = 0; i < 30; i++)
    await cm.create('dev', {
      metadata: { name: `c${String(i).padStart(2, '0')}`, labels: { odd: String(i % 2) } },
    });
  const decoded = await cm.list({ namespace: 'dev' });
  const wire = await cm.listJSON({ namespace: 'dev' });
  assert.equal(wire.resourceVersion, decoded.resourceVersion);
  assert.deepEqual(
    wire.items.map((b) => b.toString()),
    decoded.items.map((o) => JSON.stringify(o)),
  );
  const odd = await cm.listJSON({ namespace: 'dev', match: { labels: (l) => l.odd === '1' } });
  assert.equal(odd.items.length, 15);
  assert.ok(odd.items.every((b) => parse(b).metadata.labels?.odd === '1'));
  const page = await cm.listJSON({ namespace: 'dev', limit: 7 });
  assert.deepEqual(
    page.items.map((b) => parse(b).metadata.name),
    decoded.items.slice(0, 7).map((o) => o.metadata.name),
  );
  assert.ok(page.continue);
});

test('a list without a limit is read in chunks at one revision, letting other work in between', async (t) => {
  const { cm } = await setup(t);
  for (let i = 0; i < 1200; i += 100)
    await Promise.all(
      Array.from({ length: 100 }, (_, j) => cm.create('dev', { metadata: { name: `c${i + j}` } })),
    );
  let ticks = 0;
  const timer = setInterval(() => ticks++, 0);
  // Writes made while the list runs are not in it: it is consistent at its first chunk's revision.
  const listing = cm.list({ namespace: 'dev' });
  const late = cm.create('dev', { metadata: { name: 'late' } });
  const list = await listing;
  clearInterval(timer);
  await late;
  assert.equal(list.items.length, 1200);
  assert.ok(!list.items.some((o) => o.metadata.name === 'late'));
  assert.ok(list.items.every((o) => Number(o.metadata.resourceVersion) <= Number(list.resourceVersion)));
  const names = list.items.map((o) => o.metadata.name!);
  assert.deepEqual(names, [...names].sort());
  assert.ok(ticks > 0, 'timers ran while the list was read');
  assert.equal((await cm.list({ namespace: 'dev' })).items.length, 1201);
});

test('the cache keeps to its byte budget, least recently used out first', () => {
  const c = new WireCache(1000);
  const b = (n: number) => Buffer.alloc(n, 'x');
  c.set('a', 1, b(40));
  c.set('b', 1, b(40));
  assert.equal(c.get('a', 2), undefined, 'another revision is a miss');
  assert.equal(c.get('a', 1)?.length, 40);
  for (let i = 0; i < 30; i++) c.set(`k${i}`, 1, b(40));
  assert.ok(c.usedBytes <= 1000);
  assert.equal(c.size, 25);
  assert.equal(c.get('b', 1), undefined, 'b was the least recently used');
  c.set('k29', 3, b(10));
  c.set('k29', 2, b(10));
  assert.equal(c.get('k29', 3)?.length, 10, 'an older revision does not replace a newer one');
  c.set('huge', 1, b(100));
  assert.equal(c.get('huge', 1), undefined, 'one entry may not take more than 1/16 of the budget');
  c.delete('k29');
  assert.equal(c.get('k29', 3), undefined);
});

test('one cache per storage', async (t) => {
  const a = await setup(t);
  const b = await setup(t);
  assert.notEqual(wireCacheFor(a.storage), wireCacheFor(b.storage));
  assert.equal(wireCacheFor(a.storage), wireCacheFor(a.storage));
  // The same key at the same revision in two databases: each GET answers from its own.
  await a.cm.create('dev', { metadata: { name: 'x' }, data: { from: 'a' } });
  await b.cm.create('dev', { metadata: { name: 'x' }, data: { from: 'b' } });
  assert.equal((parse(await a.cm.getJSON('dev', 'x')).data as { from: string }).from, 'a');
  assert.equal((parse(await b.cm.getJSON('dev', 'x')).data as { from: string }).from, 'b');
});
