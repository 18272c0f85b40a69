// The etcd v3 backend (the `etcd3` client): the same transactions kube-apiserver sends —
// create = txn(if mod_revision(key)==0 then put else get), update = txn(if mod_revision(key)==R
// then put else get), delete = txn(if mod_revision(key)==R then delete else get) — linearizable
// reads, and watches with prev_kv. The client multiplexes every watch over one gRPC stream per
// client; each storage watch is one etcd watcher on it, fanned into a Subscriber queue.
import { Etcd3, type IKeyValue, type IOptions, type Watcher } from 'etcd3';
import { Hub, type Subscriber } from './fanout.js';
import { prefixEndBytes, startCompactor } from './keys.js';
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

/** Unary calls fail after this instead of waiting for a dead server forever. */
const CALL_TIMEOUT_MS = 15_000;

function toKv(k: IKeyValue): KeyValue {
  return {
    key: k.key.toString(),
    value: k.value ?? Buffer.alloc(0),
    createRevision: Number(k.create_revision),
    modRevision: Number(k.mod_revision),
  };
}

/** etcd and gRPC failures as StorageErrors; anything else is rethrown as is. */
export function mapEtcdError(e: unknown, what: string): Error {
  const msg = e instanceof Error ? e.message : String(e);
  if (msg.includes('required revision has been compacted')) {
    return new StorageError('compacted', `${what}: the revision was compacted; list again`);
  }
  if (msg.includes('required revision is a future revision')) {
    return new StorageError('unavailable', `${what}: the revision is newer than etcd's current revision`);
  }
  const name = e instanceof Error ? e.constructor.name : '';
  if (
    /Unavailable|DeadlineExceeded|ClientClosed|Cancelled|BrokenCircuit/.test(name) ||
    // After a few failures the client's circuit breaker refuses calls for a while.
    /ECONNREFUSED|No connection established|deadline exceeded|UNAVAILABLE|circuit breaker/i.test(msg)
  ) {
    return new StorageError('unavailable', `${what}: etcd is unavailable: ${msg.split('\n')[0]}`);
  }
  return e instanceof Error ? e : new Error(msg);
}

export class EtcdStorage implements Storage {
  readonly backend = 'etcd';
  readonly client: Etcd3;
  private readonly hub: Hub;
  private readonly stopCompactor: () => void;
  private readonly watchers = new Map<Subscriber, Watcher>();
  private closed = false;

  /** `hosts`: e.g. ['http://127.0.0.1:2379']. */
  constructor(hosts: string[], opts: StorageOptions = {}, clientOptions: Partial<IOptions> = {}) {
    this.client = new Etcd3({
      hosts,
      dialTimeout: 5_000,
      // A list of many objects exceeds gRPC's default 4 MiB (kube-apiserver lifts it too).
      grpcOptions: { 'grpc.max_receive_message_length': -1 },
      defaultCallOptions: (ctx) => (ctx.isStream ? {} : { deadline: new Date(Date.now() + CALL_TIMEOUT_MS) }),
      ...clientOptions,
    });
    // Progress comes from etcd itself (progress_notify), so no client-side timer.
    this.hub = new Hub(0, () => 0);
    this.stopCompactor = startCompactor(this, opts);
  }

