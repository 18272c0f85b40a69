// The shared suite on SQLite, plus what only SQLite has: durability across kill -9, a bounded WAL,
// and no SQLITE_BUSY with other connections reading while this one writes.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { openStorage } from '../../../src/api/storage/open.js';
import { SqliteStorage } from '../../../src/api/storage/sqlite.js';
import type { KeyValue, WatchEvent } from '../../../src/api/storage/types.js';
import { storageSuite } from './suite.js';

const dir = mkdtempSync(join(tmpdir(), 'corral-sqlite-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const freshPath = (): string => join(dir, `s${n++}.db`);

storageSuite('sqlite', () => ({
  open: (o) => openStorage(`sqlite:${freshPath()}`, o),
  rowsFor: (s, key) =>
    (
      (s as SqliteStorage).db.prepare('SELECT COUNT(*) AS n FROM kine WHERE name = ?').get(key) as {
        n: number;
      }
    ).n,
}));

const here = dirname(fileURLToPath(import.meta.url));
const walSize = (path: string): number => {
  try {
    return statSync(`${path}-wal`).size;
  } catch {
    return 0;
  }
};

describe('storage: sqlite only', { timeout: 120_000 }, () => {
  it('keeps every acknowledged write across kill -9 of the writer', async () => {
    const path = freshPath();
    const child = spawn(process.execPath, [join(here, 'writer-child.js'), path], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const acked = new Map<string, number>();
    let buf = '';
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<NodeJS.Signals | number | null>((r) =>
      child.once('exit', (c, s) => r(s ?? c)),
    );
    try {
      await new Promise<void>((res, rej) => {
        child.stdout.on('data', (d: Buffer) => {
          buf += d.toString();
          const lines = buf.split('\n');
          buf = lines.pop()!;
          for (const l of lines) {
            const [k, r] = l.split(' ');
            acked.set(k!, Number(r));
          }
          // Kill mid-stream, as soon as a good number of writes are acknowledged.
          if (acked.size > 3000) res();
        });
        child.once('exit', () => rej(new Error(`writer exited early: ${stderr}`)));
      });
      child.kill('SIGKILL');
      assert.equal(await exited, 'SIGKILL');
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    }
    // Lines still in the pipe were acknowledged too.
    for (const l of buf.split('\n').filter((x) => x.includes(' ')))
      acked.set(l.split(' ')[0]!, Number(l.split(' ')[1]));

    const check = new Database(path, { readonly: true });
    try {
      // integrity_check reads the WAL the killed writer left, as the next opener will.
      assert.deepEqual(check.pragma('integrity_check'), [{ integrity_check: 'ok' }]);
    } finally {
      check.close();
    }
    const s = await openStorage(`sqlite:${path}`);
    try {
      for (const [key, rev] of acked) {
        const kv = await s.get(key);
        assert.ok(kv, `acknowledged ${key}@${rev} is missing`);
        assert.ok(kv.modRevision >= rev, `${key} is at ${kv.modRevision}, acknowledged ${rev}`);
      }
      const cur = await s.currentRevision();
      assert.ok(cur >= acked.get('/counter')!);
      // And the store keeps working.
      await s.create('/after-crash', Buffer.from('ok'));
    } finally {
      await s.close();
    }
  });

  it('bounds the WAL and the rows per key after compaction and checkpoint', async () => {
    const path = freshPath();
    const s = (await openStorage(`sqlite:${path}`, { progressIntervalMs: 0 })) as SqliteStorage;
    try {
      const big = Buffer.alloc(2000, 'x');
      const kvs: KeyValue[] = [];
      for (let k = 0; k < 20; k++) kvs.push(await s.create(`/lease/${k}`, big));
      for (let i = 0; i < 5000; i++) {
        const k = i % 20;
        kvs[k] = await s.update(`/lease/${k}`, big, kvs[k]!.modRevision);
      }
      const walBefore = walSize(path);
      const rows = () => (s.db.prepare('SELECT COUNT(*) AS n FROM kine').get() as { n: number }).n;
      assert.equal(rows(), 5020);
      await s.compact((await s.currentRevision()) - 1000);
      assert.equal(
        walSize(path),
        0,
        `WAL was ${walBefore} bytes, still ${walSize(path)} after the checkpoint`,
      );
      assert.ok(rows() <= 1000 + 20, `${rows()} rows kept`);
      const perKey = s.db
        .prepare('SELECT MAX(c) AS m FROM (SELECT COUNT(*) AS c FROM kine GROUP BY name)')
        .get() as { m: number };
      assert.ok(perKey.m <= 1000 / 20 + 1, `${perKey.m} rows for one key`);
      for (let k = 0; k < 20; k++)
        assert.equal((await s.get(`/lease/${k}`))?.modRevision, kvs[k]!.modRevision);
    } finally {
      await s.close();
    }
  });

  it('surfaces no SQLITE_BUSY with other connections reading while writers, watchers and the compactor run', async () => {
    const path = freshPath();
    const s = (await openStorage(`sqlite:${path}`, {
      progressIntervalMs: 50,
      compactIntervalMs: 100,
      compactRetain: 200,
    })) as SqliteStorage;
    // A reader in another process, reading in a loop for the whole test.
    const readerSrc = `
      const D = require(${JSON.stringify(createRequire(import.meta.url).resolve('better-sqlite3'))});
      const db = new D(process.argv[1], { readonly: true, timeout: 30000 });
      let n = 0, errors = 0;
      const end = Date.now() + 2500;
      while (Date.now() < end) {
        try { db.prepare('SELECT COUNT(*) FROM kine').get(); db.prepare('SELECT * FROM kine ORDER BY id DESC LIMIT 10').all(); n++; }
        catch (e) { errors++; console.error(e.code + ' ' + e.message); }
      }
      console.log(JSON.stringify({ n, errors }));`;
    const reader = spawn(process.execPath, ['-e', readerSrc, path], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    reader.stdout.on('data', (d: Buffer) => (out += d.toString()));
    reader.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const readerDone = new Promise<void>((r) => reader.once('exit', () => r()));
    // And a second connection in this process.
    const second = new Database(path, { readonly: true, timeout: 30_000 });
    try {
      const events: WatchEvent[] = [];
      const errors: Error[] = [];
      const w = s.watch(
        '/',
        await s.currentRevision(),
        (e) => events.push(e),
        (e) => errors.push(e),
      );
      let secondReads = 0;
      const end = Date.now() + 2000;
      const writer = async (id: number): Promise<number> => {
        let writes = 0;
        let kv = await s.create(`/w/${id}`, Buffer.from('0'));
        while (Date.now() < end) {
          kv = await s.update(`/w/${id}`, Buffer.from(String(++writes)), kv.modRevision);
          second.prepare('SELECT value FROM kine WHERE name = ? ORDER BY id DESC LIMIT 1').get(`/w/${id}`);
          secondReads++;
          if (writes % 50 === 0) await new Promise((r) => setImmediate(r)); // let the timers run
        }
        return writes;
      };
      const writes = (await Promise.all([0, 1, 2, 3].map(writer))).reduce((a, x) => a + x, 0);
      await new Promise((r) => setTimeout(r, 300));
      w.close();
      assert.deepEqual(errors, []);
      const changes = events.filter((e) => e.type !== 'progress');
      assert.equal(changes.length, writes + 4, 'the watcher saw every write');
      assert.ok(events.some((e) => e.type === 'progress'));
      assert.ok(secondReads > 0);
      assert.ok((await s.compactRevision()) > 0, 'the compactor ran');
      const perKey = s.db
        .prepare('SELECT MAX(c) AS m FROM (SELECT COUNT(*) AS c FROM kine GROUP BY name)')
        .get() as { m: number };
      assert.ok(perKey.m < writes / 4, `rows per key ${perKey.m} not bounded by compaction`);
    } finally {
      second.close();
      await readerDone;
      await s.close();
    }
    assert.equal(err, '', 'reader process errors');
    const r = JSON.parse(out) as { n: number; errors: number };
    assert.equal(r.errors, 0);
    assert.ok(r.n > 0);
  });
});
