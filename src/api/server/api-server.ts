// The API server assembled: one Store per kind over the given Storage, the HTTP(S) front, the
// in-process controllers (garbage collector, namespace lifecycle) and periodic compaction.
import type http from 'node:http';
import { admitAll, type Admission } from '../admission/types.js';
import { alwaysAllow, type Authorizer } from '../auth/types.js';
import { Controllers } from '../controllers/gc.js';
import { Scheduler } from '../controllers/scheduler.js';
import type { ServerContext } from '../http/context.js';
import { createHttpServer, listen, type TlsMaterial } from '../http/server.js';
import { Store } from '../registry/store.js';
import { storedResources } from '../resources/registry.js';
import type { ResourceDef } from '../resources/types.js';
import type { Storage } from '../storage/types.js';
import { bootstrap } from './bootstrap.js';

export interface ApiServerOptions {
  storage: Storage;
  host?: string;
  /** 0 = any free port. */
  port?: number;
  /** Without TLS material the server speaks plain HTTP and treats every caller as admin (tests). */
  tls?: TlsMaterial;
  admission?: Admission;
  authorizer?: Authorizer;
  log?: (msg: string) => void;
  watchTimeoutSeconds?: number;
  bookmarkEveryMs?: number;
  /** Compact history older than this (kube-apiserver: 5 minutes). 0 = never. */
  compactEveryMs?: number;
  /** Run the built-in scheduler (default true; tests of plain API semantics turn it off). */
  scheduler?: boolean;
}

export class ApiServer {
  private constructor(
    readonly url: string,
    readonly port: number,
    readonly stores: Map<ResourceDef, Store>,
    private readonly server: http.Server,
    private readonly controllers: Controllers,
    private readonly compactTimer: NodeJS.Timeout | undefined,
    private readonly scheduler: Scheduler | undefined,
  ) {}

  static async start(o: ApiServerOptions): Promise<ApiServer> {
    const log = o.log ?? ((m: string) => process.stderr.write(`corral-apiserver: ${m}\n`));
    const stores = new Map<ResourceDef, Store>();
    for (const def of storedResources()) stores.set(def, new Store(o.storage, def, o.admission ?? admitAll));
    const ctx: ServerContext = {
      stores,
      watchTimeoutSeconds: o.watchTimeoutSeconds ?? 1800,
      bookmarkEveryMs: o.bookmarkEveryMs ?? 60_000,
      log,
      authorize: o.authorizer ?? alwaysAllow,
    };
    const host = o.host ?? '127.0.0.1';
    const server = createHttpServer(ctx, { host, port: o.port ?? 0, tls: o.tls });
    const port = await listen(server, host, o.port ?? 0);
    await bootstrap(stores, port);
    const controllers = new Controllers(o.storage, stores, log);
    await controllers.start();
    const scheduler = o.scheduler === false ? undefined : new Scheduler(o.storage, stores, log);
    scheduler?.start();
    let compactTimer: NodeJS.Timeout | undefined;
    const every = o.compactEveryMs ?? 5 * 60_000;
    if (every > 0) {
      // Compact to the revision seen one period ago, so watches have that long to catch up.
      let mark = await o.storage.currentRevision();
      compactTimer = setInterval(() => {
        const target = mark;
        o.storage
          .currentRevision()
          .then((r) => {
            mark = r;
            return o.storage.compact(target);
          })
          .catch((e: unknown) => log(`compaction failed: ${e instanceof Error ? e.message : String(e)}`));
      }, every);
      compactTimer.unref();
    }
    const hostForUrl = host.includes(':') ? `[${host}]` : host === '0.0.0.0' ? '127.0.0.1' : host;
    return new ApiServer(
      `${o.tls ? 'https' : 'http'}://${hostForUrl}:${port}`,
      port,
      stores,
      server,
      controllers,
      compactTimer,
      scheduler,
    );
  }

  /** Resolves when the controllers have handled everything so far (tests). */
  settled(): Promise<void> {
    return this.controllers.idle();
  }

  async stop(): Promise<void> {
    if (this.compactTimer) clearInterval(this.compactTimer);
    await this.scheduler?.stop();
    await this.controllers.stop();
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }
}
