// ResourceQuota admission (plugin/pkg/admission/resourcequota): a create is refused when it would
// take a namespace's usage past a quota's hard limit, else its cost is charged to status.used
// before it is stored. Exact under concurrency: the check, the charge (a compare-and-swap on the
// quota, as upstream) and the object's write all happen under the namespace's lock in
// QuotaTracker, released when the store reports the write's outcome; a write that failed gives
// its charge back. Deletions are released by the quota controller's recount.
import { forbidden } from '../errors.js';
import { pods } from '../resources/pods.js';
import type { KObject } from '../resources/types.js';
import { add, cmp, format, printList, sub, ZERO, type Qty } from './quantity.js';
import { inSync, type QuotaTracker } from './quota-tracker.js';
import { chargeOf, hardOf, kindFor, missingLimits, quotaMatches, usedOf } from './quota-usage.js';
import type { Admission, AdmissionAttributes } from './types.js';

interface Charge {
  quota: string;
  delta: Map<string, Qty>;
}

export function resourceQuota(tracker: QuotaTracker): Admission {
  return async (a) => {
    // Object counts and a pod's compute change only when an object is created: pod resources
    // are immutable here, and removals are the controller's to release.
    if (a.operation !== 'CREATE' || a.subresource || !a.obj || !a.def.namespaced) return;
    const obj = a.obj;
    const relevant = (q: KObject) =>
      quotaMatches(q, a.def, obj) && [...hardOf(q, 'spec').keys()].some((n) => kindFor(n) === a.def);
    // Cheap look first: most namespaces have no quota covering this kind, and need no lock.
    if (!(await tracker.list(a.namespace)).some(relevant)) return;
    const release = await tracker.lock(a.namespace);
    let charged: Charge[] = [];
    try {
      let quotas = (await tracker.list(a.namespace)).filter(relevant);
      // A quota the controller has not counted yet is counted now, so it binds from its first moment.
      if (quotas.some((q) => !inSync(q))) {
        await tracker.recountLocked(a.namespace);
        quotas = (await tracker.list(a.namespace)).filter(relevant);
      }
      const plan = quotas.map((q) => ({ q, delta: deltaFor(a, q) }));
      for (const { q } of plan) {
        if (a.def !== pods) continue;
        const why = missingLimits(obj, hardOf(q, 'status').keys());
        if (why) throw refuse(a, `failed quota: ${q.metadata.name}: ${why}`);
      }
      for (const { q, delta } of plan) {
        const over = exceeded(a, q, delta);
        if (over) throw over;
      }
      if (!a.dryRun) charged = await chargeAll(tracker, a, plan);
    } catch (e) {
      release();
      throw e;
    }
    if (!a.whenDone) {
      // No one will tell us the outcome: keep the charge (upstream's behaviour; the controller's
      // recount corrects it if the write fails).
      release();
      return;
    }
    a.whenDone(async (stored) => {
      try {
        if (!stored && charged.length) await refund(tracker, a.namespace, charged);
      } catch {
        // The refund lost (the quota changed under it): recount instead; the write's own
        // outcome stays what the client sees.
        await tracker.recountLocked(a.namespace).catch(() => {});
      } finally {
        release();
      }
    });
  };
}

function refuse(a: AdmissionAttributes, why: string) {
  return forbidden({ group: a.def.group, plural: a.def.plural }, a.name, why);
}

/** What the object adds to each of the quota's enforced resources (zeros left out). */
function deltaFor(a: AdmissionAttributes, q: KObject): Map<string, Qty> {
  const delta = new Map<string, Qty>();
  for (const name of hardOf(q, 'status').keys()) {
    const c = chargeOf(a.def, a.obj!, name);
    if (c.milli !== 0n) delta.set(name, c);
  }
  return delta;
}

/** Upstream's refusal when used + requested passes hard, naming only the resources that do. */
function exceeded(a: AdmissionAttributes, q: KObject, delta: Map<string, Qty>) {
  const hard = hardOf(q, 'status');
  const used = usedOf(q);
  const over = [...delta.keys()].filter(
    (k) => delta.get(k)!.milli > 0n && cmp(add(used.get(k) ?? ZERO, delta.get(k)!), hard.get(k)!) > 0,
  );
  if (!over.length) return undefined;
  const pick = (m: Map<string, Qty>) => new Map(over.map((k) => [k, m.get(k) ?? ZERO]));
  return refuse(
    a,
    `exceeded quota: ${q.metadata.name}, requested: ${printList(pick(delta))}, used: ${printList(pick(used))}, limited: ${printList(pick(hard))}`,
  );
}

/** Charges each quota (CAS with retry: the check is repeated against whatever is current). */
async function chargeAll(
  tracker: QuotaTracker,
  a: AdmissionAttributes,
  plan: Array<{ q: KObject; delta: Map<string, Qty> }>,
): Promise<Charge[]> {
  const done: Charge[] = [];
  try {
    for (const { q, delta } of plan) {
      if (!delta.size) continue;
      await tracker.writeStatus(a.namespace, q.metadata.name!, (cur) => {
        const over = exceeded(a, cur, delta);
        if (over) throw over;
        return withUsed(cur, (used) => {
          for (const [k, v] of delta) used.set(k, add(used.get(k) ?? ZERO, v));
        });
      });
      done.push({ quota: q.metadata.name!, delta });
    }
  } catch (e) {
    await refund(tracker, a.namespace, done);
    throw e;
  }
  return done;
}

async function refund(tracker: QuotaTracker, namespace: string, charges: Charge[]): Promise<void> {
  for (const c of charges)
    await tracker.writeStatus(namespace, c.quota, (cur) =>
      withUsed(cur, (used) => {
        for (const [k, v] of c.delta) {
          const left = sub(used.get(k) ?? ZERO, v);
          used.set(k, left.milli < 0n ? { ...left, milli: 0n } : left);
        }
      }),
    );
}

function withUsed(cur: KObject, change: (used: Map<string, Qty>) => void) {
  const st = (cur.status ?? {}) as { hard?: Record<string, string>; used?: Record<string, string> };
  const used = usedOf(cur);
  change(used);
  return { ...st, used: Object.fromEntries([...used].map(([k, v]) => [k, format(v)])) };
}
