// A small scheduler: every pod without spec.nodeName (and for the default scheduler) is bound to
// a Ready, schedulable node whose labels match its nodeSelector and whose NoSchedule/NoExecute
// taints it tolerates, the one with the fewest pods. Passes run on pod and node changes and every
// `everyMs` (node readiness changes with time). A pod no node fits gets PodScheduled=False.
import { ApiError } from '../errors.js';
import { bindPod } from '../http/pod-subresources.js';
import type { Store } from '../registry/store.js';
import { nodes } from '../resources/nodes.js';
import { pods } from '../resources/pods.js';
import type { KObject, ResourceDef } from '../resources/types.js';
import type { Storage, Watch } from '../storage/types.js';

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

export class Scheduler {
  private watch: Watch | undefined;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = false;

  constructor(
    private readonly storage: Storage,
    private readonly stores: Map<ResourceDef, Store>,
    private readonly log: (msg: string) => void,
    private readonly everyMs = 2000,
  ) {}

  start(): void {
    this.rewatch();
    this.timer = setInterval(() => {
      if (!this.watch) this.rewatch();
      this.kick();
    }, this.everyMs);
    this.timer.unref();
    this.kick();
  }

  private rewatch(): void {
    this.watch = this.storage.watch(
      '/registry/core/',
      0,
      (e) => {
        if (e.type === 'progress') return;
        if (e.kv.key.startsWith('/registry/core/pods/') || e.kv.key.startsWith('/registry/core/nodes/'))
          this.kick();
      },
      () => {
        this.watch = undefined;
      },
    );
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
    const podStore = this.stores.get(pods)!;
    const all = (await podStore.list()).items;
    const pending = all.filter(
      (p) =>
        !specOf(p).nodeName &&
        !p.metadata.deletionTimestamp &&
        (specOf(p).schedulerName ?? 'default-scheduler') === 'default-scheduler',
    );
    if (!pending.length) return;
    const candidates = (await this.stores.get(nodes)!.list()).items.filter(ready);
    const load = new Map<string, number>(candidates.map((n) => [n.metadata.name!, 0]));
    for (const p of all) {
      const n = specOf(p).nodeName;
      if (n && load.has(n)) load.set(n, load.get(n)! + 1);
    }
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
    this.watch?.close();
    if (this.timer) clearInterval(this.timer);
    await this.running;
  }
}
