// The resource quota controller (kube-controller-manager's resourcequota controller, in
// process): keeps every ResourceQuota's status.hard and status.used current. A namespace is
// recounted when one of its quotas is created or its spec changes, when an object in it is
// created or deleted, when a pod finishes (Succeeded/Failed pods release compute), and on a
// periodic full resync (pods stuck terminating past their grace period stop counting then).
// Recounts take the same per-namespace lock as quota admission, so they never race a charge.
import { inSync, type QuotaTracker } from '../admission/quota-tracker.js';
import { podIsLive } from '../admission/pod-resources.js';
import { parseKey } from '../registry/keys.js';
import { decode } from '../registry/object.js';
import { resourcequotas } from '../resources/policy.js';
import { pods } from '../resources/pods.js';
import { storedResources } from '../resources/registry.js';
import { sameJSON } from '../resources/canonical.js';
import type { KObject } from '../resources/types.js';
import type { Watch, WatchEvent } from '../storage/types.js';

export class QuotaController {
  private watch: Watch | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly dirty = new Set<string>();
  private running: Promise<void> = Promise.resolve();
  private draining = false;
  private stopped = false;
  private readonly defs = storedResources();

  constructor(
    private readonly tracker: QuotaTracker,
    private readonly log: (msg: string) => void,
    /** Full recount of every namespace with a quota this often (kube-controller-manager: 5 min). */
    private readonly resyncMs = 5 * 60_000,
  ) {}

  async start(): Promise<void> {
    const storage = this.tracker.storage;
    const rev = await storage.currentRevision();
    this.watch = storage.watch(
      '/registry/',
      rev,
      (e) => this.onEvent(e),
      (err) => this.log(`quota controller: watch ended: ${err.message}`),
    );
    if (this.resyncMs > 0) {
      this.timer = setInterval(() => void this.resync(), this.resyncMs);
      this.timer.unref();
    }
    await this.resync();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.watch?.close();
    if (this.timer) clearInterval(this.timer);
    await this.running;
  }

  /** Marks every namespace that has a quota for a recount. */
  async resync(): Promise<void> {
    try {
      for (const q of (await this.tracker.quotas.list({})).items) {
        this.track(q.metadata.namespace!, q.metadata.name!, true);
        this.mark(q.metadata.namespace!);
      }
    } catch (e) {
      this.log(`quota controller: resync: ${e instanceof Error ? e.message : String(e)}`);
    }
    await this.running;
  }

  private onEvent(e: WatchEvent): void {
    if (e.type === 'progress') return;
    const where = parseKey(e.kv.key, this.defs);
    if (!where || !where.def.namespaced || !where.namespace) return;
    if (where.def === resourcequotas) this.track(where.namespace, where.name, e.type !== 'delete');
    // Only namespaces with a quota have usage to keep: a quota's own create event comes after
    // (and its recount counts) every object written before it.
    else if (!this.withQuota.has(where.namespace)) return;
    if (e.type === 'delete') return this.mark(where.namespace);
    if (!e.prev) return this.mark(where.namespace);
    const o = decode(e.kv);
    const prev = decode(e.prev);
    if (where.def === resourcequotas) {
      // Status writes (charges, our own recounts) need no recount unless the spec moved on.
      if (!sameJSON(o.spec, prev.spec) || !inSync(o)) this.mark(where.namespace);
    } else if (where.def === pods && this.podChanged(prev, o)) this.mark(where.namespace);
  }

  /** Quota names by namespace, from the resync's list and the watch (a stale extra is harmless). */
  private readonly withQuota = new Map<string, Set<string>>();

  private track(namespace: string, name: string, exists: boolean): void {
    let names = this.withQuota.get(namespace);
    if (exists) {
      if (!names) this.withQuota.set(namespace, (names = new Set()));
      names.add(name);
    } else if (names) {
      names.delete(name);
      if (!names.size) this.withQuota.delete(namespace);
    }
  }

  /** A pod's charge changes after creation only when it finishes or starts terminating. */
  private podChanged(prev: KObject, o: KObject): boolean {
    return (
      podIsLive(prev) !== podIsLive(o) || !!prev.metadata.deletionTimestamp !== !!o.metadata.deletionTimestamp
    );
  }

  private mark(namespace: string): void {
    if (this.stopped) return;
    this.dirty.add(namespace);
    if (!this.draining) this.running = this.drain();
  }

  private async drain(): Promise<void> {
    this.draining = true;
    try {
      while (this.dirty.size && !this.stopped) {
        const ns = this.dirty.values().next().value as string;
        this.dirty.delete(ns);
        try {
          await this.tracker.sync(ns);
        } catch (e) {
          this.log(`quota controller: namespace ${ns}: ${e instanceof Error ? e.message : String(e)}`);
        }
      }
    } finally {
      this.draining = false;
    }
  }
}
