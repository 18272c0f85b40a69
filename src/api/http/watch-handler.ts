// Streams a watch: headers at once (kubectl wait depends on it), then one JSON event per line,
// until timeoutSeconds, the client leaving, or an ERROR event (410 Expired → the client relists).
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Matcher } from '../registry/options.js';
import type { Store } from '../registry/store.js';
import { watchStore, type KWatchEvent } from '../registry/watch.js';
import type { KObject } from '../resources/types.js';
import type { ServerContext } from './context.js';

export interface WatchParams {
  namespace?: string;
  match?: Matcher;
  resourceVersion?: string;
  allowBookmarks: boolean;
  sendInitialEvents?: boolean;
  timeoutSeconds?: number;
}

export async function serveWatch(
  ctx: ServerContext,
  store: Store,
  p: WatchParams,
  toWire: (o: KObject) => unknown,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  res.writeHead(200, {
    'Content-Type': 'application/json',
    'Cache-Control': 'no-cache, private',
    'Transfer-Encoding': 'chunked',
  });
  res.flushHeaders();
  let done = false;
  let stop: () => void = () => {};
  const finish = () => {
    if (done) return;
    done = true;
    clearTimeout(timer);
    stop();
    res.end();
  };
  const send = (e: KWatchEvent) => {
    if (done) return;
    const object =
      e.type === 'ADDED' || e.type === 'MODIFIED' || e.type === 'DELETED'
        ? toWire(e.object as KObject)
        : e.object;
    res.write(line(e.type, object, object === e.object));
    if (e.type === 'ERROR') setImmediate(finish);
  };
  const seconds = p.timeoutSeconds && p.timeoutSeconds > 0 ? p.timeoutSeconds : ctx.watchTimeoutSeconds;
  const timer = setTimeout(finish, seconds * 1000);
  req.on('close', finish);
  res.on('close', finish);
  try {
    stop = await watchStore(
      store,
      { ...p, allowBookmarks: p.allowBookmarks, bookmarkEveryMs: ctx.bookmarkEveryMs },
      send,
    );
    if (done) stop();
  } catch (e) {
    const status =
      e && typeof e === 'object' && 'toStatus' in e
        ? (e as { toStatus(): unknown }).toStatus()
        : { kind: 'Status', apiVersion: 'v1', status: 'Failure', message: String(e), code: 500 };
    send({ type: 'ERROR', object: status as Record<string, unknown> });
  }
}

/**
 * Watchers of one event get the same object (registry/watch.ts shares it), so with the plain
 * object representation its line is serialized once per event, not once per watcher.
 */
const lines = new WeakMap<object, { type: string; text: string }>();

function line(type: string, object: unknown, shared: boolean): string {
  if (!shared || object === null || typeof object !== 'object')
    return `${JSON.stringify({ type, object })}\n`;
  const hit = lines.get(object);
  if (hit?.type === type) return hit.text;
  const text = `${JSON.stringify({ type, object })}\n`;
  lines.set(object, { type, text });
  return text;
}
