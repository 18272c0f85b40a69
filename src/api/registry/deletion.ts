// Graceful deletion: what a DELETE does to an object that cannot go at once (finalizers,
// propagation policy, a pod's grace period, a namespace's content), and when it finally goes.
import { namespaces } from '../resources/namespaces.js';
import type { KObject, ResourceDef } from '../resources/types.js';
import { timestamp } from './object.js';
import type { DeleteOptions } from './options.js';

/** A deleting object goes once no finalizer and no grace period holds it any longer. */
export function readyToRemove(def: ResourceDef, o: KObject): boolean {
  const m = o.metadata;
  if (!m.deletionTimestamp || (m.finalizers ?? []).length) return false;
  if (def === namespaces && ((o.spec as { finalizers?: string[] } | undefined)?.finalizers ?? []).length)
    return false;
  return !m.deletionGracePeriodSeconds;
}

/** The object with deletionTimestamp set when something must still happen first, else undefined. */
export function markDeleting(def: ResourceDef, cur: KObject, opts: DeleteOptions): KObject | undefined {
  const next = structuredClone(cur);
  const m = next.metadata;
  const policy =
    opts.propagationPolicy ??
    (opts.orphanDependents ? 'Orphan' : opts.orphanDependents === false ? 'Background' : undefined);
  const finalizers = new Set(m.finalizers ?? []);
  if (policy === 'Orphan') finalizers.add('orphan');
  if (policy === 'Foreground') finalizers.add('foregroundDeletion');
  if (policy === 'Background') finalizers.delete('foregroundDeletion');
  const grace = def.strategy.gracefulDelete?.(cur, opts.gracePeriodSeconds) ?? 0;
  const nsPending =
    def === namespaces && ((cur.spec as { finalizers?: string[] } | undefined)?.finalizers ?? []).length > 0;
  if (!finalizers.size && grace === 0 && !nsPending && !m.deletionTimestamp) return undefined;
  if (m.deletionTimestamp && !finalizers.size && !nsPending && grace === 0) return undefined;
  if (finalizers.size) m.finalizers = [...finalizers];
  const deadline = timestamp(new Date(Date.now() + grace * 1000));
  if (!m.deletionTimestamp || deadline < m.deletionTimestamp) {
    m.deletionTimestamp = deadline;
    m.deletionGracePeriodSeconds = grace;
  }
  if (def === namespaces) next.status = { ...((next.status ?? {}) as object), phase: 'Terminating' };
  return next;
}
