// The API server assembled: one Store per kind over the given Storage, the HTTP(S) front with its
// authentication and authorization, the in-process controllers (garbage collector, namespace
// lifecycle, root CA publisher) and periodic compaction.
import type http from 'node:http';
import { defaultAdmission, QuotaTracker } from '../admission/index.js';
import { serviceAccountAdmission } from '../admission/service-account.js';
import { admitAll, type Admission } from '../admission/types.js';
import { QuotaController } from '../controllers/quota.js';
import type { SigningKey } from '../auth/jwt.js';
import { nodeAuthorizer } from '../auth/node-authorizer.js';
import { nodeRestriction } from '../auth/node-restriction.js';
import { rbacAuthorizer } from '../auth/rbac/authorizer.js';
import { rbacEscalationCheck } from '../auth/rbac/escalation.js';
import { RuleResolver } from '../auth/rbac/resolver.js';
import { RootCaPublisher } from '../auth/root-ca-publisher.js';
import { allowAllRules, rbacRules, type RulesReview } from '../auth/rules-review.js';
import { ServiceAccountTokens } from '../auth/service-account-tokens.js';
import { alwaysAllow, privilegedGroups, unionAuthorizer, type Authorizer } from '../auth/types.js';
import { Controllers } from '../controllers/gc.js';
import { Scheduler } from '../controllers/scheduler.js';
import type { ServerContext } from '../http/context.js';
import { createHttpServer, listen, type TlsMaterial } from '../http/server.js';
import { Store } from '../registry/store.js';
import { storedResources } from '../resources/registry.js';
import type { ResourceDef, UserInfo } from '../resources/types.js';
import type { Storage } from '../storage/types.js';
import { bootstrap } from './bootstrap.js';

export interface ApiServerOptions {
  storage: Storage;
  host?: string;
  /** 0 = any free port. */
  port?: number;
  /**
   * Without TLS material the server speaks plain HTTP and treats every caller that presents no
   * credentials as admin (tests).
   */
  tls?: TlsMaterial;
  admission?: Admission;
  /** 'RBAC' (system:masters, then the Node authorizer, then RBAC) is the default with TLS,
   * 'AlwaysAllow' without. */
  authorizationMode?: 'RBAC' | 'AlwaysAllow';
  /** Replaces the mode's authorizer (tests). */
  authorizer?: Authorizer;
  /** --anonymous-auth: callers without credentials are system:anonymous instead of refused. */
  anonymousAuth?: boolean;
  /** --token-auth-file entries, by token. */
  tokens?: Map<string, UserInfo>;
  /** Signs and verifies ServiceAccount tokens; without it the TokenRequest API answers 503. */
  serviceAccountKey?: SigningKey;
  serviceAccountIssuer?: string;
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
    private readonly publisher: RootCaPublisher | undefined,
    private readonly quotaController: QuotaController | undefined,
  ) {}

  static async start(o: ApiServerOptions): Promise<ApiServer> {
    const log = o.log ?? ((m: string) => process.stderr.write(`corral-apiserver: ${m}\n`));
    const stores = new Map<ResourceDef, Store>();
    // Node restriction and RBAC escalation checks come before the configured admission chain,
    // by default Kubernetes' (NamespaceLifecycle, LimitRanger, ServiceAccount, PodSecurity,
    // ResourceQuota), whose quota usage the quota controller keeps current.
    let escalation: Admission = admitAll;
    const quotas = o.admission ? undefined : new QuotaTracker(o.storage);
    const admission =
      o.admission ??
      defaultAdmission({
        storage: o.storage,
        quotas: quotas!,
        serviceAccount: serviceAccountAdmission(o.storage),
      });
    const admit: Admission = async (a) => {
      await nodeRestriction(a);
      await escalation(a);
      await admission(a);
    };
    for (const def of storedResources()) stores.set(def, new Store(o.storage, def, admit));
    const resolver = new RuleResolver(stores);
    const mode = o.authorizationMode ?? (o.tls ? 'RBAC' : 'AlwaysAllow');
    const authorize =
      o.authorizer ??
      (mode === 'RBAC'
        ? unionAuthorizer(privilegedGroups, nodeAuthorizer(stores), rbacAuthorizer(resolver))
        : alwaysAllow);
    const rulesFor: RulesReview = mode === 'RBAC' ? rbacRules(resolver) : allowAllRules;
    escalation = rbacEscalationCheck(resolver, authorize);
    const ctx: ServerContext = {
      stores,
      watchTimeoutSeconds: o.watchTimeoutSeconds ?? 1800,
      bookmarkEveryMs: o.bookmarkEveryMs ?? 60_000,
      log,
      authn: {
        insecureAdmin: !o.tls,
        anonymous: !!o.anonymousAuth,
        tokens: o.tokens ?? new Map(),
        serviceAccounts: o.serviceAccountKey
          ? new ServiceAccountTokens(stores, { key: o.serviceAccountKey, issuer: o.serviceAccountIssuer })
          : undefined,
      },
      authorize,
      rulesFor,
    };
    const host = o.host ?? '127.0.0.1';
    const server = createHttpServer(ctx, { host, port: o.port ?? 0, tls: o.tls });
    const port = await listen(server, host, o.port ?? 0);
    await bootstrap(stores, port);
    const controllers = new Controllers(o.storage, stores, log);
    await controllers.start();
    const publisher = o.tls ? new RootCaPublisher(o.storage, stores, o.tls.ca, log) : undefined;
    await publisher?.start();
    const quotaController = quotas ? new QuotaController(quotas, log) : undefined;
    await quotaController?.start();
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
      publisher,
      quotaController,
    );
  }

  /** Resolves when the controllers have handled everything so far (tests). */
  async settled(): Promise<void> {
    await this.controllers.idle();
    await this.publisher?.idle();
  }

  async stop(): Promise<void> {
    if (this.compactTimer) clearInterval(this.compactTimer);
    await this.scheduler?.stop();
    await this.publisher?.stop();
    await this.quotaController?.stop();
    await this.controllers.stop();
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }
}
