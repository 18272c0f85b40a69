// A small Kubernetes API client for the node agent: JSON requests and watches over node:https,
// authenticated with the kubeconfig's client certificate (the agent needs nothing more, and this
// keeps @kubernetes/client-node a test-only dependency).
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { parse as parseYaml } from 'yaml';

export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: {
    name: string;
    namespace?: string;
    uid?: string;
    resourceVersion?: string;
    deletionTimestamp?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    [k: string]: unknown;
  };
  spec?: Record<string, unknown>;
  status?: Record<string, unknown>;
  [k: string]: unknown;
}

export interface KubeList<T = KubeObject> {
  metadata: { resourceVersion: string };
  items: T[];
}

export interface WatchEvent<T = KubeObject> {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  object: T;
}

export class ApiError extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly reason?: string,
  ) {
    super(message);
  }
}

interface Conn {
  server: URL;
  ca?: string;
  cert?: string;
  key?: string;
  token?: string;
  insecure?: boolean;
}

const b64 = (s: string | undefined) => (s ? Buffer.from(s, 'base64').toString() : undefined);
const file = (p: string | undefined) => (p ? readFileSync(p, 'utf8') : undefined);

/** The current context of a kubeconfig (JSON or YAML), inline data or file references. */
export function loadKubeconfig(path: string): Conn {
  let cfg: {
    'current-context'?: string;
    contexts?: { name: string; context: { cluster: string; user: string } }[];
    clusters?: { name: string; cluster: Record<string, string | boolean> }[];
    users?: { name: string; user: Record<string, string> }[];
  };
  try {
    cfg = parseYaml(readFileSync(path, 'utf8')) as typeof cfg;
  } catch (e) {
    throw new Error(`--kubeconfig ${path}: ${(e as Error).message}`, { cause: e });
  }
  const ctx = cfg.contexts?.find((c) => c.name === cfg['current-context']) ?? cfg.contexts?.[0];
  const cluster = cfg.clusters?.find((c) => c.name === ctx?.context.cluster) ?? cfg.clusters?.[0];
  const user = cfg.users?.find((u) => u.name === ctx?.context.user) ?? cfg.users?.[0];
  if (!cluster?.cluster.server) throw new Error(`--kubeconfig ${path}: no cluster with a server URL`);
  const c = cluster.cluster as Record<string, string>;
  const u = user?.user ?? {};
  return {
    server: new URL(String(c.server)),
    ca: b64(c['certificate-authority-data']) ?? file(c['certificate-authority']),
    cert: b64(u['client-certificate-data']) ?? file(u['client-certificate']),
    key: b64(u['client-key-data']) ?? file(u['client-key']),
    token: u.token,
    insecure: (cluster.cluster['insecure-skip-tls-verify'] as unknown) === true,
  };
}

export class KubeClient {
  private readonly agent: http.Agent;

  constructor(
    private readonly conn: Conn,
    /** Overrides the kubeconfig's server (`--server`). */
    server?: string,
  ) {
    if (server) this.conn = { ...conn, server: new URL(server) };
    this.agent =
      this.conn.server.protocol === 'https:'
        ? new https.Agent({
            keepAlive: true,
            ca: conn.ca,
            cert: conn.cert,
            key: conn.key,
            rejectUnauthorized: !conn.insecure,
          })
        : new http.Agent({ keepAlive: true });
  }

  static fromKubeconfig(path: string, server?: string): KubeClient {
    return new KubeClient(loadKubeconfig(path), server);
  }

  get serverUrl(): string {
    return this.conn.server.toString();
  }

  private open(method: string, path: string, headers: Record<string, string>): http.ClientRequest {
    const mod = this.conn.server.protocol === 'https:' ? https : http;
    return mod.request(new URL(path, this.conn.server), {
      method,
      agent: this.agent,
      headers: {
        accept: 'application/json',
        'user-agent': 'corral-node',
        ...(this.conn.token ? { authorization: `Bearer ${this.conn.token}` } : {}),
        ...headers,
      },
    });
  }

