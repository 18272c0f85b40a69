// Watch over HTTP: headers at once, initial state, resume from a resourceVersion without loss,
// selector transitions, Table events, bookmarks and 410 Expired after compaction.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { openWatch, pod, startTestApi } from '../support/api.js';

test('watch', async (t) => {
  const api = await startTestApi({ bookmarkEveryMs: 200 });
  t.after(() => api.server.stop());
  const ns = '/api/v1/namespaces/dev';
  await api.call('POST', '/api/v1/namespaces', { metadata: { name: 'dev' } });
  await api.call('POST', `${ns}/pods`, pod('a'));
  const list = await api.call('GET', `${ns}/pods`);
  const rv = list.body.metadata.resourceVersion as string;

  await t.test(
    'headers come at once; resume from the list revision replays what happened since',
    async () => {
      await api.call('POST', `${ns}/pods`, pod('b'));
      const w = await openWatch(`${api.url}${ns}/pods?watch=true&resourceVersion=${rv}`);
      t.after(() => w.close());
      assert.equal(w.status, 200);
      assert.equal(w.contentType, 'application/json');
      await w.waitFor((e) => e.some((x) => x.type === 'ADDED' && x.object.metadata.name === 'b'));
      assert.ok(!w.events.some((x) => x.object.metadata?.name === 'a'), 'nothing before the revision');
      await api.call('PATCH', `${ns}/pods/b`, '{"metadata":{"labels":{"x":"1"}}}', {
        'Content-Type': 'application/merge-patch+json',
      });
      await api.call('DELETE', `${ns}/pods/b`);
      await w.waitFor((e) => e.some((x) => x.type === 'DELETED'));
      assert.deepEqual(
        w.events.map((x) => `${x.type} ${x.object.metadata.name}`),
        ['ADDED b', 'MODIFIED b', 'DELETED b'],
      );
      const rvs = w.events.map((x) => Number(x.object.metadata.resourceVersion));
      assert.deepEqual(
        [...rvs].sort((p, q) => p - q),
        rvs,
      );
    },
  );

  await t.test('without resourceVersion the current state comes first', async () => {
    const w = await openWatch(`${api.url}${ns}/pods?watch=1`);
    t.after(() => w.close());
    await w.waitFor((e) => e.some((x) => x.object.metadata.name === 'a'));
    assert.equal(w.events[0]!.type, 'ADDED');
  });

  await t.test('selectors: leaving the selection is DELETED, entering is ADDED; Table events', async () => {
    const cur = await api.call('GET', `${ns}/pods`);
    const w = await openWatch(
      `${api.url}${ns}/pods?watch=true&labelSelector=sel%3Dyes&resourceVersion=${cur.body.metadata.resourceVersion}`,
      {
        Accept: 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json',
      },
    );
    t.after(() => w.close());
    const label = (v: string | null) =>
      api.call('PATCH', `${ns}/pods/a`, JSON.stringify({ metadata: { labels: { sel: v } } }), {
        'Content-Type': 'application/merge-patch+json',
      });
    await label('yes');
    await label('no');
    await w.waitFor((e) => e.length >= 2);
    assert.deepEqual(
      w.events.map((x) => x.type),
      ['ADDED', 'DELETED'],
    );
    assert.equal(w.events[0]!.object.kind, 'Table');
    assert.equal(w.events[0]!.object.rows[0].cells[0], 'a');
    assert.equal(w.events[0]!.object.rows[0].object.metadata.name, 'a');
  });

  await t.test(
    'a watch on one object by name; bookmarks when allowed; timeoutSeconds ends the stream',
    async () => {
      const w = await openWatch(
        `${api.url}${ns}/pods?watch=true&fieldSelector=metadata.name%3Da&allowWatchBookmarks=true&timeoutSeconds=1&resourceVersion=${rv}`,
      );
      await w.waitFor((e) => e.some((x) => x.type === 'BOOKMARK'));
      assert.ok(w.events.filter((x) => x.type !== 'BOOKMARK').every((x) => x.object.metadata.name === 'a'));
      assert.equal(w.events.find((x) => x.type === 'BOOKMARK')!.object.kind, 'Pod');
      await w.ended;
    },
  );

  await t.test('a compacted revision answers ERROR 410 Expired', async () => {
    await api.call('POST', `${ns}/pods`, pod('c'));
    await api.storage.compact(await api.storage.currentRevision());
    const w = await openWatch(`${api.url}${ns}/pods?watch=true&resourceVersion=${rv}`);
    await w.waitFor((e) => e.some((x) => x.type === 'ERROR'));
    assert.equal(w.events[0]!.object.code, 410);
    assert.equal(w.events[0]!.object.reason, 'Expired');
    await w.ended;
    const exact = await api.call('GET', `${ns}/pods?resourceVersion=${rv}&resourceVersionMatch=Exact`);
    assert.equal(exact.status, 410);
  });
});
