// The node agent (kubelet, standalone): runs the pods of a manifests directory, starts what was
// added, stops what was removed, replaces what changed (a changed manifest is a new pod UID), and
// on start re-adopts the pods a previous agent left running. Anything it cannot tie to a
// manifest and a record (runtime containers, pod directories, cgroups) is removed.
import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { PolicyEngine, validateNetworkPolicy } from '../network/policy/index.js';
import { NodeContext, PAUSE_ID, type NodeOptions } from './context.js';
import { EvictionManager } from './eviction.js';
import { podKey } from './manifest.js';
import { PodWorker } from './pod-worker.js';
import { closeRunDir } from './run-dir.js';
import { PolicyFeed, policyPod } from './policy-feed.js';
import { burstableShares } from './qos.js';
import type { Pod } from './types.js';
import { ManifestWatcher, type Desired, type DesiredSource } from './watcher.js';

export interface AgentOptions extends NodeOptions {
  /** Where the pods come from: a manifests directory, or `source` (e.g. the API server). */
  manifestsDir?: string;
  source?: (onChange: (d: Desired) => void) => DesiredSource;
  rescanMs?: number;
  /** Enforce NetworkPolicy (needs `network`; default true when there is one). */
  networkPolicy?: boolean;
  /** Corral's nftables table; default `corral`, or `corral_<hash>` for a non-default data dir so
   *  side-by-side instances do not replace each other's rules. */
  policyTable?: string;
}

/** The nftables table for a data dir. */
export function policyTableFor(dataDir: string): string {
  const dir = resolve(dataDir);
  if (dir === '/var/lib/corral') return 'corral';
  return `corral_${createHash('sha256').update(dir).digest('hex').slice(0, 8)}`;
}

export class NodeAgent {
  readonly ctx: NodeContext;
  private workers = new Map<string, PodWorker>(); // by uid
  private stopping = new Map<string, Promise<void>>(); // by uid
  private stoppingKeys = new Map<string, string>(); // uid → namespace/name
  private watcher: DesiredSource;
  private chain: Promise<void> = Promise.resolve();
  private errors = new Map<string, string>();
  private stopped = false;
  /** Node-pressure eviction (off with evictionHard: ''). */
  readonly eviction?: EvictionManager;
  /** NetworkPolicy enforcement; in a cluster its objects and peer pods come from the API. */
  readonly policyFeed?: PolicyFeed;
  private policyEngine?: PolicyEngine;

  constructor(readonly opts: AgentOptions) {
    mkdirSync(opts.dataDir, { recursive: true });
    this.ctx = new NodeContext(opts);
    if (this.ctx.eviction)
      this.eviction = new EvictionManager(this.ctx.eviction, () => [...this.workers.values()]);
    if (this.ctx.network && opts.networkPolicy !== false) {
      this.policyEngine = new PolicyEngine({
        table: opts.policyTable ?? policyTableFor(opts.dataDir),
        ...(opts.network?.hostNetns ? { netns: opts.network.hostNetns } : {}),
        log: (m) => this.ctx.log(m),
      });
      this.policyFeed = new PolicyFeed(this.policyEngine);
      this.ctx.onNetworkChange = () => this.refreshLocalPods();
    }
    if (opts.source) this.watcher = opts.source((d) => this.enqueue(d));
    else if (opts.manifestsDir)
      this.watcher = new ManifestWatcher(
        opts.manifestsDir,
        (d) => this.enqueue(d),
        opts.rescanMs,
        validateNetworkPolicy,
      );
    else throw new Error('the node agent needs --manifests DIR or --server/--kubeconfig');
  }

  async start(): Promise<void> {
    if (this.policyEngine)
      await this.policyEngine.start().catch((e: unknown) => {
        this.ctx.log(`NetworkPolicy is not enforced: ${(e as Error).message}`);
        this.policyEngine = undefined;
        (this as { policyFeed?: PolicyFeed }).policyFeed = undefined;
      });
    await this.ctx.cgroups.ensureTop(2);
    await this.ctx.pauseRootfs();
    this.watcher.start();
    await this.chain;
    this.eviction?.start();
  }

  private enqueue(d: Desired): void {
    this.chain = this.chain
      .then(() => this.sync(d))
      .catch((e) => this.ctx.log(`sync: ${(e as Error).message}`));
  }

  /** Wait until the changes seen so far are applied, including the pods they stop. */
  async settled(): Promise<void> {
    await this.chain;
    await Promise.all(this.stopping.values());
  }

  /** Resolves once pod `uid` is no longer running here (its stop, if any, has finished). */
  async whenStopped(uid: string): Promise<void> {
    await this.chain;
    await this.stopping.get(uid);
  }

  /** Pods being stopped run their stop on their own: one slow grace period holds up no other pod. */
  private stopWorker(uid: string, w: PodWorker): void {
    const done = w
      .stop()
      .catch((e: unknown) => this.ctx.log(`pod ${w.key}: stop: ${(e as Error).message}`))
      .finally(() => {
        this.stopping.delete(uid);
        this.stoppingKeys.delete(uid);
      });
    this.stopping.set(uid, done);
    this.stoppingKeys.set(uid, podKey(w.pod));
  }

  private first = true;