  async request<T = KubeObject>(
    method: string,
    path: string,
    body?: unknown,
    contentType = 'application/json',
  ): Promise<T> {
    const data = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    return new Promise<T>((resolve, reject) => {
      const req = this.open(
        method,
        path,
        data ? { 'content-type': contentType, 'content-length': String(data.length) } : {},
      );
      req.setTimeout(30_000, () => req.destroy(new Error(`${method} ${path}: timed out`)));
      req.on('error', reject);
      req.on('response', (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString();
          let parsed: unknown;
          try {
            parsed = text ? JSON.parse(text) : undefined;
          } catch {
            parsed = undefined;
          }
          if ((res.statusCode ?? 500) >= 300) {
            const st = parsed as { message?: string; reason?: string } | undefined;
            reject(
              new ApiError(
                res.statusCode ?? 500,
                `${method} ${path}: ${st?.message ?? text.trim()}`,
                st?.reason,
              ),
            );
          } else resolve(parsed as T);
        });
      });
      req.end(data);
    });
  }

  /**
   * List then watch `path` (a collection URL, query allowed) until stop(): onSync gets the full
   * list each time one is made (start, 410 Gone, broken streams), onEvent every change after it.
   */
  informer<T extends KubeObject = KubeObject>(
    path: string,
    onSync: (items: T[]) => void,
    onEvent: (e: WatchEvent<T>) => void,
    onError: (e: Error) => void = () => undefined,
  ): { stop(): void } {
    let stopped = false;
    let current: http.ClientRequest | undefined;
    let timer: NodeJS.Timeout | undefined;
    const sep = path.includes('?') ? '&' : '?';
    const relist = async (): Promise<void> => {
      if (stopped) return;
      try {
        const list = await this.request<KubeList<T>>('GET', path);
        if (stopped) return;
        onSync(list.items ?? []);
        watch(list.metadata.resourceVersion);
      } catch (e) {
        onError(e as Error);
        retry(relist);
      }
    };
    const retry = (fn: () => void) => {
      if (!stopped) timer = setTimeout(fn, 1000);
    };
    const watch = (rv: string): void => {
      if (stopped) return;
      const req = this.open(
        'GET',
        `${path}${sep}watch=true&allowWatchBookmarks=true&resourceVersion=${rv}&timeoutSeconds=300`,
        {},
      );
      current = req;
      let last = rv;
      let gone = false;
      req.on('error', (e) => {
        if (!stopped) onError(e);
      });
      let answered = false;
      req.on('response', (res) => {
        answered = true;
        if (res.statusCode !== 200) {
          res.resume();
          return void res.on('end', () => retry(() => void relist()));
        }
        let buf = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          buf += chunk;
          let nl: number;
          while ((nl = buf.indexOf('\n')) >= 0) {
            const line = buf.slice(0, nl).trim();
            buf = buf.slice(nl + 1);
            if (!line) continue;
            let ev: WatchEvent<T>;
            try {
              ev = JSON.parse(line) as WatchEvent<T>;
            } catch {
              continue;
            }
            if (ev.type === 'ERROR') {
              gone = true;
              continue;
            }
            if (ev.object?.metadata?.resourceVersion) last = ev.object.metadata.resourceVersion;
            if (ev.type !== 'BOOKMARK') onEvent(ev);
          }
        });
        res.on('end', () => {
          if (stopped) return;
          if (gone) void relist();
          else watch(last);
        });
        res.on('error', () => undefined);
      });
      req.on('close', () => {
        if (!stopped && !answered) retry(() => void relist());
      });
      req.end();
    };
    void relist();
    return {
      stop() {
        stopped = true;
        clearTimeout(timer);
        current?.destroy();
      },
    };
  }

  close(): void {
    this.agent.destroy();
  }
}
