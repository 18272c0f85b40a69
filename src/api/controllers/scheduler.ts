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

/** What the scheduler keeps of a pod: where it runs, and the whole object while it waits. */
interface PodEntry {
  nodeName?: string;
  pending?: KObject;
}

const PODS = '/registry/core/pods/';
const entry = (o: KObject): PodEntry => ({
  ...(specOf(o).nodeName ? { nodeName: specOf(o).nodeName } : {}),
  ...(waiting(o) ? { pending: o } : {}),
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
 * Pods and nodes are cached from one list and the watch that follows it (an informer), so a pass
 * costs what the pending pods cost, not a decode of every pod in the cluster; passes run when a
 * pod starts waiting, a node changes while pods wait, and every `everyMs` while any wait.
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

  constructor(
    private readonly storage: Storage,
    private readonly stores: Map<ResourceDef, Store>,
    private readonly log: (msg: string) => void,
    private readonly everyMs = 2000,
  ) {}

  start(): void {
    this.resync();
    this.timer = setInterval(() => {
      if (!this.watch) this.resync();
      else if (this.waitingCount() > 0) this.kick();
    }, this.everyMs);
    this.timer.unref();
  }

  private waitingCount(): number {
    let n = 0;
    for (const e of this.pods.values()) if (e.pending) n++;
    return n;
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
      this.pods.clear();
      for (const [k, v] of pods) this.pods.set(k, v);
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
      if (e.type === 'delete') this.pods.delete(key);
      else {
        const en = entry(decode(e.kv));
        this.pods.set(key, en);
        if (en.pending) this.kick();
      }
    } else if (key.startsWith(NODES)) {
      if (e.type === 'delete') this.nodes.delete(key);
      else this.nodes.set(key, decode(e.kv));
      if (this.waitingCount() > 0) this.kick();
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
    const pending = [...this.pods.values()].flatMap((e) => (e.pending ? [e.pending] : []));
    if (!pending.length) return;
    const podStore = this.stores.get(pods)!;
    const candidates = [...this.nodes.values()].filter(ready);
    const load = new Map<string, number>(candidates.map((n) => [n.metadata.name!, 0]));
    for (const e of this.pods.values())
      if (e.nodeName && load.has(e.nodeName)) load.set(e.nodeName, load.get(e.nodeName)! + 1);
    for (const p of pending) {
      const ns = p.metadata.namespace ?? 'default';
      const name = p.metadata.name!;
      const fit = candidates
        .filter((n) => fits(p, n))
        .sort((a, b) => load.get(a.metadata.name!)! - load.get(b.metadata.name!)!)[0];
      try {
        if (!fit) await this.unschedulable(podStore, p, candidates.length);
        else {
          await bindPod(podStore, ns, name, fit.metadata.name!);
          load.set(fit.metadata.name!, load.get(fit.metadata.name!)! + 1);
        }
      } catch (e) {
        if (!(e instanceof ApiError && (e.code === 404 || e.code === 409))) throw e;
      }
    }
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