  private async sync(d: Desired): Promise<void> {
    if (this.stopped) return;
    this.errors = d.errors;
    for (const [f, e] of d.errors) this.ctx.log(`manifest ${f}: ${e}`);
    this.ctx.configMaps = new Map(d.configMaps.map((c) => [podKey(c), c]));
    this.ctx.secrets = new Map(d.secrets.map((s) => [podKey(s), s]));
    // From manifests; in a cluster the API source feeds them instead.
    if (!this.opts.source) this.policyFeed?.setObjects(d.namespaces, d.networkPolicies);
    const want = new Map<string, Pod>();
    const keys = new Set<string>();
    for (const p of d.pods) {
      if (keys.has(podKey(p))) {
        this.ctx.log(`pod ${podKey(p)} is defined twice; the second definition is ignored`);
        continue;
      }
      keys.add(podKey(p));
      want.set(p.metadata.uid, p);
    }
    if (this.first) {
      this.first = false;
      await this.adopt(want);
    }
    for (const [uid, w] of this.workers)
      if (!want.has(uid)) {
        this.workers.delete(uid);
        this.stopWorker(uid, w);
      }
    await this.ctx.cgroups.updateBurstable(burstableShares([...want.values()]));
    for (const [uid, pod] of want)
      if (!this.workers.has(uid)) {
        const w = new PodWorker(this.ctx, pod);
        this.workers.set(uid, w);
        // A pod replacing one of the same name (a changed manifest) starts once that one has
        // stopped, as the kubelet does for static pods: never both at once.
        const prev = [...this.stoppingKeys]
          .filter(([, key]) => key === podKey(pod))
          .map(([u]) => this.stopping.get(u));
        if (prev.length)
          void Promise.all(prev).then(() => {
            if (this.workers.get(uid) === w && !this.stopped) w.start();
          });
        else w.start();
      }
  }

  /** First sync: re-adopt recorded pods still wanted, remove everything else we cannot prove. */
  private async adopt(want: Map<string, Pod>): Promise<void> {
    const known = new Set<string>([PAUSE_ID]);
    const stale: PodWorker[] = [];
    for (const uid of this.ctx.store.uids()) {
      const rec = this.ctx.store.load(uid);
      if (!rec) {
        // No record (the tmpfs went with a reboot): a pod still wanted starts afresh and keeps its
        // volumes and logs, as the kubelet's pod directories outlive a reboot.
        if (!want.has(uid)) this.ctx.store.remove(uid);
        continue;
      }
      if (rec.sandbox) known.add(rec.sandbox.id);
      for (const c of Object.values(rec.containers)) if (c.current) known.add(c.current.id);
      const w = new PodWorker(this.ctx, rec.pod, rec);
      if (want.has(uid)) {
        this.workers.set(uid, w);
        w.start();
      } else stale.push(w);
    }
    await Promise.all(stale.map((w) => w.stop()));
    // Addresses of sandboxes that are gone (stopped while we were down, or an ADD cut short by a
    // crash) are released now; the sandboxes of pods we keep are ours.
    if (this.ctx.network) {
      const live = [...this.workers.values()].map((w) => w.sandboxIdValue);
      const deleted = await this.ctx.network.gc(live).catch((e: unknown) => {
        this.ctx.log(`network gc: ${(e as Error).message}`);
        return [];
      });
      for (const d of deleted) this.ctx.log(`network: released ${d}, whose sandbox is gone`);
    }
    for (const e of await this.ctx.runtime.list()) {
      if (known.has(e.id)) continue;
      this.ctx.log(`removing unknown container ${e.id}`);
      await this.ctx.runtime.delete(e.id, { force: true }).catch(() => undefined);
      this.ctx.releaseOrphanRootfs(e.id);
    }
  }

  /** This node's pods with addresses, for NetworkPolicy. */
  private refreshLocalPods(): void {
    this.policyFeed?.setLocalPods(
      [...this.workers.values()].filter((w) => w.ips.length).map((w) => policyPod(w.pod, w.ips)),
    );
  }

  pods(): {
    name: string;
    namespace: string;
    uid: string;
    status: ReturnType<PodWorker['status']>;
    sandboxPid?: number;
  }[] {
    return [...this.workers.values()].map((w) => ({
      name: w.pod.metadata.name,
      namespace: w.pod.metadata.namespace,
      uid: w.uid,
      status: w.status(),
      ...(w.sandboxPid ? { sandboxPid: w.sandboxPid } : {}),
    }));
  }

  manifestErrors(): Record<string, string> {
    return Object.fromEntries(this.errors);
  }

  worker(name: string, namespace = 'default'): PodWorker | undefined {
    return [...this.workers.values()].find(
      (w) => w.pod.metadata.name === name && w.pod.metadata.namespace === namespace,
    );
  }

  logDir(w: PodWorker, ctr: string): string {
    return join(w.dir, ctr);
  }

  /**
   * Stop the agent. `stopPods`: stop and remove every pod and the cgroup tree (tests, node
   * drain); otherwise the pods keep running for the next agent, as with the kubelet.
   */
  async shutdown(o: { stopPods?: boolean } = {}): Promise<void> {
    this.watcher.stop();
    await this.eviction?.stop();
    await this.settled();
    this.stopped = true;
    if (o.stopPods) {
      await Promise.all([...this.workers.values()].map((w) => w.stop()));
      this.workers.clear();
      await this.ctx.runtime.delete(PAUSE_ID, { force: true }).catch(() => undefined);
      this.ctx.releaseOrphanRootfs(PAUSE_ID);
      await this.ctx.cgroups.removeTop();
    } else for (const w of this.workers.values()) w.detach();
    // With every pod gone the runtime state's tmpfs goes too (kept for the pods otherwise).
    if (o.stopPods)
      await closeRunDir(this.ctx.run, this.ctx.spawner, this.opts.dataDir).catch((e: unknown) =>
        this.ctx.log(`unmounting ${this.ctx.run.path}: ${(e as Error).message}`),
      );
    this.ctx.spawner.close();
    // Corral's rules go with the agent: nothing of ours stays in the host's nftables.
    this.ctx.onNetworkChange = () => undefined;
    await this.policyEngine
      ?.stop()
      .catch((e: unknown) => this.ctx.log(`NetworkPolicy: removing the table: ${(e as Error).message}`));
  }
}
