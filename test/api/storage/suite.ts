// The one storage test suite, run against each backend (sqlite.test.ts, etcd.root.test.ts).
// Every test opens its own Storage, works under its own key prefix and closes what it opened.
import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import {
  StorageError,
  type KeyValue,
  type Storage,
  type StorageOptions,
  type WatchEvent,
} from '../../../src/api/storage/types.js';

export interface BackendUnderTest {
  /** A Storage on the backend's store (fresh or shared: tests isolate by key prefix). */
  open(opts?: StorageOptions): Promise<Storage>;
  /** How many rows the backend keeps for `key`, when it can tell (SQLite's kine rows). */
  rowsFor?(s: Storage, key: string): number;
}

let seq = 0;
function prefix(): string {
  return `/t/${process.pid}-${Date.now().toString(36)}-${seq++}/`;
}

const b = (s: string): Buffer => Buffer.from(s);

async function rejectsWith(p: Promise<unknown>, code: StorageError['code']): Promise<StorageError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof StorageError, `expected a StorageError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    return e;
  }
  assert.fail(`expected a '${code}' StorageError, the call succeeded`);
}

/** Collects a watch's events and errors; waitFor polls a condition on them. */
function collect(t: TestContext, s: Storage, p: string, from: number) {
  const events: WatchEvent[] = [];
  const errors: Error[] = [];
  const w = s.watch(
    p,
    from,
    (e) => events.push(e),
    (e) => errors.push(e),
  );
  t.after(() => w.close());
  const changes = (): Exclude<WatchEvent, { type: 'progress' }>[] =>
    events.filter((e): e is Exclude<WatchEvent, { type: 'progress' }> => e.type !== 'progress');
  return {
    events,
    errors,
    changes,
    watch: w,
    async waitFor(what: string, cond: () => boolean, ms = 10_000): Promise<void> {
      const end = Date.now() + ms;
      while (!cond()) {
        if (errors.length) assert.fail(`${what}: watch failed: ${errors[0]!.message}`);
        if (Date.now() > end)
          assert.fail(`${what}: not within ${ms} ms; events: ${JSON.stringify(summary(events))}`);
        await new Promise((r) => setTimeout(r, 10));
      }
    },
  };
}

function summary(events: WatchEvent[]): string[] {
  return events.map((e) =>
    e.type === 'progress'
      ? `progress@${e.revision}`
      : `${e.type} ${e.kv.key}@${e.kv.modRevision}=${e.kv.value.toString()}`,
  );
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function storageSuite(name: string, backend: () => BackendUnderTest): void {
  describe(`storage: ${name}`, { timeout: 120_000 }, () => {
    async function open(t: TestContext, opts: StorageOptions = {}): Promise<Storage> {
      const s = await backend().open({ progressIntervalMs: 0, ...opts });
      t.after(() => s.close());
      return s;
    }

    it('creates, gets, and refuses a second create with the current value', async (t) => {
      const s = await open(t);
      const p = prefix();
      const before = await s.currentRevision();
      const kv = await s.create(`${p}a`, b('one'));
      assert.equal(kv.key, `${p}a`);
      assert.ok(kv.modRevision > before);
      assert.equal(kv.createRevision, kv.modRevision);
      assert.equal(await s.currentRevision(), kv.modRevision);
      assert.deepEqual(await s.get(`${p}a`), kv);
      assert.equal(await s.get(`${p}missing`), undefined);
      const e = await rejectsWith(s.create(`${p}a`, b('two')), 'exists');
      assert.equal(e.current?.value.toString(), 'one');
      assert.equal(e.current?.modRevision, kv.modRevision);
    });

    it('updates at the expected revision; a stale one is a conflict carrying the current value', async (t) => {
      const s = await open(t);
      const p = prefix();
      const v1 = await s.create(`${p}a`, b('1'));
      const v2 = await s.update(`${p}a`, b('2'), v1.modRevision);
      assert.ok(v2.modRevision > v1.modRevision);
      assert.equal(v2.createRevision, v1.createRevision);
      assert.equal(v2.value.toString(), '2');
      const e = await rejectsWith(s.update(`${p}a`, b('3'), v1.modRevision), 'conflict');
      assert.deepEqual(e.current, v2);
      assert.equal((await s.get(`${p}a`))?.value.toString(), '2');
      await rejectsWith(s.update(`${p}missing`, b('x'), v1.modRevision), 'not-found');
    });

    it('deletes (at a revision or unconditionally), returns the last value, and re-creates', async (t) => {
      const s = await open(t);
      const p = prefix();
      const v1 = await s.create(`${p}a`, b('1'));
      const v2 = await s.update(`${p}a`, b('2'), v1.modRevision);
      const e = await rejectsWith(s.delete(`${p}a`, v1.modRevision), 'conflict');
      assert.deepEqual(e.current, v2);
      const d = await s.delete(`${p}a`, v2.modRevision);
      assert.equal(d.value.toString(), '2');
      assert.equal(d.createRevision, v1.createRevision);
      assert.ok(d.modRevision > v2.modRevision);
      assert.equal(await s.get(`${p}a`), undefined);
      await rejectsWith(s.delete(`${p}a`), 'not-found');
      await rejectsWith(s.update(`${p}a`, b('x'), v2.modRevision), 'not-found');
      const again = await s.create(`${p}a`, b('3'));
      assert.ok(again.createRevision > d.modRevision);
      const d2 = await s.delete(`${p}a`);
      assert.equal(d2.value.toString(), '3');
    });

    it('lists by prefix in key order, pages at one revision, reads the past, and counts', async (t) => {
      const s = await open(t);
      const p = prefix();
      for (const k of ['b', 'a', 'c/1', 'c/2', 'd']) await s.create(`${p}x/${k}`, b(k));
      await s.create(`${p}xy`, b('not under x/')); // shares the string prefix, not the "directory"
      await s.create(`${p}w`, b('before'));
      const all = await s.list(`${p}x/`);
      assert.deepEqual(
        all.items.map((i) => i.key),
        ['a', 'b', 'c/1', 'c/2', 'd'].map((k) => `${p}x/${k}`),
      );
      assert.equal(all.more, false);
      assert.equal(all.revision, await s.currentRevision());
      assert.equal(await s.count(`${p}x/`), 5);
      assert.equal(await s.count(`${p}x/c/`), 2);
      assert.equal(await s.count(`${p}nothing/`), 0);

      // Pages of 2 at the first page's revision, while the data changes underneath.
      const page1 = await s.list(`${p}x/`, { limit: 2 });
      assert.deepEqual(
        page1.items.map((i) => i.key),
        [`${p}x/a`, `${p}x/b`],
      );
      assert.equal(page1.more, true);
      await s.delete(`${p}x/c/1`);
      await s.create(`${p}x/bb`, b('new'));
      await s.update(`${p}x/d`, b('d2'), all.items[4]!.modRevision);
      const page2 = await s.list(`${p}x/`, { limit: 2, startAfter: `${p}x/b`, revision: page1.revision });
      assert.deepEqual(
        page2.items.map((i) => i.key),
        [`${p}x/c/1`, `${p}x/c/2`],
      );
      assert.equal(page2.more, true);
      assert.equal(page2.revision, page1.revision);
      const page3 = await s.list(`${p}x/`, { limit: 2, startAfter: `${p}x/c/2`, revision: page1.revision });
      assert.deepEqual(
        page3.items.map((i) => [i.key, i.value.toString()]),
        [[`${p}x/d`, 'd']],
      );
      assert.equal(page3.more, false);

      // Now: the changes are visible.
      const now = await s.list(`${p}x/`);
      assert.deepEqual(
        now.items.map((i) => [i.key, i.value.toString()]),
        [
          [`${p}x/a`, 'a'],
          [`${p}x/b`, 'b'],
          [`${p}x/bb`, 'new'],
          [`${p}x/c/2`, 'c/2'],
          [`${p}x/d`, 'd2'],
        ],
      );
      // Pages skip deleted keys and still fill up.
      for (let i = 0; i < 10; i++) await s.create(`${p}z/${i}`, b(String(i)));
      for (let i = 1; i <= 6; i++) await s.delete(`${p}z/${i}`);
      const z1 = await s.list(`${p}z/`, { limit: 2 });
      assert.deepEqual(
        z1.items.map((i) => i.key),
        [`${p}z/0`, `${p}z/7`],
      );
      assert.equal(z1.more, true);
      const z2 = await s.list(`${p}z/`, { limit: 2, startAfter: `${p}z/7`, revision: z1.revision });
      assert.deepEqual(
        z2.items.map((i) => i.key),
        [`${p}z/8`, `${p}z/9`],
      );
      assert.equal(z2.more, false);
      // A revision in the future is refused.
      await rejectsWith(s.list(`${p}x/`, { revision: now.revision + 1000 }), 'unavailable');
    });

    it('watches from now: puts with prev, deletes with the last value', async (t) => {
      const s = await open(t);
      const p = prefix();
      await s.create(`${p}other`, b('not watched'));
      const w = collect(t, s, `${p}w/`, 0);
      await sleep(200); // etcd registers the watch asynchronously
      const c = await s.create(`${p}w/a`, b('1'));
      await s.create(`${p}other2`, b('not watched'));
      const u = await s.update(`${p}w/a`, b('2'), c.modRevision);
      const d = await s.delete(`${p}w/a`);
      await w.waitFor('3 events', () => w.changes().length >= 3);
      const [e1, e2, e3] = w.changes();
      assert.deepEqual(e1, { type: 'put', kv: c });
      assert.deepEqual(e2, { type: 'put', kv: u, prev: c });
      assert.deepEqual(e3, { type: 'delete', kv: d, prev: u });
      await sleep(50);
      assert.equal(w.changes().length, 3);
    });

    it('replays from an old revision, then continues live', async (t) => {
      const s = await open(t);
      const p = prefix();
      const a1 = await s.create(`${p}a`, b('a1'));
      const a2 = await s.update(`${p}a`, b('a2'), a1.modRevision);
      const b1 = await s.create(`${p}b`, b('b1'));
      const ad = await s.delete(`${p}a`, a2.modRevision);
      const w = collect(t, s, p, a1.modRevision);
      await w.waitFor('replay', () => w.changes().length >= 3);
      const c1 = await s.create(`${p}c`, b('c1'));
      await w.waitFor('live', () => w.changes().length >= 4);
      assert.deepEqual(w.changes(), [
        { type: 'put', kv: a2, prev: a1 },
        { type: 'put', kv: b1 },
        { type: 'delete', kv: ad, prev: a2 },
        { type: 'put', kv: c1 },
      ]);
    });

    it("answers a watch or list from a compacted revision with 'compacted'", async (t) => {
      const s = await open(t);
      const p = prefix();
      const r1 = await s.create(`${p}a`, b('1'));
      const r2 = await s.update(`${p}a`, b('2'), r1.modRevision);
      const r3 = await s.update(`${p}a`, b('3'), r2.modRevision);
      const r4 = await s.update(`${p}a`, b('4'), r3.modRevision);
      await s.compact(r3.modRevision);
      assert.equal(await s.compactRevision(), r3.modRevision);

      const old = collect(t, s, p, r1.modRevision);
      await new Promise<void>((res, rej) => {
        const end = Date.now() + 10_000;
        const tick = () =>
          old.errors.length ? res() : Date.now() > end ? rej(new Error('no error')) : setTimeout(tick, 10);
        tick();
      });
      const err = old.errors[0];
      assert.ok(err instanceof StorageError && err.code === 'compacted', String(err));
      assert.equal(err.compactRevision, r3.modRevision);
      assert.equal(old.changes().length, 0);

      await rejectsWith(s.list(p, { revision: r2.modRevision }), 'compacted');
      const at3 = await s.list(p, { revision: r3.modRevision });
      assert.deepEqual(
        at3.items.map((i) => i.value.toString()),
        ['3'],
      );
      // From the compact revision on, history is complete.
      const ok = collect(t, s, p, r3.modRevision);
      await ok.waitFor('event after the compact revision', () => ok.changes().length >= 1);
      assert.deepEqual(ok.changes(), [{ type: 'put', kv: r4, prev: r3 }]);
      // Compacting lower again is a no-op.
      await s.compact(r2.modRevision);
      assert.equal(await s.compactRevision(), r3.modRevision);
    });

    it('loses and repeats no event between a list at R and a watch from R under concurrent writes', async (t) => {
      const s = await open(t);
      const p = prefix();
      const state = new Map<string, number>(); // the writers' own view, for expected revisions
      for (let i = 0; i < 20; i++)
        state.set(`${p}${i}`, (await s.create(`${p}${i}`, b(`v${i}`))).modRevision);
      let maxRev = 0; // the newest write of any writer
      const wrote = (r: number): number => ((maxRev = Math.max(maxRev, r)), r);
      const writer = async (id: number): Promise<void> => {
        for (let n = 0; n < 400; n++) {
          // Each write on its own turn of the event loop, as requests arrive.
          await new Promise((r) => setImmediate(r));
          const key = `${p}${(n * 7 + id * 3) % 30}`;
          const rev = state.get(key);
          try {
            if (rev === undefined) state.set(key, wrote((await s.create(key, b(`c${id}.${n}`))).modRevision));
            else if (n % 9 === 0) {
              wrote((await s.delete(key, rev)).modRevision);
              state.delete(key);
            } else state.set(key, wrote((await s.update(key, b(`u${id}.${n}`), rev)).modRevision));
          } catch (e) {
            if (!(e instanceof StorageError) || !['conflict', 'exists', 'not-found'].includes(e.code))
              throw e;
            const cur = await s.get(key);
            if (cur) state.set(key, cur.modRevision);
            else state.delete(key);
          }
        }
      };
      const writers = [0, 1, 2, 3].map(writer);
      await sleep(30);
      // List (in pages, at one revision) and watch from its revision while the writers run.
      const seen = new Map<string, KeyValue>();
      let page = await s.list(p, { limit: 7 });
      const R = page.revision;
      for (;;) {
        for (const kv of page.items) seen.set(kv.key, kv);
        if (!page.more) break;
        page = await s.list(p, { limit: 7, revision: R, startAfter: page.items.at(-1)!.key });
      }
      const w = collect(t, s, p, R);
      await Promise.all(writers);
      const final = await s.list(p);
      assert.ok(maxRev > R, 'the writers went on after the list');
      // Wait until the newest write has arrived.
      await w.waitFor('all events', () => (w.changes().at(-1)?.kv.modRevision ?? 0) >= maxRev);
      await sleep(100);
      let last = R;
      for (const e of w.changes()) {
        assert.ok(
          e.kv.modRevision > last,
          `revision ${e.kv.modRevision} after ${last}: out of order or repeated`,
        );
        last = e.kv.modRevision;
        if (e.type === 'put') {
          // An update's prev is exactly what the list+watch state held for the key.
          if (e.prev)
            assert.equal(seen.get(e.kv.key)?.modRevision, e.prev.modRevision, `prev of ${e.kv.key}`);
          else assert.equal(seen.get(e.kv.key), undefined, `create of ${e.kv.key} while present`);
          seen.set(e.kv.key, e.kv);
        } else {
          assert.equal(seen.get(e.kv.key)?.modRevision, e.prev.modRevision, `delete of ${e.kv.key}`);
          seen.delete(e.kv.key);
        }
      }
      assert.deepEqual(
        [...seen.values()].sort((x, y) => (x.key < y.key ? -1 : 1)),
        final.items,
      );
      assert.ok(
        w.changes().length > 50,
        `only ${w.changes().length} events: the writers did not overlap the list`,
      );
    });

    it('lets exactly one of N parallel updates (and creates) from the same revision win', async (t) => {
      const s = await open(t);
      const p = prefix();
      const base = await s.create(`${p}a`, b('base'));
      const N = 25;
      const results = await Promise.allSettled(
        Array.from({ length: N }, (_, i) => s.update(`${p}a`, b(`w${i}`), base.modRevision)),
      );
      const won = results.filter((r): r is PromiseFulfilledResult<KeyValue> => r.status === 'fulfilled');
      assert.equal(won.length, 1);
      for (const r of results) {
        if (r.status === 'rejected') {
          assert.ok(r.reason instanceof StorageError && r.reason.code === 'conflict', String(r.reason));
          assert.equal(r.reason.current?.modRevision, won[0]!.value.modRevision);
        }
      }
      assert.deepEqual(await s.get(`${p}a`), won[0]!.value);

      const creates = await Promise.allSettled(
        Array.from({ length: N }, (_, i) => s.create(`${p}new`, b(`c${i}`))),
      );
      assert.equal(creates.filter((r) => r.status === 'fulfilled').length, 1);
      for (const r of creates) {
        if (r.status === 'rejected') assert.equal((r.reason as StorageError).code, 'exists');
      }
    });

    it('compaction keeps the latest values and bounds the rows per key', async (t) => {
      const s = await open(t);
      const p = prefix();
      const last = new Map<string, KeyValue>();
      for (let k = 0; k < 10; k++) last.set(`${p}${k}`, await s.create(`${p}${k}`, b(`${k}.0`)));
      for (let n = 1; n <= 30; n++) {
        for (let k = 0; k < 10; k++) {
          const key = `${p}${k}`;
          last.set(key, await s.update(key, b(`${k}.${n}`), last.get(key)!.modRevision));
        }
      }
      for (const k of [7, 8, 9]) {
        await s.delete(`${p}${k}`);
        last.delete(`${p}${k}`);
      }
      const bt = backend();
      if (bt.rowsFor) assert.equal(bt.rowsFor(s, `${p}0`), 31);
      const rev = await s.currentRevision();
      await s.compact(rev);
      const now = await s.list(p);
      assert.deepEqual(now.items, [...last.values()]);
      if (bt.rowsFor) {
        for (let k = 0; k < 10; k++)
          assert.equal(bt.rowsFor(s, `${p}${k}`), k < 7 ? 1 : 0, `rows of key ${k}`);
      }
      // Everything still works on compacted keys.
      const u = await s.update(`${p}0`, b('after'), last.get(`${p}0`)!.modRevision);
      assert.equal((await s.get(`${p}0`))?.value.toString(), 'after');
      const again = await s.create(`${p}9`, b('reborn'));
      assert.equal(again.createRevision, again.modRevision);
      await s.delete(`${p}1`, last.get(`${p}1`)!.modRevision);
      assert.equal(await s.count(p), 7);
      const w = collect(t, s, p, rev);
      await w.waitFor('events after compaction', () => w.changes().length >= 3);
      assert.deepEqual(
        w.changes().map((e) => [e.type, e.kv.key]),
        [
          ['put', u.key],
          ['put', again.key],
          ['delete', `${p}1`],
        ],
      );
    });

    it('compacts automatically, keeping the retained window', async (t) => {
      const s = await open(t, { compactIntervalMs: 50, compactRetain: 100 });
      const p = prefix();
      let kv = await s.create(`${p}a`, b('0'));
      for (let i = 1; i <= 300; i++) kv = await s.update(`${p}a`, b(String(i)), kv.modRevision);
      const end = Date.now() + 10_000;
      let c: number;
      while ((c = await s.compactRevision()) < kv.modRevision - 150) {
        assert.ok(Date.now() < end, `compact revision ${c} did not reach ${kv.modRevision - 150}`);
        await sleep(20);
      }
      assert.ok(c <= (await s.currentRevision()) - 100, 'the last 100 revisions are kept');
      assert.equal((await s.get(`${p}a`))?.value.toString(), '300');
    });

    it('fans out to many watchers by prefix; close stops one; a throwing callback ends only its watch', async (t) => {
      const s = await open(t);
      const p = prefix();
      const from = await s.currentRevision();
      const wa = collect(t, s, `${p}a/`, from);
      const wb = collect(t, s, `${p}b/`, from);
      const wall = collect(t, s, p, from);
      const thrown: Error[] = [];
      const bad = s.watch(
        p,
        from,
        () => {
          throw new Error('consumer broke');
        },
        (e) => thrown.push(e),
      );
      t.after(() => bad.close());
      await s.create(`${p}a/1`, b('1'));
      await s.create(`${p}b/1`, b('1'));
      await s.create(`${p}a/2`, b('2'));
      await wall.waitFor('all 3', () => wall.changes().length === 3);
      await wa.waitFor('a 2', () => wa.changes().length === 2);
      await wb.waitFor('b 1', () => wb.changes().length === 1);
      // The throwing watch gets its first event on its own schedule (etcd: a stream of its own).
      await wall.waitFor('the throwing callback reported', () => thrown.length > 0);
      wa.watch.close();
      await s.create(`${p}a/3`, b('3'));
      await wall.waitFor('all 4', () => wall.changes().length === 4);
      await sleep(50);
      assert.equal(wa.changes().length, 2);
      assert.equal(wb.changes().length, 1);
      assert.equal(thrown.length, 1);
      assert.equal(thrown[0]!.message, 'consumer broke');
    });

    it('sends progress events with a revision covering the last write', async (t) => {
      const s = await open(t, { progressIntervalMs: 100 });
      const p = prefix();
      const w = collect(t, s, p, await s.currentRevision());
      const kv = await s.create(`${p}a`, b('1'));
      await w.waitFor('progress', () =>
        w.events.some((e) => e.type === 'progress' && e.revision >= kv.modRevision),
      );
      // Progress never goes backwards and never precedes an event it covers.
      let last = 0;
      for (const e of w.events) {
        const r = e.type === 'progress' ? e.revision : e.kv.modRevision;
        assert.ok(r >= last, `revision ${r} after ${last}`);
        last = r;
      }
    });
  });
}
