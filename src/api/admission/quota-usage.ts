// What an object costs against a ResourceQuota (Kubernetes' quota evaluators): which kind each
// quota resource name counts, whether a quota's scopes select an object, and the charge — object
// counts (`pods`, `count/<resource>.<group>`) and a pod's compute (`requests.cpu`, `limits.memory`,
// plain `cpu` = requests). Pods that finished hold no compute and no `pods` slot.
import { pods } from '../resources/pods.js';
import { services } from '../resources/networking.js';
import { storedResources } from '../resources/registry.js';
import type { KObject, ResourceDef } from '../resources/types.js';
import { containersOf, isBestEffort, podIsLive, podList, podSpec, type PodSpec } from './pod-resources.js';
import { qty, type Qty } from './quantity.js';

const ONE: Qty = { milli: 1000n, binary: false };
const NONE: Qty = { milli: 0n, binary: false };

/** Names that count objects of a core kind without the `count/` prefix (legacy quota names). */
const LEGACY_COUNTS = [
  'pods',
  'services',
  'configmaps',
  'secrets',
  'persistentvolumeclaims',
  'replicationcontrollers',
  'resourcequotas',
];
const SERVICE_NAMES = ['services.nodeports', 'services.loadbalancers'];

/** Compute resource names a pod is charged for: `requests.X`, `limits.X`, and bare `cpu`/`memory`/…. */
function computeName(name: string): { which: 'requests' | 'limits'; res: string } | undefined {
  if (name.startsWith('requests.')) return { which: 'requests', res: name.slice('requests.'.length) };
  if (name.startsWith('limits.')) return { which: 'limits', res: name.slice('limits.'.length) };
  if (['cpu', 'memory', 'ephemeral-storage'].includes(name) || name.startsWith('hugepages-'))
    return { which: 'requests', res: name };
  return undefined;
}

/**
 * The kind a quota resource name counts, or undefined when no served kind matches (such a name
 * stays at 0 used: Kubernetes accepts quota names for kinds it does not serve too).
 */
export function kindFor(name: string): ResourceDef | undefined {
  if (computeName(name) && !name.startsWith('requests.storage')) return pods;
  if (SERVICE_NAMES.includes(name)) return services;
  let plural = name;
  let group = '';
  if (name.startsWith('count/')) {
    const rest = name.slice('count/'.length);
    const dot = rest.indexOf('.');
    plural = dot < 0 ? rest : rest.slice(0, dot);
    group = dot < 0 ? '' : rest.slice(dot + 1);
  } else if (!LEGACY_COUNTS.includes(name)) return undefined;
  return storedResources().find(
    (d) => d.plural === plural && d.group === group && d.namespaced && !d.storedAs,
  );
}

/** The charge of one object for one quota resource name (0 when the name is not its kind's). */
export function chargeOf(def: ResourceDef, o: KObject, name: string): Qty {
  if (kindFor(name) !== def) return NONE;
  if (def === pods) {
    if (name === 'count/pods') return ONE;
    if (!podIsLive(o)) return NONE;
    if (name === 'pods') return ONE;
    const c = computeName(name)!;
    return podList(podSpec(o), c.which).get(c.res) ?? NONE;
  }
  if (def === services && SERVICE_NAMES.includes(name)) {
    const s = (o.spec ?? {}) as { type?: string; ports?: unknown[] };
    if (name === 'services.loadbalancers') return s.type === 'LoadBalancer' ? ONE : NONE;
    const n = s.type === 'NodePort' || s.type === 'LoadBalancer' ? (s.ports ?? []).length : 0;
    return { milli: BigInt(n) * 1000n, binary: false };
  }
  return ONE;
}

interface ScopeRequirement {
  scopeName: string;
  operator: string;
  values: string[];
}

