// The embedded backend: kine's log-structured table on SQLite (better-sqlite3). Every write is an
// INSERT whose row id is the new revision; UNIQUE(name, prev_revision) makes two writes from the
// same revision collide. Reads pick the newest row per name at or below a revision.
//
// Durability: WAL + synchronous=NORMAL. A transaction is committed once its frames are in the WAL
// file (written before COMMIT returns), so an acknowledged write survives kill -9 of this process;
// only an OS crash or power loss can lose the last transactions (not corrupt the file).
// One process owns a database file (as kine: SQLite serves one instance): watches are fed from
// this process's commits, synchronously after each commit, so no polling is needed. Other
// connections may read the file concurrently (WAL readers never block the writer).
import Database from 'better-sqlite3';
import { Hub } from './fanout.js';
import { prefixEndString, startCompactor } from './keys.js';
import { BACKSTOP_PAGES, startCheckpointer, type Checkpointer } from './sqlite-checkpointer.js';
import { SqliteMemo } from './sqlite-memo.js';
import {
  SCHEMA,
  isUniqueViolation,
  mapBusy,
  prepareStatements,
  toEvent,
  toKv,
  type Row,
} from './sqlite-schema.js';
import {
  StorageError,
  type KeyValue,
  type ListOptions,
  type ListResult,
  type Storage,
  type StorageOptions,
  type Watch,
  type WatchEvent,
} from './types.js';

interface PendingWrite {
  fn: () => Row;
  resolve: (kv: KeyValue) => void;
  reject: (e: unknown) => void;
}

/** Revisions compacted per transaction, so writers interleave with a long compaction. */
const COMPACT_BATCH = 1000;

export class SqliteStorage implements Storage {
  readonly backend = 'sqlite';
  readonly db: Database.Database;
  private readonly hub: Hub;
  private readonly stopCompactor: () => void;
  private readonly checkpointer: Checkpointer;
  private closed = false;
  private readonly q: ReturnType<typeof prepareStatements>;
  /** One transaction wrapper, called with the body (creating one per write costs ~1 µs more). */
  private readonly tx: Database.Transaction<(fn: () => Row) => Row>;
  /** The revisions, recent rows and live-key counts, kept from this process's commits. */
  private readonly memo: SqliteMemo;
  /** Compactions run one at a time. */
  private compacting: Promise<void> = Promise.resolve();

  constructor(
    readonly path: string,
    opts: StorageOptions = {},
  ) {
    // timeout = busy_timeout: a lock held by another connection (a checkpoint, a reader in
    // another process upgrading) is waited for instead of surfacing SQLITE_BUSY.
    this.db = new Database(path, { timeout: 30_000 });
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    // 64 MiB page cache (default 2 MiB): lists read every object's page.
    this.db.pragma('cache_size = -65536');
    this.db.exec(SCHEMA);
    // As kine at startup: fold a WAL left by a crash into the database file.
    this.db.pragma('wal_checkpoint(TRUNCATE)');
    // Checkpoints run in a worker (sqlite-checkpointer.ts); this thread's only as a backstop.
    this.db.pragma(`wal_autocheckpoint = ${BACKSTOP_PAGES}`);
    this.checkpointer = startCheckpointer(path);
    this.q = prepareStatements(this.db);
    this.tx = this.db.transaction((fn: () => Row) => fn());
    this.memo = new SqliteMemo(
      this.q.rev.get()?.seq ?? 0,
      this.q.compactRev.get()?.value ?? 0,
      this.q.liveNames.pluck().iterate() as Iterable<string>,
    );
    this.hub = new Hub(opts.progressIntervalMs ?? 5000, () => this.rev());
    this.stopCompactor = startCompactor(this, opts);
  }

  /** The current revision (synchronous: this process is the only writer). */
  rev(): number {
    return this.memo.revision;
  }

  private compactRev(): number {
    return this.memo.compactRevision;
  }

  private check(): void {
    if (this.closed) throw new StorageError('unavailable', `storage ${this.path} is closed`);
  }

  /**
   * Group commit: writes asked for in one turn of the event loop run, in the order asked, in one
   * BEGIN IMMEDIATE transaction at the end of that turn (setImmediate); after its COMMIT the
   * watchers hear of the new rows in revision order and every caller gets its own result. Each
   * body reads the rows its predecessors in the batch inserted, so conflicts are decided exactly
   * as with one transaction per write; a body that fails (exists, conflict, not-found, or a
   * UNIQUE violation, which SQLite undoes per statement) fails alone. One commit writes the WAL
   * frames of the shared pages once, instead of once per write.
   */
  private write(fn: () => Row): Promise<KeyValue> {
    this.check();
    return new Promise((resolve, reject) => {
      this.pending.push({ fn, resolve, reject });
      if (this.pending.length === 1) setImmediate(this.flush);
    });
  }

