// The state quota admission and the quota controller share: one lock per namespace (the check,
// the charge and the write it pays for happen under it, and so does every recalculation, so a
// recount never misses an object that has been charged but not yet stored), and the two ways
// status.used changes — a full recount from storage, or a charge written with compare-and-swap on
// the quota's resourceVersion (Store.update retries on a conflict against the newer quota).
import { ApiError } from '../errors.js';
import { Store } from '../registry/store.js';
import { resourcequotas } from '../resources/policy.js';
import type { KObject, ResourceDef } from '../resources/types.js';
import type { Storage } from '../storage/types.js';
import { add, format, ZERO, type Qty } from './quantity.js';
import { chargeOf, hardOf, kindFor, quotaMatches } from './quota-usage.js';
import { admitAll } from './types.js';

type Status = { hard?: Record<string, string>; used?: Record<string, string> };
const statusOf = (q: KObject) => (q.status ?? {}) as Status;
const specHard = (q: KObject) => ((q.spec ?? {}) as { hard?: Record<string, unknown> }).hard ?? {};

/** True when status.hard is spec.hard and every hard resource has a usage figure. */
export function inSync(q: KObject): boolean {
  const st = statusOf(q);
  const hard = specHard(q);
  const keys = Object.keys(hard);
  return (
    keys.length === Object.keys(st.hard ?? {}).length &&
    keys.every((k) => String(st.hard?.[k]) === String(hard[k]) && st.used?.[k] !== undefined)
  );
}

export class QuotaTracker {
  readonly quotas: Store;
  private readonly stores = new Map<ResourceDef, Store>();
  private readonly locks = new Map<string, Promise<void>>();

  constructor(readonly storage: Storage) {
    // Internal reads and status writes bypass admission (they are the system's own bookkeeping).
    this.quotas = new Store(storage, resourcequotas, admitAll);
  }

  private storeOf(def: ResourceDef): Store {
    let s = this.stores.get(def);
    if (!s) this.stores.set(def, (s = new Store(this.storage, def, admitAll)));
    return s;
  }

  /** Waits for the namespace's lock; the returned function releases it (idempotently). */
  async lock(namespace: string): Promise<() => void> {
    const prev = this.locks.get(namespace) ?? Promise.resolve();
    let open!: () => void;
    const mine = new Promise<void>((r) => (open = r));
    const tail = prev.then(() => mine);
    this.locks.set(namespace, tail);
    await prev;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      open();
      if (this.locks.get(namespace) === tail) this.locks.delete(namespace);
    };
  }

  async list(namespace: string): Promise<KObject[]> {
    return (await this.quotas.list({ namespace })).items;
  }

  /** Recounts every quota of the namespace from storage and writes status (takes the lock). */
  async sync(namespace: string): Promise<void> {
    const release = await this.lock(namespace);
    try {
      await this.recountLocked(namespace);
    } finally {
      release();
    }
  }

  /** The recount, for a caller already holding the namespace's lock. */
  async recountLocked(namespace: string): Promise<void> {
    const listed = new Map<ResourceDef, KObject[]>();
    const objects = async (def: ResourceDef) => {
      let l = listed.get(def);
      if (!l) listed.set(def, (l = (await this.storeOf(def).list({ namespace })).items));
      return l;
    };
    for (const q of await this.list(namespace)) {
      const hard = hardOf(q, 'spec');
      const used: Record<string, string> = {};
      for (const name of hard.keys()) {
        const def = kindFor(name);
        let sum: Qty = ZERO;
        if (def)
          for (const o of await objects(def))
            if (quotaMatches(q, def, o)) sum = add(sum, chargeOf(def, o, name));
        used[name] = format(sum);
      }
      await this.writeStatus(namespace, q.metadata.name!, (cur) => {
        // The spec may have changed since the count; a later sync (the controller sees that
        // change) recounts what this one could not.
        const h = specHard(cur);
        return {
          hard: Object.fromEntries(Object.entries(h).map(([k, v]) => [k, String(v)])),
          used: Object.fromEntries(Object.keys(h).map((k) => [k, used[k] ?? '0'])),
        };
      });
    }
  }

  /**
   * Writes a quota's status as `next(current)` computes it, retrying on conflict against the
   * newer quota; `next` may throw to abandon the write (a charge that no longer fits).
   */
  async writeStatus(namespace: string, name: string, next: (cur: KObject) => Status): Promise<void> {
    try {
      await this.quotas.update(
        namespace,
        name,
        (cur) => {
          const status = next(cur);
          delete cur.metadata.resourceVersion;
          return { ...cur, status };
        },
        { subresource: 'status' },
      );
    } catch (e) {
      // A quota deleted meanwhile has nothing left to count.
      if (!(e instanceof ApiError && e.code === 404)) throw e;
    }
  }
}