/** A quota's scopes and scopeSelector as one list of requirements, all of which must hold. */
function scopesOf(quota: KObject): ScopeRequirement[] {
  const spec = (quota.spec ?? {}) as {
    scopes?: string[];
    scopeSelector?: { matchExpressions?: Array<Partial<ScopeRequirement>> };
  };
  return [
    ...(spec.scopes ?? []).map((scopeName) => ({ scopeName, operator: 'Exists', values: [] })),
    ...(spec.scopeSelector?.matchExpressions ?? []).map((e) => ({
      scopeName: e.scopeName ?? '',
      operator: e.operator ?? 'Exists',
      values: e.values ?? [],
    })),
  ];
}

function scopeHolds(r: ScopeRequirement, s: PodSpec): boolean {
  const terminating = typeof s.activeDeadlineSeconds === 'number' && s.activeDeadlineSeconds >= 0;
  switch (r.scopeName) {
    case 'Terminating':
      return terminating;
    case 'NotTerminating':
      return !terminating;
    case 'BestEffort':
      return isBestEffort(s);
    case 'NotBestEffort':
      return !isBestEffort(s);
    case 'PriorityClass': {
      const pc = s.priorityClassName;
      if (r.operator === 'Exists') return !!pc;
      if (r.operator === 'DoesNotExist') return !pc;
      if (r.operator === 'In') return !!pc && r.values.includes(pc);
      if (r.operator === 'NotIn') return !pc || !r.values.includes(pc);
      return false;
    }
    default:
      return false;
  }
}

/** Whether a quota tracks this object: unscoped quotas track everything; scopes select pods only. */
export function quotaMatches(quota: KObject, def: ResourceDef, o: KObject): boolean {
  const scopes = scopesOf(quota);
  if (!scopes.length) return true;
  if (def !== pods) return false;
  return scopes.every((r) => scopeHolds(r, podSpec(o)));
}

/** The quota's hard limits, as enforced: status.hard once synced, else spec.hard. */
export function hardOf(quota: KObject, from: 'spec' | 'status'): Map<string, Qty> {
  const src = ((quota[from] ?? {}) as { hard?: Record<string, unknown> }).hard ?? {};
  const out = new Map<string, Qty>();
  for (const [k, v] of Object.entries(src)) out.set(k, qty(v, `${from}.hard.${k}`));
  return out;
}

export function usedOf(quota: KObject): Map<string, Qty> {
  const src = ((quota.status ?? {}) as { used?: Record<string, unknown> }).used ?? {};
  const out = new Map<string, Qty>();
  for (const [k, v] of Object.entries(src)) out.set(k, qty(v, `status.used.${k}`));
  return out;
}

const LIMIT_NAMES = ['requests.cpu', 'requests.memory', 'limits.cpu', 'limits.memory', 'cpu', 'memory'];

/**
 * The pod evaluator's Constraints: when a quota limits cpu or memory, every container must say
 * how much it needs. Returns upstream's text, or undefined when the pod complies.
 */
export function missingLimits(o: KObject, hard: Iterable<string>): string | undefined {
  const required = [...hard].filter((n) => LIMIT_NAMES.includes(n));
  if (!required.length) return undefined;
  const missing = new Map<string, Set<string>>();
  // Regular containers, then init containers, as upstream walks them.
  const all = containersOf(podSpec(o)).sort((x, y) => Number(x.init) - Number(y.init));
  for (const { c } of all) {
    const req = (c.resources?.requests ?? {}) as Record<string, unknown>;
    const lim = (c.resources?.limits ?? {}) as Record<string, unknown>;
    const has = new Set<string>();
    for (const r of ['cpu', 'memory']) {
      if (req[r] !== undefined) has.add(r).add(`requests.${r}`);
      if (lim[r] !== undefined) has.add(`limits.${r}`);
    }
    for (const n of required)
      if (!has.has(n)) (missing.get(n) ?? missing.set(n, new Set()).get(n)!).add(c.name ?? '');
  }
  if (!missing.size) return undefined;
  return `must specify ${[...missing.keys()]
    .sort()
    .map((n) => `${n} for: ${[...missing.get(n)!].sort().join(',')}`)
    .join('; ')}`;
}
