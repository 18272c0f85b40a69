// The SQLite backend answers reads from what its own commits told it (sqlite-memo.ts): those
// answers must be the database's, through creates, updates, deletes, re-creates, compaction and a
// reopen; and a database made with kine's extra indexes loses them on open.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { openSqlite, type SqliteStorage } from '../../../src/api/storage/sqlite.js';
import type { Storage } from '../../../src/api/storage/types.js';

const dir = mkdtempSync(join(tmpdir(), 'corral-sqlite-memo-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const freshPath = () => join(dir, `m${n++}.db`);
const b = (s: string) => Buffer.from(s);

/** What a second, read-only connection finds for `key` (the newest row, if live). */
function onDisk(path: string, key: string): string | undefined {
  const db = new Database(path, { readonly: true });
  try {
    const r = db
      .prepare('SELECT deleted, value FROM kine WHERE name = ? ORDER BY id DESC LIMIT 1')
      .get(key) as { deleted: number; value: Buffer } | undefined;
    return r && !r.deleted ? r.value.toString() : undefined;
  } finally {
    db.close();
  }
}

const names = async (s: Storage, prefix: string) => (await s.list(prefix)).items.map((kv) => kv.key);

describe('storage: sqlite answers from its own commits', () => {
  it('gets what the database holds after each kind of write', async () => {
    const path = freshPath();
    const s = openSqlite(path, { progressIntervalMs: 0 });
    try {
      assert.equal(await s.get('/r/a'), undefined);
      const c = await s.create('/r/a', b('1'));
      assert.equal((await s.get('/r/a'))?.value.toString(), '1');
      const u = await s.update('/r/a', b('2'), c.modRevision);
      const got = await s.get('/r/a');
      assert.equal(got?.value.toString(), '2');
      assert.equal(got?.modRevision, u.modRevision);
      assert.equal(got?.createRevision, c.modRevision);
      assert.equal(onDisk(path, '/r/a'), '2');
      // A stale write still conflicts: the check reads the database, not memory.
      await assert.rejects(s.update('/r/a', b('x'), c.modRevision), { code: 'conflict' });
      await s.delete('/r/a');
      assert.equal(await s.get('/r/a'), undefined);
      assert.equal(onDisk(path, '/r/a'), undefined);
      const again = await s.create('/r/a', b('3'));
      assert.equal((await s.get('/r/a'))?.modRevision, again.modRevision);
      assert.equal(await s.currentRevision(), again.modRevision);
    } finally {
      await s.close();
    }
  });

  it('lists an empty directory at the current revision, and a filled one from the database', async () => {
    const s = openSqlite(freshPath(), { progressIntervalMs: 0 });
    try {
      await s.create('/r/pods/ns1/a', b('a'));
      const x = await s.create('/r/pods/ns2/x', b('x'));
      const empty = await s.list('/r/limitranges/ns1/');
      assert.deepEqual(empty, { items: [], revision: await s.currentRevision(), more: false });
      assert.deepEqual(await names(s, '/r/pods/'), ['/r/pods/ns1/a', '/r/pods/ns2/x']);
      await s.delete('/r/pods/ns2/x', x.modRevision);
      assert.deepEqual(await names(s, '/r/pods/ns2/'), []);
      assert.deepEqual(await names(s, '/r/pods/'), ['/r/pods/ns1/a']);
      // An older revision is history: the database answers, with the deleted key still there.
      assert.deepEqual(
        (await s.list('/r/pods/ns2/', { revision: x.modRevision })).items.map((kv) => kv.key),
        ['/r/pods/ns2/x'],
      );
      await s.create('/r/pods/ns2/y', b('y'));
      assert.deepEqual(await names(s, '/r/pods/ns2/'), ['/r/pods/ns2/y']);
    } finally {
      await s.close();
    }
  });

  it('knows after a reopen and a compaction what the database knows', async () => {
    const path = freshPath();
    let s: SqliteStorage = openSqlite(path, { progressIntervalMs: 0 });
    let rev: number;
    try {
      const a = await s.create('/r/cm/ns/a', b('a1'));
      await s.update('/r/cm/ns/a', b('a2'), a.modRevision);
      const gone = await s.create('/r/cm/other/g', b('g'));
      await s.delete('/r/cm/other/g', gone.modRevision);
      rev = await s.currentRevision();
      await s.compact(rev);
      assert.equal(await s.compactRevision(), rev);
      await assert.rejects(s.list('/r/cm/', { revision: a.modRevision }), { code: 'compacted' });
    } finally {
      await s.close();
    }
    s = openSqlite(path, { progressIntervalMs: 0 });
    try {
      assert.equal(await s.currentRevision(), rev);
      assert.equal(await s.compactRevision(), rev);
      assert.equal((await s.get('/r/cm/ns/a'))?.value.toString(), 'a2');
      assert.equal(await s.get('/r/cm/other/g'), undefined);
      assert.deepEqual(await names(s, '/r/cm/other/'), []);
      assert.deepEqual(await names(s, '/r/cm/'), ['/r/cm/ns/a']);
      const next = await s.create('/r/cm/other/h', b('h'));
      assert.equal(next.modRevision, rev + 1);
    } finally {
      await s.close();
    }
  });

  it("drops kine's extra indexes from a database made with them", async () => {
    const path = freshPath();
    await openSqlite(path, { progressIntervalMs: 0 }).close();
    const old = new Database(path);
    old.exec(`CREATE INDEX kine_name_id_index ON kine (name, id);
      CREATE INDEX kine_id_deleted_index ON kine (id, deleted);
      CREATE INDEX kine_prev_revision_index ON kine (prev_revision);`);
    old.close();
    const s = openSqlite(path, { progressIntervalMs: 0 });
    try {
      const indexes = (
        s.db.prepare(`SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'kine'`).all() as {
          name: string;
        }[]
      )
        .map((r) => r.name)
        .filter((x) => !x.startsWith('sqlite_'))
        .sort();
      assert.deepEqual(indexes, ['kine_name_index', 'kine_name_prev_revision_uindex']);
    } finally {
      await s.close();
    }
  });
});
