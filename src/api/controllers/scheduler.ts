// A small scheduler: every pod without spec.nodeName (and for the default scheduler) is bound to
// a Ready, schedulable node whose labels match its nodeSelector and whose NoSchedule/NoExecute
// taints it tolerates, the one with the fewest pods. A pod no node fits gets PodScheduled=False.
import { ApiError } from '../errors.js';
import { bindPod } from '../http/pod-subresources.js';
import { decode } from '../registry/object.js';
import type { Store } from '../registry/store.js';
import { pods } from '../resources/pods.js';
import type { KObject, ResourceDef } from '../resources/types.js';
import type { Storage, Watch, WatchEvent } from '../storage/types.js';

type Taint = { key?: string; value?: string; effect?: string };
type Toleration = { key?: string; operator?: string; value?: string; effect?: string };
type PodSpec = {
  nodeName?: string;
  schedulerName?: string;
  nodeSelector?: Record<string, string>;
  tolerations?: Toleration[];
};

const specOf = (o: KObject) => (o.spec ?? {}) as PodSpec;

function ready(n: KObject): boolean {
  const st = (n.status ?? {}) as { conditions?: { type?: string; status?: string }[] };
  if ((n.spec as { unschedulable?: boolean } | undefined)?.unschedulable) return false;
  return !!st.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
}

function tolerates(tols: Toleration[], t: Taint): boolean {
  return tols.some(
    (x) =>
      (!x.effect || x.effect === t.effect) &&
      (x.operator === 'Exists'
        ? !x.key || x.key === t.key
        : x.key === t.key && (x.value ?? '') === (t.value ?? '')),
  );
}

function fits(pod: KObject, node: KObject): boolean {
  const s = specOf(pod);
  const labels = node.metadata.labels ?? {};
  if (Object.entries(s.nodeSelector ?? {}).some(([k, v]) => labels[k] !== v)) return false;
  const taints = ((node.spec as { taints?: Taint[] } | undefined)?.taints ?? []).filter(
    (t) => t.effect === 'NoSchedule' || t.effect === 'NoExecute',
  );
  return taints.every((t) => tolerates(s.tolerations ?? [], t));
}

/**
 * What the scheduler keeps of a pod: where it runs, and while it waits what placing it needs
 * (name, node selector, tolerations, its PodScheduled condition) — not the whole object: ten
 * thousand waiting pods kept whole make every major GC of the server long.
 */
interface PodEntry {
  nodeName?: string;
  pending?: KObject;
}

const PODS = '/registry/core/pods/';
function slim(o: KObject): KObject {
  const s = specOf(o);
  const conds = ((o.status ?? {}) as { conditions?: { type?: string }[] }).conditions ?? [];
  return {
    metadata: { name: o.metadata.name, namespace: o.metadata.namespace },
    spec: { nodeSelector: s.nodeSelector, tolerations: s.tolerations },
    status: { conditions: conds.filter((c) => c.type === 'PodScheduled') },
  };
}
const entry = (o: KObject): PodEntry => ({
  ...(specOf(o).nodeName ? { nodeName: specOf(o).nodeName } : {}),
  ...(waiting(o) ? { pending: slim(o) } : {}),
});
const NODES = '/registry/core/nodes/';

function waiting(p: KObject): boolean {
  const s = specOf(p);
  return (
    !s.nodeName &&
    !p.metadata.deletionTimestamp &&
    (s.schedulerName ?? 'default-scheduler') === 'default-scheduler'
  );
}

/**
 * Pods and nodes are cached from one list and the watch that follows it (an informer), with the
 * pod count per node kept as pods come and go. A pass tries the pods queued for it: a pod is
 * queued when it is written while waiting, every waiting pod when a node changes (whether a pod
 * fits depends on nodes only), a pod whose attempt failed again after `everyMs`, and every
 * waiting pod each `retryAllMs` (as kube-scheduler flushes its unschedulable queue). So a write
 * costs the pods it touched, not a walk over every pod; a pass yields between batches of pods.
 */