  private readonly pending: PendingWrite[] = [];

  private readonly flush = (): void => {
    const batch = this.pending.splice(0);
    if (!batch.length) return;
    if (this.closed) {
      for (const w of batch) w.reject(new StorageError('unavailable', `storage ${this.path} is closed`));
      return;
    }
    const results: (Row | Error)[] = [];
    try {
      this.tx.immediate(() => {
        for (const w of batch) {
          try {
            results.push(w.fn());
          } catch (e) {
            if (e instanceof StorageError) results.push(e);
            else if (isUniqueViolation(e)) {
              // Another writer took the same prev_revision (only possible with a second process).
              results.push(
                new StorageError('conflict', 'the key was written concurrently; read it and retry'),
              );
            } else throw e; // I/O, disk full, busy: the whole batch fails and is rolled back
          }
        }
        return undefined as unknown as Row;
      });
    } catch (e) {
      // Rolled back; forget what memory holds rather than trust it after an I/O error.
      this.memo.forget();
      const err = mapBusy(e);
      for (const w of batch) w.reject(err);
      return;
    }
    const kvs = results.map((r) => {
      if (r instanceof Error) return r;
      this.memo.committed(r);
      const ev = toEvent(r) as WatchEvent & { kv: KeyValue };
      this.hub.publish(ev);
      return ev.kv;
    });
    for (let i = 0; i < batch.length; i++) {
      const r = kvs[i]!;
      if (r instanceof Error) batch[i]!.reject(r);
      else batch[i]!.resolve(r);
    }
  };

  private insert(r: Omit<Row, 'id'>): Row {
    const info = this.q.insert.run(
      r.name,
      r.created,
      r.deleted,
      r.create_revision,
      r.prev_revision,
      r.value,
      r.old_value,
    );
    return { ...r, id: Number(info.lastInsertRowid) };
  }

  async get(key: string): Promise<KeyValue | undefined> {
    this.check();
    let r = this.memo.get(key);
    if (r === undefined) {
      r = this.q.latest.get(key) ?? null;
      this.memo.remember(key, r && !r.deleted ? r : null);
    }
    return r && !r.deleted ? toKv(r) : undefined;
  }

  async list(prefix: string, opts: ListOptions = {}): Promise<ListResult> {
    this.check();
    const now = this.rev();
    if (
      (!opts.revision || opts.revision === now) &&
      opts.startAfter === undefined &&
      this.memo.emptyDirectory(prefix)
    )
      return { items: [], revision: now, more: false };
    // One read transaction: the revision and the rows come from the same snapshot.
    return this.db.transaction(() => {
      const current = this.rev();
      const revision = opts.revision && opts.revision > 0 ? opts.revision : current;
      if (revision > current) {
        throw new StorageError('unavailable', `revision ${revision} is newer than the current ${current}`);
      }
      const compacted = this.compactRev();
      if (revision < compacted) {
        throw new StorageError(
          'compacted',
          `revision ${revision} was compacted (at ${compacted})`,
          undefined,
          compacted,
        );
      }
      const limit = opts.limit && opts.limit > 0 ? opts.limit : 0;
      const end = prefixEndString(prefix);
      const items: KeyValue[] = [];
      let after = opts.startAfter !== undefined && opts.startAfter >= prefix ? opts.startAfter : undefined;
      // Names are fetched in batches of limit+1 until limit+1 live ones are found (deleted names
      // take places in a batch); without a limit, in one go.
      for (;;) {
        const batch = limit ? limit + 1 - items.length : -1;
        const rows =
          after === undefined
            ? this.q.listFrom.all(prefix, end, revision, batch)
            : this.q.listAfter.all(after, end, revision, batch);
        for (const r of rows) if (!r.deleted && r.name.startsWith(prefix)) items.push(toKv(r));
        if (!limit || rows.length < batch || items.length > limit) break;
        after = rows.at(-1)!.name;
      }
      const more = limit > 0 && items.length > limit;
      if (more) items.length = limit;
      return { items, revision, more };
    })();
  }

  async count(prefix: string): Promise<number> {
    this.check();
    return this.q.count.get(prefix, prefixEndString(prefix))?.n ?? 0;
  }

