// A plain-HTTP API server on a free loopback port over the in-memory storage, plus a tiny client.
import { ApiServer, type ApiServerOptions } from '../../../src/api/server/api-server.js';
import { MemoryStorage } from './memory-storage.js';

export interface Reply {
  status: number;
  headers: Headers;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

export interface TestApi {
  server: ApiServer;
  storage: MemoryStorage;
  url: string;
  call(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<Reply>;
}

export async function startTestApi(opts: Partial<ApiServerOptions> = {}): Promise<TestApi> {
  const storage = new MemoryStorage();
  // No scheduler: these tests pin the exact events plain API writes make.
  const server = await ApiServer.start({
    storage,
    log: () => {},
    compactEveryMs: 0,
    scheduler: false,
    ...opts,
  });
  return {
    server,
    storage,
    url: server.url,
    async call(method, path, body, headers = {}) {
      const res = await fetch(`${server.url}${path}`, {
        method,
        headers: { ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}), ...headers },
        body:
          body === undefined
            ? undefined
            : typeof body === 'string'
              ? body
              : Buffer.isBuffer(body)
                ? new Uint8Array(body)
                : JSON.stringify(body),
      });
      const text = await res.text();
      let parsed: unknown = text;
      try {
        parsed = JSON.parse(text);
      } catch {
        // not JSON
      }
      return { status: res.status, headers: res.headers, body: parsed };
    },
  };
}

export const pod = (name: string, extra: Record<string, unknown> = {}) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name },
  spec: { containers: [{ name: 'c', image: 'busybox' }] },
  ...extra,
});

export type WatchEvent = { type: string; object: any }; // eslint-disable-line @typescript-eslint/no-explicit-any

export interface WatchStream {
  status: number;
  contentType: string | null;
  events: WatchEvent[];
  /** Resolves once `pred(events)` holds; rejects after timeoutMs with what arrived. */
  waitFor(pred: (events: WatchEvent[]) => boolean, timeoutMs?: number): Promise<WatchEvent[]>;
  ended: Promise<void>;
  close(): void;
}

/** Opens a watch; resolves as soon as the response headers arrive. */
export async function openWatch(url: string, headers: Record<string, string> = {}): Promise<WatchStream> {
  const ac = new AbortController();
  const res = await fetch(url, { signal: ac.signal, headers });
  const events: WatchEvent[] = [];
  const waiters = new Set<() => void>();
  const ended = (async () => {
    let buf = '';
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        buf += Buffer.from(chunk).toString();
        let i;
        while ((i = buf.indexOf('\n')) >= 0) {
          events.push(JSON.parse(buf.slice(0, i)) as WatchEvent);
          buf = buf.slice(i + 1);
        }
        for (const w of waiters) w();
      }
    } catch {
      // aborted
    }
    for (const w of waiters) w();
  })();
  return {
    status: res.status,
    contentType: res.headers.get('content-type'),
    events,
    ended,
    close: () => ac.abort(),
    waitFor: (pred, timeoutMs = 5000) =>
      new Promise((resolve, reject) => {
        const check = () => {
          if (pred(events)) {
            waiters.delete(check);
            clearTimeout(timer);
            resolve(events);
          }
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(
            new Error(
              `watch condition not met; events: ${JSON.stringify(events.map((e) => [e.type, e.object?.metadata?.name ?? e.object?.code]))}`,
            ),
          );
        }, timeoutMs);
        waiters.add(check);
        check();
      }),
  };
}