export class Scheduler {
  private watch: Watch | undefined;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private syncing: Promise<void> | undefined;
  private again = false;
  private stopped = false;
  private readonly pods = new Map<string, PodEntry>();
  private readonly nodes = new Map<string, KObject>();
  /** Pods bound to each node (by name). */
  private readonly load = new Map<string, number>();
  /** Keys of waiting pods the next pass tries. */
  private queue = new Set<string>();
  /** Pods whose last attempt failed (other than gone or changed meanwhile). */
  private failed = new Set<string>();
  private waitingCount = 0;
  private lastRetryAll = Date.now();

  constructor(
    private readonly storage: Storage,
    private readonly stores: Map<ResourceDef, Store>,
    private readonly log: (msg: string) => void,
    private readonly everyMs = 2000,
    private readonly retryAllMs = 60_000,
  ) {}

  start(): void {
    this.resync();
    this.timer = setInterval(() => {
      if (!this.watch) this.resync();
      else if (this.waitingCount > 0 && Date.now() - this.lastRetryAll >= this.retryAllMs) this.retryAll();
      else if (this.failed.size) {
        for (const k of this.failed) this.queue.add(k);
        this.failed.clear();
        this.kick();
      }
    }, this.everyMs);
    this.timer.unref();
  }

  /** Records (or with undefined, forgets) the pod at `key`, keeping the counts. */
  private setPod(key: string, en: PodEntry | undefined): void {
    const old = this.pods.get(key);
    if (old?.nodeName) {
      const n = (this.load.get(old.nodeName) ?? 1) - 1;
      if (n > 0) this.load.set(old.nodeName, n);
      else this.load.delete(old.nodeName);
    }
    if (old?.pending) this.waitingCount--;
    if (!en) {
      this.pods.delete(key);
      this.queue.delete(key);
      return;
    }
    this.pods.set(key, en);
    if (en.nodeName) this.load.set(en.nodeName, (this.load.get(en.nodeName) ?? 0) + 1);
    if (en.pending) {
      this.waitingCount++;
      this.queue.add(key);
    } else this.queue.delete(key);
  }

  /** Queues every waiting pod and runs a pass. */
  private retryAll(): void {
    this.lastRetryAll = Date.now();
    this.failed.clear();
    for (const [k, e] of this.pods) if (e.pending) this.queue.add(k);
    this.kick();
  }

  /** List pods and nodes at one revision, then watch from it: nothing lost in between. */
  private resync(): void {
    if (this.syncing || this.stopped) return;
    this.syncing = (async () => {
      this.watch?.close();
      this.watch = undefined;
      const pods = new Map<string, PodEntry>();
      const nodes = new Map<string, KObject>();
      let revision: number | undefined;
      for (const [prefix, put] of [
        [PODS, (k: string, o: KObject) => pods.set(k, entry(o))],
        [NODES, (k: string, o: KObject) => nodes.set(k, o)],
      ] as const) {
        let startAfter: string | undefined;
        for (;;) {
          const r = await this.storage.list(prefix, {
            limit: 500,
            ...(startAfter ? { startAfter } : {}),
            ...(revision ? { revision } : {}),
          });
          revision ??= r.revision;
          for (const kv of r.items) put(kv.key, decode(kv));
          if (!r.more || !r.items.length) break;
          startAfter = r.items[r.items.length - 1]!.key;
        }
      }
      if (this.stopped) return;
      for (const k of [...this.pods.keys()]) this.setPod(k, undefined);
      for (const [k, v] of pods) this.setPod(k, v);
      this.nodes.clear();
      for (const [k, v] of nodes) this.nodes.set(k, v);
      this.watch = this.storage.watch(
        '/registry/core/',
        revision!,
        (e) => this.onEvent(e),
        () => {
          this.watch = undefined;
        },
      );
      this.kick();
    })()
      .catch((e: unknown) => this.log(`scheduler: ${e instanceof Error ? e.message : String(e)}`))
      .finally(() => (this.syncing = undefined));
  }

