// LimitRanger (plugin/pkg/admission/limitranger): the namespace's LimitRanges fill in container
// requests and limits a pod leaves out (type Container: default, defaultRequest), then hold every
// container and the pod as a whole to min, max and maxLimitRequestRatio, with Kubernetes' words.
import { forbidden } from '../errors.js';
import { Store } from '../registry/store.js';
import { pods } from '../resources/pods.js';
import { limitranges } from '../resources/policy.js';
import type { KObject } from '../resources/types.js';
import type { Storage } from '../storage/types.js';
import { containerList, containersOf, podList, podSpec, type Container } from './pod-resources.js';
import { cmp, format, qtyMap, type Qty } from './quantity.js';
import { admitAll, type Admission } from './types.js';

interface LimitItem {
  type?: string;
  max?: Record<string, unknown>;
  min?: Record<string, unknown>;
  default?: Record<string, unknown>;
  defaultRequest?: Record<string, unknown>;
  maxLimitRequestRatio?: Record<string, unknown>;
}
const itemsOf = (lr: KObject) => ((lr.spec ?? {}) as { limits?: LimitItem[] }).limits ?? [];

const LIMIT_RANGER_ANNOTATION = 'kubernetes.io/limit-ranger';

export function limitRanger(storage: Storage): Admission {
  const store = new Store(storage, limitranges, admitAll);
  return async (a) => {
    // Pod containers cannot change after creation, so updates need no second look (as upstream).
    if (a.def !== pods || a.operation !== 'CREATE' || a.subresource || !a.obj) return;
    const ranges = (await store.list({ namespace: a.namespace })).items;
    if (!ranges.length) return;
    applyDefaults(a.obj, ranges);
    const errs = ranges.flatMap((lr) => podLimitErrors(a.obj!, lr));
    if (errs.length)
      throw forbidden(
        { group: '', plural: 'pods' },
        a.name,
        errs.length === 1 ? errs[0]! : `[${errs.join(', ')}]`,
      );
  };
}

/** Fills missing container requests/limits from every type-Container item, noting what it set. */
function applyDefaults(pod: KObject, ranges: KObject[]): void {
  const limits: Record<string, unknown> = {};
  const requests: Record<string, unknown> = {};
  for (const lr of ranges)
    for (const it of itemsOf(lr)) {
      if (it.type !== 'Container') continue;
      Object.assign(requests, it.defaultRequest ?? {});
      Object.assign(limits, it.default ?? {});
    }
  const notes: string[] = [];
  for (const { c, init } of containersOf(podSpec(pod))) {
    const set = merge(c, limits, requests);
    const who = `${init ? 'init container' : 'container'} ${c.name ?? ''}`;
    if (set.requests.length) notes.push(`${set.requests.sort().join(', ')} request for ${who}`);
    if (set.limits.length) notes.push(`${set.limits.sort().join(', ')} limit for ${who}`);
  }
  if (notes.length)
    (pod.metadata.annotations ??= {})[LIMIT_RANGER_ANNOTATION] =
      `LimitRanger plugin set: ${notes.join('; ')}`;
}

function merge(
  c: Container,
  limits: Record<string, unknown>,
  requests: Record<string, unknown>,
): { limits: string[]; requests: string[] } {
  const r = (c.resources ??= {});
  const out = { limits: [] as string[], requests: [] as string[] };
  for (const [k, v] of Object.entries(limits)) {
    r.limits ??= {};
    if (r.limits[k] === undefined) {
      r.limits[k] = v;
      out.limits.push(k);
    }
  }
  for (const [k, v] of Object.entries(requests)) {
    r.requests ??= {};
    if (r.requests[k] === undefined) {
      r.requests[k] = v;
      out.requests.push(k);
    }
  }
  if (r.limits && !Object.keys(r.limits).length) delete r.limits;
  if (r.requests && !Object.keys(r.requests).length) delete r.requests;
  return out;
}

/** Every violation of one LimitRange by the pod, in upstream's order and words. */
function podLimitErrors(pod: KObject, lr: KObject): string[] {
  const errs: string[] = [];
  const s = podSpec(pod);
  itemsOf(lr).forEach((it, i) => {
    const field = `limitranges "${lr.metadata.name}": spec.limits[${i}]`;
    if (it.type === 'Container') {
      // Regular containers first, then init containers, as upstream reports them.
      const all = containersOf(s).sort((x, y) => Number(x.init) - Number(y.init));
      for (const { c, path } of all)
        errs.push(
          ...itemErrors(
            it,
            'Container',
            field,
            containerList(c, path, 'requests'),
            containerList(c, path, 'limits'),
          ),
        );
    } else if (it.type === 'Pod') {
      errs.push(...itemErrors(it, 'Pod', field, podList(s, 'requests'), podList(s, 'limits')));
    }
  });
  return errs;
}

function itemErrors(
  it: LimitItem,
  type: string,
  field: string,
  req: Map<string, Qty>,
  lim: Map<string, Qty>,
): string[] {
  const errs: string[] = [];
  for (const [k, min] of qtyMap(it.min, `${field}.min`)) {
    const r = req.get(k);
    const l = lim.get(k);
    const m = format(min);
    if (!r) errs.push(`minimum ${k} usage per ${type} is ${m}.  No request is specified`);
    else if (cmp(r, min) < 0)
      errs.push(`minimum ${k} usage per ${type} is ${m}, but request is ${format(r)}`);
    else if (l && cmp(l, min) < 0)
      errs.push(`minimum ${k} usage per ${type} is ${m}, but limit is ${format(l)}`);
  }
  for (const [k, max] of qtyMap(it.max, `${field}.max`)) {
    const r = req.get(k);
    const l = lim.get(k);
    const m = format(max);
    if (!l) errs.push(`maximum ${k} usage per ${type} is ${m}.  No limit is specified`);
    else if (cmp(l, max) > 0) errs.push(`maximum ${k} usage per ${type} is ${m}, but limit is ${format(l)}`);
    else if (r && cmp(r, max) > 0)
      errs.push(`maximum ${k} usage per ${type} is ${m}, but request is ${format(r)}`);
  }
  for (const [k, ratio] of qtyMap(it.maxLimitRequestRatio, `${field}.maxLimitRequestRatio`)) {
    const r = req.get(k);
    const l = lim.get(k);
    const m = format(ratio);
    if (!r || r.milli === 0n)
      errs.push(
        `${k} max limit to request ratio per ${type} is ${m}, but no request is specified or request is 0`,
      );
    else if (!l || l.milli === 0n)
      errs.push(
        `${k} max limit to request ratio per ${type} is ${m}, but no limit is specified or limit is 0`,
      );
    else if (l.milli * 1000n > ratio.milli * r.milli) {
      // Upstream prints the observed ratio with Go's %f.
      const observed = (Number(l.milli) / Number(r.milli)).toFixed(6);
      errs.push(`${k} max limit to request ratio per ${type} is ${m}, but provided ratio is ${observed}`);
    }
  }
  return errs;
}
