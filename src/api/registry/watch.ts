// Watching a kind: storage events become Kubernetes watch events, filtered by the selectors.
// An object that stops matching is sent as DELETED, one that starts matching as ADDED, as the
// apiserver's watch cache does. Without a resourceVersion the current state comes first.
import { gone } from '../errors.js';
import { StorageError, type KeyValue, type WatchEvent } from '../storage/types.js';
import type { KObject } from '../resources/types.js';
import { matches, withTypeMeta } from './object.js';
import type { Matcher } from './options.js';
import type { Store } from './store.js';

export interface KWatchEvent {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  object: KObject | Record<string, unknown>;
}

export interface WatchRequest {
  namespace?: string;
  match?: Matcher;
  resourceVersion?: string;
  allowBookmarks?: boolean;
  sendInitialEvents?: boolean;
  /** How often to send a BOOKMARK when bookmarks are allowed (ms). */
  bookmarkEveryMs?: number;
}

export async function watchStore(
  store: Store,
  req: WatchRequest,
  send: (e: KWatchEvent) => void,
): Promise<() => void> {
  const def = store.def;
  const bookmark = (rv: number, extra: Record<string, string> = {}) =>
    send({
      type: 'BOOKMARK',
      object: {
        kind: def.kind,
        apiVersion: withTypeMeta(def, { metadata: {} }).apiVersion,
        metadata: {
          resourceVersion: String(rv),
          ...(Object.keys(extra).length ? { annotations: extra } : {}),
        },
      },
    });
  let from = Number(req.resourceVersion || 0);
  if (req.resourceVersion && !Number.isInteger(from)) from = 0;
  const initial = !req.resourceVersion || req.resourceVersion === '0' || req.sendInitialEvents === true;
  if (initial) {
    const list = await store.list({
      namespace: req.namespace,
      match: req.match,
      resourceVersion: req.sendInitialEvents ? req.resourceVersion : undefined,
    });
    for (const o of list.items) send({ type: 'ADDED', object: o });
    from = Number(list.resourceVersion);
    if (req.sendInitialEvents && req.allowBookmarks) bookmark(from, { 'k8s.io/initial-events-end': 'true' });
  }
  let last = from;
  let closed = false;
  const onEvent = (e: WatchEvent) => {
    if (closed) return;
    if (e.type === 'progress') {
      last = Math.max(last, e.revision);
      return;
    }
    last = e.kv.modRevision;
    const ev = translate(store, e, req.match);
    if (ev) send(ev);
  };
  const onError = (err: Error) => {
    if (closed) return;
    const expired = err instanceof StorageError && err.code === 'compacted';
    const status = expired
      ? gone(`too old resource version: ${from} (${err.compactRevision ?? ''})`).toStatus()
      : {
          kind: 'Status',
          apiVersion: 'v1',
          metadata: {},
          status: 'Failure',
          message: err.message,
          reason: 'InternalError',
          code: 500,
        };
    send({ type: 'ERROR', object: status });
  };
  const w = store.storage.watch(store.prefix(req.namespace), from, onEvent, onError);
  const timer = req.allowBookmarks
    ? setInterval(() => bookmark(last), req.bookmarkEveryMs ?? 30_000)
    : undefined;
  timer?.unref();
  return () => {
    closed = true;
    if (timer) clearInterval(timer);
    w.close();
  };
}

function translate(
  store: Store,
  e: WatchEvent & { type: 'put' | 'delete' },
  match: Matcher | undefined,
): KWatchEvent | undefined {
  const def = store.def;
  if (e.type === 'delete') {
    const o = shared(store, e.prev, e.kv.modRevision);
    return matches(def, o, match) ? { type: 'DELETED', object: o } : undefined;
  }
  const o = shared(store, e.kv, e.kv.modRevision);
  const now = matches(def, o, match);
  // Without the previous value (a backend may omit it) an update of a matching object is MODIFIED.
  const before = e.prev
    ? matches(def, shared(store, e.prev, e.prev.modRevision), match)
    : e.kv.createRevision !== e.kv.modRevision && now;
  if (now && before) return { type: 'MODIFIED', object: o };
  if (now) return { type: 'ADDED', object: o };
  if (before) return { type: 'DELETED', object: o };
  return undefined;
}

/**
 * A backend hands the same event object to every watch of a prefix, so the object is decoded
 * once per store and event, not once per watcher (500 watchers: 500 JSON.parse per write).
 * Watchers only read it (and serialize it); nobody mutates it.
 */
const decoded = new WeakMap<KeyValue, { store: Store; rev: number; o: KObject }[]>();

function shared(store: Store, kv: KeyValue, rev: number): KObject {
  let list = decoded.get(kv);
  const hit = list?.find((d) => d.store === store && d.rev === rev);
  if (hit) return hit.o;
  const o = withTypeMeta(store.def, store.decode(kv, rev));
  if (!list) decoded.set(kv, (list = []));
  list.push({ store, rev, o });
  return o;
}