  private onEvent(e: WatchEvent): void {
    if (e.type === 'progress') return;
    const key = e.kv.key;
    if (key.startsWith(PODS)) {
      if (e.type === 'delete') this.setPod(key, undefined);
      else {
        const en = entry(decode(e.kv));
        this.setPod(key, en);
        if (en.pending) this.kick();
      }
    } else if (key.startsWith(NODES)) {
      if (e.type === 'delete') this.nodes.delete(key);
      else this.nodes.set(key, decode(e.kv));
      if (this.waitingCount > 0) this.retryAll();
    }
  }

  /** Run a pass now, or right after the one in progress. */
  kick(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.pass()
      .catch((e: unknown) => this.log(`scheduler: ${e instanceof Error ? e.message : String(e)}`))
      .finally(() => {
        this.running = undefined;
        if (this.again) {
          this.again = false;
          this.kick();
        }
      });
  }

  private async pass(): Promise<void> {
    const queued = [...this.queue];
    this.queue = new Set();
    if (!queued.length) return;
    const podStore = this.stores.get(pods)!;
    const candidates = [...this.nodes.values()].filter(ready);
    let firstError: unknown;
    for (let i = 0; i < queued.length; i++) {
      // Let requests in between batches (a node change queues every waiting pod).
      if (i % 200 === 199) await new Promise((r) => setImmediate(r));
      if (this.stopped) return;
      const key = queued[i]!;
      const p = this.pods.get(key)?.pending;
      if (!p) continue;
      const ns = p.metadata.namespace ?? 'default';
      const name = p.metadata.name!;
      const load = (n: KObject) => this.load.get(n.metadata.name!) ?? 0;
      const fit = candidates.filter((n) => fits(p, n)).sort((a, b) => load(a) - load(b))[0];
      try {
        if (!fit) await this.unschedulable(podStore, p, candidates.length);
        else {
          await bindPod(podStore, ns, name, fit.metadata.name!);
          // Assumed bound (as kube-scheduler's cache does) so the next pods see the load at once;
          // the binding's watch event confirms it.
          this.setPod(key, { nodeName: fit.metadata.name! });
        }
      } catch (e) {
        // Gone or changed meanwhile: its watch event decides what happens next.
        if (e instanceof ApiError && (e.code === 404 || e.code === 409)) continue;
        this.failed.add(key);
        firstError ??= e;
      }
    }
    if (firstError) throw firstError;
  }

  private async unschedulable(store: Store, p: KObject, nodeCount: number): Promise<void> {
    const message = nodeCount
      ? `0/${nodeCount} nodes are available: no node matches the pod's node selector and tolerations.`
      : 'no nodes available to schedule pods';
    const conds =
      ((p.status ?? {}) as { conditions?: { type?: string; message?: string }[] }).conditions ?? [];
    if (conds.some((c) => c.type === 'PodScheduled' && c.message === message)) return;
    await store.update(
      p.metadata.namespace ?? 'default',
      p.metadata.name!,
      (cur) => {
        const st = (cur.status ?? {}) as { conditions?: { type?: string }[] };
        cur.status = {
          ...st,
          phase: (st as { phase?: string }).phase ?? 'Pending',
          conditions: [
            ...(st.conditions ?? []).filter((c) => c.type !== 'PodScheduled'),
            {
              type: 'PodScheduled',
              status: 'False',
              reason: 'Unschedulable',
              message,
              lastProbeTime: null,
              lastTransitionTime: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
            },
          ],
        };
        delete cur.metadata.resourceVersion;
        return cur;
      },
      { unrestricted: true },
    );
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.syncing;
    this.watch?.close();
    await this.running;
  }
}