  async create(key: string, value: Buffer): Promise<KeyValue> {
    return this.write(() => {
      const cur = this.q.latest.get(key);
      if (cur && !cur.deleted) throw new StorageError('exists', `${key} already exists`, toKv(cur));
      return this.insert({
        name: key,
        created: 1,
        deleted: 0,
        create_revision: 0,
        prev_revision: cur?.id ?? 0,
        value,
        old_value: null,
      });
    });
  }

  private current(key: string, expected: number | undefined): Row {
    const cur = this.q.latest.get(key);
    if (!cur || cur.deleted) throw new StorageError('not-found', `${key} not found`);
    if (expected !== undefined && cur.id !== expected) {
      throw new StorageError(
        'conflict',
        `${key} is at revision ${cur.id}, not ${expected}; read it and retry`,
        toKv(cur),
      );
    }
    return cur;
  }

  async update(key: string, value: Buffer, expectedRevision: number): Promise<KeyValue> {
    return this.write(() => {
      const cur = this.current(key, expectedRevision);
      return this.insert({
        name: key,
        created: 0,
        deleted: 0,
        create_revision: toKv(cur).createRevision,
        prev_revision: cur.id,
        value,
        old_value: cur.value,
      });
    });
  }

  async delete(key: string, expectedRevision?: number): Promise<KeyValue> {
    return this.write(() => {
      const cur = this.current(key, expectedRevision || undefined);
      return this.insert({
        name: key,
        created: 0,
        deleted: 1,
        create_revision: toKv(cur).createRevision,
        prev_revision: cur.id,
        value: cur.value,
        old_value: cur.value,
      });
    });
  }

  watch(
    prefix: string,
    fromRevision: number,
    onEvent: (e: WatchEvent) => void,
    onError: (e: Error) => void,
  ): Watch {
    const current = this.rev();
    const from = fromRevision > 0 ? fromRevision : current;
    const sub = this.hub.add(prefix, from, onEvent, onError);
    if (this.closed) {
      sub.fail(new StorageError('unavailable', `storage ${this.path} is closed`));
      return sub;
    }
    const compacted = this.compactRev();
    if (fromRevision > 0 && fromRevision < compacted) {
      sub.fail(
        new StorageError(
          'compacted',
          `revision ${fromRevision} was compacted (at ${compacted}); list again and watch from its revision`,
          undefined,
          compacted,
        ),
      );
      return sub;
    }
    // The replay is read and the subscriber registered in the same synchronous turn, and writes
    // publish synchronously after commit: no commit can fall between replay and live events.
    if (from < current) {
      for (const r of this.q.after.iterate(from, prefix, prefixEndString(prefix))) {
        if (r.name.startsWith(prefix)) sub.push(toEvent(r));
      }
    }
    return sub;
  }

  async compactRevision(): Promise<number> {
    this.check();
    return this.compactRev();
  }

  compact(revision: number): Promise<void> {
    const run = this.compacting.then(() => this.compactTo(revision));
    this.compacting = run.catch(() => {});
    return run;
  }

  private async compactTo(revision: number): Promise<void> {
    this.check();
    const target = Math.min(revision, this.rev());
    let lo = this.compactRev();
    while (lo < target && !this.closed) {
      const hi = Math.min(lo + COMPACT_BATCH, target);
      this.db
        .transaction(() => {
          this.q.compact.run(lo, hi, lo, hi);
          this.q.setCompactRev.run(hi);
        })
        .immediate();
      this.memo.compactRevision = hi;
      lo = hi;
      // Let writes and reads in between batches.
      await new Promise((r) => setImmediate(r));
    }
    // The checkpoint worker may hold the checkpoint lock for a moment (busy = 1): try again.
    for (let i = 0; i < 20 && !this.closed && this.checkpoint().busy; i++)
      await new Promise((r) => setTimeout(r, 25));
  }

  /** Folds the WAL into the database and truncates it; returns SQLite's (busy, log, checkpointed). */
  checkpoint(): { busy: number; log: number; checkpointed: number } {
    // TRUNCATE waits for readers (in other connections) to leave the old snapshot; wait briefly
    // only: this thread is the event loop. When busy, the WAL is truncated next time instead.
    this.db.pragma('busy_timeout = 500');
    try {
      const r = this.db.pragma('wal_checkpoint(TRUNCATE)') as {
        busy: number;
        log: number;
        checkpointed: number;
      }[];
      return r[0]!;
    } finally {
      this.db.pragma('busy_timeout = 30000');
    }
  }

  async currentRevision(): Promise<number> {
    this.check();
    return this.rev();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.stopCompactor();
    this.hub.close();
    await this.checkpointer.stop();
    this.db.close();
  }
}

export function openSqlite(path: string, opts?: StorageOptions): SqliteStorage {
  return new SqliteStorage(path, opts);
}
