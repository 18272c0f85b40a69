// A pod's containers and the resources they ask for, as the admission plugins read them: the
// pod-level sums LimitRange (type Pod) and ResourceQuota charge, and the QoS class quota scopes
// select on.
import type { KObject } from '../resources/types.js';
import { add, max, qtyMap, ZERO, type Qty } from './quantity.js';

interface ContainerResources {
  limits?: Record<string, unknown>;
  requests?: Record<string, unknown>;
}
export interface Container {
  name?: string;
  resources?: ContainerResources;
  securityContext?: Record<string, unknown>;
  ports?: Array<{ hostPort?: number }>;
  [k: string]: unknown;
}
export interface PodSpec {
  containers?: Container[];
  initContainers?: Container[];
  ephemeralContainers?: Container[];
  overhead?: Record<string, unknown>;
  activeDeadlineSeconds?: number;
  priorityClassName?: string;
  [k: string]: unknown;
}

export const podSpec = (o: KObject): PodSpec => (o.spec ?? {}) as PodSpec;

/** Where each container sits, for messages: `spec.containers[0]`. */
export function containersOf(
  s: PodSpec,
  withEphemeral = false,
): Array<{ c: Container; path: string; init: boolean }> {
  const out: Array<{ c: Container; path: string; init: boolean }> = [];
  (s.initContainers ?? []).forEach((c, i) => out.push({ c, path: `spec.initContainers[${i}]`, init: true }));
  (s.containers ?? []).forEach((c, i) => out.push({ c, path: `spec.containers[${i}]`, init: false }));
  if (withEphemeral)
    (s.ephemeralContainers ?? []).forEach((c, i) =>
      out.push({ c, path: `spec.ephemeralContainers[${i}]`, init: false }),
    );
  return out;
}

export function containerList(c: Container, path: string, which: 'limits' | 'requests'): Map<string, Qty> {
  return qtyMap(c.resources?.[which], `${path}.resources.${which}`);
}

/**
 * The pod's effective requests or limits (resourcehelper.PodRequests): the sum over regular
 * containers, raised to any single init container's value (they run one at a time), plus
 * spec.overhead. Only resources some container names appear.
 */
export function podList(s: PodSpec, which: 'limits' | 'requests'): Map<string, Qty> {
  const sum = new Map<string, Qty>();
  for (const { c, path, init } of containersOf(s)) {
    if (init) continue;
    for (const [k, v] of containerList(c, path, which)) sum.set(k, add(sum.get(k) ?? ZERO, v));
  }
  for (const { c, path, init } of containersOf(s)) {
    if (!init) continue;
    for (const [k, v] of containerList(c, path, which)) sum.set(k, max(sum.get(k) ?? ZERO, v));
  }
  for (const [k, v] of qtyMap(s.overhead, 'spec.overhead')) if (sum.has(k)) sum.set(k, add(sum.get(k)!, v));
  return sum;
}

/** BestEffort when no container requests or limits cpu or memory (qos.GetPodQOS). */
export function isBestEffort(s: PodSpec): boolean {
  return containersOf(s).every(({ c }) =>
    ['limits', 'requests'].every((w) => {
      const m = (c.resources?.[w as 'limits' | 'requests'] ?? {}) as Record<string, unknown>;
      return m.cpu === undefined && m.memory === undefined;
    }),
  );
}

/** Succeeded and Failed pods hold no compute resources (quota's QuotaV1Pod). */
export function podIsLive(o: KObject, now = Date.now()): boolean {
  const phase = ((o.status ?? {}) as { phase?: string }).phase;
  if (phase === 'Succeeded' || phase === 'Failed') return false;
  const m = o.metadata;
  // A pod stuck terminating past its grace period (a lost node) stops counting.
  if (m.deletionTimestamp && m.deletionGracePeriodSeconds !== undefined) {
    const end = Date.parse(m.deletionTimestamp) + m.deletionGracePeriodSeconds * 1000;
    if (now > end) return false;
  }
  return true;
}