  private async call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    if (this.closed) throw new StorageError('unavailable', `${what}: storage is closed`);
    try {
      return await fn();
    } catch (e) {
      throw mapEtcdError(e, what);
    }
  }

  async get(key: string): Promise<KeyValue | undefined> {
    const r = await this.call(`get ${key}`, () => this.client.kv.range({ key: Buffer.from(key) }));
    const k = r.kvs[0];
    return k ? toKv(k) : undefined;
  }

  async list(prefix: string, opts: ListOptions = {}): Promise<ListResult> {
    const start =
      opts.startAfter !== undefined && opts.startAfter >= prefix
        ? Buffer.concat([Buffer.from(opts.startAfter), Buffer.from([0])])
        : Buffer.from(prefix || '\0');
    const r = await this.call(`list ${prefix}`, () =>
      this.client.kv.range({
        key: start,
        range_end: prefixEndBytes(prefix),
        limit: opts.limit && opts.limit > 0 ? opts.limit : 0,
        revision: opts.revision && opts.revision > 0 ? opts.revision : 0,
        serializable: false,
      }),
    );
    return {
      items: r.kvs.map(toKv),
      revision: opts.revision && opts.revision > 0 ? opts.revision : Number(r.header.revision),
      more: r.more,
    };
  }

  async count(prefix: string): Promise<number> {
    const r = await this.call(`count ${prefix}`, () =>
      this.client.kv.range({
        key: Buffer.from(prefix || '\0'),
        range_end: prefixEndBytes(prefix),
        count_only: true,
      }),
    );
    return Number(r.count);
  }

  async create(key: string, value: Buffer): Promise<KeyValue> {
    const k = Buffer.from(key);
    const r = await this.call(`create ${key}`, () =>
      this.client.kv.txn({
        compare: [{ key: k, target: 'Mod', result: 'Equal', mod_revision: 0 }],
        success: [{ request_put: { key: k, value } }],
        failure: [{ request_range: { key: k } }],
      }),
    );
    if (!r.succeeded) {
      const cur = r.responses[0]?.response_range.kvs[0];
      throw new StorageError('exists', `${key} already exists`, cur && toKv(cur));
    }
    const rev = Number(r.header.revision);
    return { key, value, createRevision: rev, modRevision: rev };
  }

  /** The failure branch's current value as 'not-found' or 'conflict'. */
  private mismatch(key: string, expected: number, cur: IKeyValue | undefined): StorageError {
    if (!cur) return new StorageError('not-found', `${key} not found`);
    const kv = toKv(cur);
    return new StorageError(
      'conflict',
      `${key} is at revision ${kv.modRevision}, not ${expected}; read it and retry`,
      kv,
    );
  }

  async update(key: string, value: Buffer, expectedRevision: number): Promise<KeyValue> {
    const k = Buffer.from(key);
    const r = await this.call(`update ${key}`, () =>
      this.client.kv.txn({
        // mod_revision 0 would match an absent key: that is a create, not an update.
        compare: [{ key: k, target: 'Mod', result: 'Equal', mod_revision: expectedRevision || -1 }],
        success: [{ request_put: { key: k, value, prev_kv: true } }],
        failure: [{ request_range: { key: k } }],
      }),
    );
    if (!r.succeeded) throw this.mismatch(key, expectedRevision, r.responses[0]?.response_range.kvs[0]);
    const rev = Number(r.header.revision);
    const prev = r.responses[0]?.response_put.prev_kv;
    return { key, value, createRevision: prev ? Number(prev.create_revision) : rev, modRevision: rev };
  }

  async delete(key: string, expectedRevision?: number): Promise<KeyValue> {
    const k = Buffer.from(key);
    const r = await this.call(`delete ${key}`, () =>
      this.client.kv.txn({
        compare: expectedRevision
          ? [{ key: k, target: 'Mod', result: 'Equal', mod_revision: expectedRevision }]
          : [],
        success: [{ request_delete_range: { key: k, prev_kv: true } }],
        failure: [{ request_range: { key: k } }],
      }),
    );
    if (!r.succeeded) throw this.mismatch(key, expectedRevision ?? 0, r.responses[0]?.response_range.kvs[0]);
    const prev = r.responses[0]?.response_delete_range.prev_kvs[0];
    if (!prev) throw new StorageError('not-found', `${key} not found`);
    return { ...toKv(prev), modRevision: Number(r.header.revision) };
  }

  watch(
    prefix: string,
    fromRevision: number,
    onEvent: (e: WatchEvent) => void,
    onError: (e: Error) => void,
  ): Watch {
    const sub = this.hub.add(prefix, fromRevision, onEvent, (e) => {
      this.stopWatcher(sub);
      onError(e);
    });
    const close = sub.close.bind(sub);
    sub.close = () => {
      close();
      this.stopWatcher(sub);
    };
    void this.startWatcher(sub, prefix, fromRevision).catch((e: unknown) =>
      sub.fail(mapEtcdError(e, 'watch')),
    );
    return sub;
  }

  private async startWatcher(sub: Subscriber, prefix: string, fromRevision: number): Promise<void> {
    if (this.closed) throw new StorageError('unavailable', 'watch: storage is closed');
    // etcd accepts a watch from compactRev-1 (its first event is at compactRev); refuse it as
    // SQLite does, so the answer to a stale revision is the same on both backends. One range at
    // fromRevision tells (a future revision is fine: the watch waits for it).
    if (fromRevision > 0 && (await this.readable(fromRevision)) === false) {
      const compacted = await this.compactRevision();
      throw new StorageError(
        'compacted',
        `revision ${fromRevision} was compacted (at ${compacted}); list again and watch from its revision`,
        undefined,
        compacted,
      );
    }
    if (sub.isClosed) return;
    let b = this.client
      .watch()
      .inRange({ start: Buffer.from(prefix || '\0'), end: prefixEndBytes(prefix) })
      .withPreviousKV();
    if (fromRevision > 0) b = b.startRevision(String(fromRevision + 1));
    // watcher() attaches synchronously, so the listeners are there before any response.
    const w = b.watcher();
    this.watchers.set(sub, w);
    w.on('data', (res) => {
      if (res.events.length === 0) {
        // progress_notify: the watcher is synced up to header.revision.
        sub.push({ type: 'progress', revision: Number(res.header.revision) });
        return;
      }
      for (const ev of res.events) {
        const kv = toKv(ev.kv);
        const prev = ev.prev_kv ? toKv(ev.prev_kv) : undefined;
        if (ev.type === 'Delete') {
          const last = prev ?? { key: kv.key, value: Buffer.alloc(0), createRevision: 0, modRevision: 0 };
          sub.push({
            type: 'delete',
            kv: { ...kv, value: last.value, createRevision: last.createRevision },
            prev: last,
          });
        } else {
          sub.push(kv.createRevision === kv.modRevision ? { type: 'put', kv } : { type: 'put', kv, prev });
        }
      }
    });
    // The client would reconnect from the last header revision, which can skip events of a
    // watch still catching up: end the watch instead; the caller re-watches from its last event.
    w.on('disconnected', () =>
      sub.fail(
        new StorageError('unavailable', 'etcd watch stream broke; watch again from the last revision seen'),
      ),
    );
    w.on('error', (e: Error) => {
      // A compaction cancels the watch with an empty cancel reason.
      if (/^Watcher canceled: ?$/.test(e.message) || e.message.includes('compacted')) {
        void this.compactRevision()
          .catch(() => undefined)
          .then((c) =>
            sub.fail(
              new StorageError(
                'compacted',
                `watch from ${fromRevision} was compacted; list again`,
                undefined,
                c,
              ),
            ),
          );
      } else sub.fail(mapEtcdError(e, 'watch'));
    });
  }

  private stopWatcher(sub: Subscriber): void {
    const w = this.watchers.get(sub);
    if (!w) return;
    this.watchers.delete(sub);
    w.removeAllListeners('data');
    w.on('error', () => {}); // a late error of a cancelled watcher is of no interest
    void w.cancel().catch(() => {});
  }

  /**
   * etcd does not report its compact revision: find the oldest revision a range can still read
   * (about log2(current) count-only ranges). 0 = never compacted.
   */
  /** Whether etcd still has revision `rev` (undefined: it is in the future). */
  private async readable(rev: number): Promise<boolean | undefined> {
    try {
      await this.client.kv.range({ key: Buffer.from('\0'), revision: rev, count_only: true });
      return true;
    } catch (e) {
      const msg = String((e as Error).message);
      if (msg.includes('compacted')) return false;
      if (msg.includes('future revision')) return undefined;
      throw mapEtcdError(e, 'compact revision');
    }
  }

  async compactRevision(): Promise<number> {
    const readable = async (rev: number): Promise<boolean> => (await this.readable(rev)) !== false;
    const current = await this.currentRevision();
    if (current <= 1 || (await readable(1))) return 0;
    let lo = 1; // not readable
    let hi = current; // readable
    while (hi - lo > 1) {
      const mid = Math.floor((lo + hi) / 2);
      if (await readable(mid)) hi = mid;
      else lo = mid;
    }
    return hi;
  }

  async compact(revision: number): Promise<void> {
    const target = Math.min(revision, await this.currentRevision());
    if (target <= 0) return;
    try {
      await this.call('compact', () => this.client.kv.compact({ revision: target, physical: true }));
    } catch (e) {
      if (!(e instanceof StorageError && e.code === 'compacted')) throw e; // already at or past it
    }
  }

  async currentRevision(): Promise<number> {
    const r = await this.call('current revision', () =>
      this.client.kv.range({ key: Buffer.from('\0'), count_only: true, serializable: false }),
    );
    return Number(r.header.revision);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.stopCompactor();
    for (const s of [...this.watchers.keys()]) this.stopWatcher(s);
    this.hub.close();
    // Give the cancel requests a moment on the stream, then drop the connection.
    await new Promise((r) => setTimeout(r, 10));
    this.client.close();
  }
}
