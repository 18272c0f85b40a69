// The load generator of bench/api.bench.ts: it runs in the bench process, a separate process
// from the server, and talks to it over loopback only. Requests go through a pool of keep-alive
// connections (api-conn.ts: a lean HTTP/1.1 client, as cheap per request as Go's, which kubectl
// uses) with a closed loop of as many workers, so at most `concurrency` requests are in flight;
// every phase is bounded by a request count and a deadline. Plain HTTP, or HTTPS with a client
// certificate (the server's default mode) when given TLS material. Watch streams use Node's
// http/https client (one long response each).
import http from 'node:http';
import https from 'node:https';
import { performance } from 'node:perf_hooks';
import { ConnPool, type ClientTls, type Reply } from './api-conn.js';

export type { ClientTls, Reply } from './api-conn.js';

const transport = (base: URL) => (base.protocol === 'https:' ? https : http);

export class Client {
  private readonly pool: ConnPool;
  constructor(
    readonly base: URL,
    sockets: number,
    readonly tls?: ClientTls,
  ) {
    this.pool = new ConnPool(base, sockets, base.protocol === 'https:' ? tls : undefined);
  }

  request(method: string, path: string, body?: unknown): Promise<Reply> {
    const data = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    return this.pool.request(
      method,
      path,
      data
        ? 'Accept: application/json\r\nContent-Type: application/json\r\n'
        : 'Accept: application/json\r\n',
      data,
    );
  }

  /** The parsed body of a 2xx reply; anything else throws with the status. */
  async json<T = Record<string, unknown>>(method: string, path: string, body?: unknown): Promise<T> {
    const r = await this.request(method, path, body);
    if (r.status < 200 || r.status > 299)
      throw new Error(`${method} ${path}: ${r.status} ${r.body.toString().slice(0, 300)}`);
    return JSON.parse(r.body.toString()) as T;
  }

  close(): void {
    this.pool.close();
  }
}

export interface PhaseResult {
  ops: number;
  errors: number;
  firstError?: string;
  seconds: number;
  latencies: number[];
}

/**
 * Runs `op(i)` for i = 0, 1, ... from `concurrency` workers until `maxOps` were started or
 * `maxMs` passed; each op's latency is recorded. An op that throws counts as an error.
 */
export async function closedLoop(
  concurrency: number,
  maxOps: number,
  maxMs: number,
  op: (i: number) => Promise<void>,
): Promise<PhaseResult> {
  const latencies: number[] = [];
  let next = 0;
  let errors = 0;
  let firstError: string | undefined;
  const t0 = performance.now();
  const end = t0 + maxMs;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < maxOps && performance.now() < end) {
        const i = next++;
        const s = performance.now();
        try {
          await op(i);
          latencies.push(performance.now() - s);
        } catch (e) {
          errors++;
          firstError ??= (e as Error).message;
        }
      }
    }),
  );
  return { ops: latencies.length, errors, firstError, seconds: (performance.now() - t0) / 1000, latencies };
}

export function percentile(xs: number[], q: number): number {
  if (!xs.length) return NaN;
  const s = Float64Array.from(xs).sort();
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))]!;
}

/**
 * `n` watch streams, each on its own socket (a non-pooling agent), on one path. `onLine` is
 * called with the watcher's index for each complete JSON line. Resolves when every stream has
 * its response headers.
 */
export async function openWatchers(
  base: URL,
  path: string,
  n: number,
  onLine: (watcher: number, line: string) => void,
  tls?: ClientTls,
): Promise<{ close(): void }> {
  const reqs: http.ClientRequest[] = [];
  const o = { keepAlive: false, maxSockets: Infinity };
  const agent = base.protocol === 'https:' ? new https.Agent({ ...o, ...tls }) : new http.Agent(o);
  const ready: Promise<void>[] = [];
  for (let w = 0; w < n; w++) {
    ready.push(
      new Promise<void>((resolve, reject) => {
        const req = transport(base).get(
          { host: base.hostname, port: base.port, path, agent, headers: { Accept: 'application/json' } },
          (res) => {
            if (res.statusCode !== 200) {
              reject(new Error(`watch ${path}: ${res.statusCode}`));
              return;
            }
            let buf = '';
            res.setEncoding('utf8');
            res.on('data', (d: string) => {
              buf += d;
              let nl: number;
              while ((nl = buf.indexOf('\n')) >= 0) {
                const line = buf.slice(0, nl);
                buf = buf.slice(nl + 1);
                if (line) onLine(w, line);
              }
            });
            res.on('error', () => {});
            resolve();
          },
        );
        req.on('error', (e) => reject(e));
        reqs.push(req);
      }),
    );
    // Do not open 500 connections in one burst against the listen backlog.
    if (w % 50 === 49) await new Promise((r) => setTimeout(r, 20));
  }
  const close = () => {
    for (const r of reqs) r.destroy();
    agent.destroy();
  };
  try {
    await Promise.all(ready);
  } catch (e) {
    close();
    throw e;
  }
  return { close };
}
