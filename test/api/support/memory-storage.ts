// An in-memory Storage with etcd's semantics (revisions, history, compaction), for the API
// server's unit and acceptance tests until the SQLite/etcd backends land.
import {
  StorageError,
  type KeyValue,
  type ListOptions,
  type ListResult,
  type Storage,
  type Watch,
  type WatchEvent,
} from '../../../src/api/storage/types.js';

interface Logged {
  revision: number;
  event: WatchEvent & { type: 'put' | 'delete' };
}

export class MemoryStorage implements Storage {
  readonly backend = 'memory';
  private rev = 1;
  private compacted = 0;
  private data = new Map<string, KeyValue>();
  private log: Logged[] = [];
  private watchers = new Set<{ prefix: string; onEvent: (e: WatchEvent) => void }>();

  async get(key: string): Promise<KeyValue | undefined> {
    return this.data.get(key);
  }

  async list(prefix: string, opts: ListOptions = {}): Promise<ListResult> {
    if (opts.revision && opts.revision < this.compacted) {
      throw new StorageError('compacted', 'required revision has been compacted', undefined, this.compacted);
    }
    let source: Map<string, KeyValue> = this.data;
    if (opts.revision && opts.revision < this.rev) source = this.snapshotAt(opts.revision);
    const keys = [...source.keys()]
      .filter((k) => k.startsWith(prefix) && (!opts.startAfter || k > opts.startAfter))
      .sort();
    const limit = opts.limit && opts.limit > 0 ? opts.limit : keys.length;
    return {
      items: keys.slice(0, limit).map((k) => source.get(k)!),
      revision: opts.revision ?? this.rev,
      more: keys.length > limit,
    };
  }

  async count(prefix: string): Promise<number> {
    return [...this.data.keys()].filter((k) => k.startsWith(prefix)).length;
  }

  async create(key: string, value: Buffer): Promise<KeyValue> {
    if (this.data.has(key)) throw new StorageError('exists', `key exists: ${key}`);
    const rev = ++this.rev;
    const kv = { key, value, createRevision: rev, modRevision: rev };
    this.data.set(key, kv);
    this.emit({ type: 'put', kv });
    return kv;
  }

  async update(key: string, value: Buffer, expectedRevision: number): Promise<KeyValue> {
    const cur = this.data.get(key);
    if (!cur) throw new StorageError('not-found', `key not found: ${key}`);
    if (cur.modRevision !== expectedRevision) throw new StorageError('conflict', `conflict on ${key}`, cur);
    const rev = ++this.rev;
    const kv = { key, value, createRevision: cur.createRevision, modRevision: rev };
    this.data.set(key, kv);
    this.emit({ type: 'put', kv, prev: cur });
    return kv;
  }

  async delete(key: string, expectedRevision?: number): Promise<KeyValue> {
    const cur = this.data.get(key);
    if (!cur) throw new StorageError('not-found', `key not found: ${key}`);
    if (expectedRevision !== undefined && cur.modRevision !== expectedRevision) {
      throw new StorageError('conflict', `conflict on ${key}`, cur);
    }
    const rev = ++this.rev;
    this.data.delete(key);
    const gone = { ...cur, modRevision: rev };
    this.emit({ type: 'delete', kv: gone, prev: cur });
    return gone;
  }

  watch(
    prefix: string,
    fromRevision: number,
    onEvent: (e: WatchEvent) => void,
    onError: (e: Error) => void,
  ): Watch {
    if (fromRevision > 0 && fromRevision < this.compacted) {
      queueMicrotask(() => onError(new StorageError('compacted', 'compacted', undefined, this.compacted)));
      return { close() {} };
    }
    // Callbacks run asynchronously, in order, as the real backends promise.
    let open = true;
    const queue: WatchEvent[] = [];
    const flush = () => {
      while (open && queue.length) onEvent(queue.shift()!);
    };
    const w = {
      prefix,
      onEvent: (e: WatchEvent) => {
        queue.push(e);
        if (queue.length === 1) setImmediate(flush);
      },
    };
    if (fromRevision > 0) {
      for (const l of this.log)
        if (l.revision > fromRevision && l.event.kv.key.startsWith(prefix)) w.onEvent(l.event);
    }
    this.watchers.add(w);
    return {
      close: () => {
        open = false;
        this.watchers.delete(w);
      },
    };
  }

  async compact(revision: number): Promise<void> {
    this.compacted = Math.max(this.compacted, revision);
    this.log = this.log.filter((l) => l.revision >= revision);
  }

  async compactRevision(): Promise<number> {
    return this.compacted;
  }

  async currentRevision(): Promise<number> {
    return this.rev;
  }

  async close(): Promise<void> {
    this.watchers.clear();
  }

  private emit(event: WatchEvent & { type: 'put' | 'delete' }): void {
    this.log.push({ revision: this.rev, event });
    for (const w of [...this.watchers]) if (event.kv.key.startsWith(w.prefix)) w.onEvent(event);
  }

  private snapshotAt(revision: number): Map<string, KeyValue> {
    const snap = new Map(this.data);
    for (let i = this.log.length - 1; i >= 0; i--) {
      const l = this.log[i]!;
      if (l.revision <= revision) break;
      if (l.event.prev) snap.set(l.event.kv.key, l.event.prev);
      else snap.delete(l.event.kv.key);
    }
    return snap;
  }
}
