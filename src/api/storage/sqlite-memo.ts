// What the SQLite backend's process knows of its own database without asking it. One process owns
// the file and every write goes through its group commit (sqlite.ts), so after each COMMIT it can
// note what changed and answer from memory, exactly as the database would:
// - the current and the compact revision;
// - the newest row of recently read or written keys (bounded): a GET, and the namespace,
//   ServiceAccount and object lookups of admission, cost a Map lookup instead of a query;
// - how many live keys each directory prefix (`/registry/core/pods/ns/`) holds: a list of an
//   empty prefix at the current revision (a namespace's LimitRanges and ResourceQuotas, read on
//   every pod create) needs no query.
// Each SQLite read outside a transaction takes and drops a WAL read lock (two fcntl calls on the
// -shm file), which costs more than the query itself for a point read.
import type { Row } from './sqlite-schema.js';

/** Bounds of the latest-row cache: entries, and bytes of values held. */
const MAX_ENTRIES = 50_000;
const MAX_BYTES = 64 * 1024 * 1024;

/** Every prefix of `key` that ends with '/' (its directories, outermost first). */
function directories(key: string, f: (dir: string) => void): void {
  for (let i = key.indexOf('/'); i >= 0 && i < key.length - 1; i = key.indexOf('/', i + 1))
    f(key.slice(0, i + 1));
}

export class SqliteMemo {
  /** Newest row per key; null = the key is absent or deleted. Insertion order = recency. */
  private readonly latest = new Map<string, Row | null>();
  private bytes = 0;
  /** Live keys under each directory prefix. */
  private readonly live = new Map<string, number>();

  constructor(
    /** The current revision (AUTOINCREMENT's high-water mark). */
    public revision: number,
    public compactRevision: number,
    liveKeys: Iterable<string>,
  ) {
    for (const k of liveKeys) this.count(k, 1);
  }

  private count(key: string, delta: number): void {
    directories(key, (d) => {
      const n = (this.live.get(d) ?? 0) + delta;
      if (n > 0) this.live.set(d, n);
      else this.live.delete(d);
    });
  }

  /** True when no live key starts with `dir` (a prefix ending in '/'). */
  emptyDirectory(dir: string): boolean {
    return dir.endsWith('/') && !this.live.has(dir);
  }

  /** The cached newest row of `key` (null: absent), or undefined when not cached. */
  get(key: string): Row | null | undefined {
    return this.latest.get(key);
  }

  /** Remembers what the database answered for `key`. */
  remember(key: string, row: Row | null): void {
    const old = this.latest.get(key);
    if (old !== undefined) {
      this.latest.delete(key);
      this.bytes -= old?.value?.length ?? 0;
    }
    this.latest.set(key, row);
    this.bytes += row?.value?.length ?? 0;
    while (this.latest.size > MAX_ENTRIES || this.bytes > MAX_BYTES) {
      const [k, r] = this.latest.entries().next().value as [string, Row | null];
      this.latest.delete(k);
      this.bytes -= r?.value?.length ?? 0;
    }
  }

  /** A committed write (in revision order). */
  committed(r: Row): void {
    this.revision = Math.max(this.revision, r.id);
    if (r.created) this.count(r.name, 1);
    else if (r.deleted) this.count(r.name, -1);
    // Reads never need the previous value: do not keep it alive.
    this.remember(r.name, r.deleted ? null : { ...r, prev_revision: 0, old_value: null });
  }

  /** Drops the latest-row cache (after a failed transaction whose state is unknown). */
  forget(): void {
    this.latest.clear();
    this.bytes = 0;
  }
}
