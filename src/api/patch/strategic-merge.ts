// Strategic merge patch (`application/strategic-merge-patch+json`), following apimachinery's
// strategicpatch.StrategicMergePatch as the API server applies it: maps merge, `null` deletes,
// lists merge by their patchMergeKey (schema.ts) or are replaced, and the directives `$patch`
// (replace|delete|merge), `$setElementOrder/<list>`, `$deleteFromPrimitiveList/<list>` and
// `$retainKeys` are honoured. Element order follows Kubernetes' normalizeElementOrder.
import { badRequest, invalid } from './errors.js';
import { clone, deepEqual, isObject, type Json, type JsonObject } from './json-util.js';
import { listMeta } from './schema.js';

const SET_ORDER = '$setElementOrder/';
const DELETE_PRIMITIVE = '$deleteFromPrimitiveList/';

export function applyStrategicMergePatch(original: JsonObject, patch: Json, kind: string): JsonObject {
  if (!isObject(patch)) throw badRequest('strategic merge patch must be a JSON object');
  return new Merger(kind).mergeMap(clone(original), clone(patch), []);
}

class Merger {
  constructor(private readonly kind: string) {}

  mergeMap(original: JsonObject, patch: JsonObject, path: string[]): JsonObject {
    const directive = patch.$patch;
    if (directive !== undefined) {
      if (directive === 'replace') {
        const { $patch: _, ...rest } = patch;
        return this.mergeMap({}, rest, path);
      }
      if (directive === 'delete') return {};
      if (directive !== 'merge')
        throw badRequest(`unknown patch type: ${JSON.stringify(directive)} in map at ${show(path)}`);
      delete patch.$patch;
    }
    const retain = patch.$retainKeys;
    if (retain !== undefined) {
      if (!Array.isArray(retain))
        throw badRequest(`$retainKeys at ${show(path)} must be a list of field names`);
      for (const k of Object.keys(original)) if (!retain.includes(k)) delete original[k];
      delete patch.$retainKeys;
    }
    this.applySetElementOrder(original, patch, path);
    for (const [key, pv] of Object.entries(patch)) {
      if (key.startsWith(DELETE_PRIMITIVE)) {
        const k = key.slice(DELETE_PRIMITIVE.length);
        const ov = original[k];
        if (!Array.isArray(pv)) throw badRequest(`${key} at ${show(path)} must be a list`);
        if (Array.isArray(ov)) original[k] = ov.filter((x) => !pv.some((d) => deepEqual(d, x)));
        continue;
      }
      if (key.startsWith('$')) throw badRequest(`unknown directive ${key} at ${show(path)}`);
      if (pv === null) {
        delete original[key];
        continue;
      }
      const ov = original[key];
      const sub = [...path, key];
      if (isObject(ov) && isObject(pv)) original[key] = this.mergeMap(ov, pv, sub);
      else if (Array.isArray(ov) && Array.isArray(pv)) original[key] = this.mergeList(ov, pv, sub);
      else original[key] = this.fresh(pv, sub);
    }
    return original;
  }

  /** A patch value with no counterpart in the original: drop its nulls and directives. */
  private fresh(v: Json, path: string[]): Json {
    if (isObject(v)) return this.mergeMap({}, v, path);
    if (Array.isArray(v)) return this.mergeList([], v, path);
    return v;
  }

  private applySetElementOrder(original: JsonObject, patch: JsonObject, path: string[]): void {
    for (const key of Object.keys(patch)) {
      if (!key.startsWith(SET_ORDER)) continue;
      const order = patch[key];
      delete patch[key];
      const k = key.slice(SET_ORDER.length);
      const sub = [...path, k];
      const meta = listMeta(this.kind, sub);
      if (!Array.isArray(order)) throw badRequest(`${key} at ${show(path)} must be a list`);
      if (meta.strategy !== 'merge') continue; // only merging lists carry an order directive
      const pv = patch[k];
      if (pv === null) continue; // the list is being deleted
      if (pv !== undefined && !Array.isArray(pv)) throw badRequest(`${k} at ${show(path)} must be a list`);
      const ov = Array.isArray(original[k]) ? (original[k] as Json[]) : [];
      const pl = pv ?? [];
      delete patch[k];
      if (ov.length === 0 && pl.length === 0) continue;
      const merged = this.mergeList(ov, pl, sub);
      const mk = meta.mergeKey;
      const inOrder = merged.filter((x) => index(order, x, mk) >= 0);
      const serverOnly = merged.filter((x) => index(order, x, mk) < 0);
      original[k] = normalizeElementOrder(inOrder, serverOnly, order, ov, mk);
    }
  }

  mergeList(original: Json[], patch: Json[], path: string[]): Json[] {
    const meta = listMeta(this.kind, path);
    if (meta.strategy !== 'merge') return patch.map((x) => this.fresh(x, path));
    if (original.length === 0 && patch.length === 0) return original;
    const mk = meta.mergeKey;
    const scalars = patch.concat(original).every((x) => !isObject(x));
    if (scalars || mk === undefined) {
      if (!scalars) throw invalid(`cannot merge lists without merge key for ${show(path)}`);
      const merged: Json[] = [];
      for (const x of [...original, ...patch]) if (!merged.some((m) => deepEqual(m, x))) merged.push(x);
      const [inPatch, serverOnly] = partition(merged, patch, undefined);
      return normalizeElementOrder(inPatch, serverOnly, patch, original, undefined);
    }
    // Elements carrying `$patch` act on the list instead of being merged into it.
    let base = original.slice();
    const plain: JsonObject[] = [];
    let replace = false;
    for (const item of patch) {
      if (!isObject(item)) throw invalid(`list ${show(path)} mixes objects and scalars`);
      const d = item.$patch;
      if (d === undefined) {
        plain.push(item);
      } else if (d === 'delete') {
        if (!(mk in item))
          throw invalid(`map: ${JSON.stringify(item)} does not contain declared merge key: ${mk}`);
        base = base.filter((o) => !(isObject(o) && deepEqual(o[mk], item[mk])));
      } else if (d === 'replace') {
        replace = true;
      } else if (d === 'merge') {
        throw badRequest('merging lists cannot yet be specified in the patch');
      } else {
        throw badRequest(`unknown patch type: ${JSON.stringify(d)} in list ${show(path)}`);
      }
    }
    if (replace) return plain.map((x) => this.mergeMap({}, x, path));
    const merged = base.slice();
    for (const item of plain) {
      if (!(mk in item))
        throw invalid(`map: ${JSON.stringify(item)} does not contain declared merge key: ${mk}`);
      const i = merged.findIndex((o) => isObject(o) && deepEqual(o[mk], item[mk]));
      if (i >= 0) merged[i] = this.mergeMap(merged[i] as JsonObject, item, path);
      else merged.push(this.mergeMap({}, item, path));
    }
    const [inPatch, serverOnly] = partition(merged, plain, mk);
    return normalizeElementOrder(inPatch, serverOnly, plain, original, mk);
  }
}

function show(path: string[]): string {
  return path.length === 0 ? '<root>' : path.join('.');
}

function index(list: readonly Json[], item: Json, mk: string | undefined): number {
  if (mk === undefined) return list.findIndex((x) => deepEqual(x, item));
  if (!isObject(item)) return -1;
  return list.findIndex((x) => isObject(x) && deepEqual(x[mk], item[mk]));
}

function partition(merged: Json[], patch: readonly Json[], mk: string | undefined): [Json[], Json[]] {
  const inPatch: Json[] = [];
  const serverOnly: Json[] = [];
  for (const x of merged) (index(patch, x, mk) >= 0 ? inPatch : serverOnly).push(x);
  return [inPatch, serverOnly];
}

/** Sorts `items` by their position in `order`; items not in `order` keep their relative place at the end. */
function sortBy(items: Json[], order: readonly Json[], mk: string | undefined): Json[] {
  return items
    .map((x, i) => ({ x, i, o: index(order, x, mk) }))
    .sort((a, b) => (a.o < 0 || b.o < 0 ? (a.o < 0 ? (b.o < 0 ? a.i - b.i : 1) : -1) : a.o - b.o))
    .map((e) => e.x);
}

/**
 * Kubernetes' element order: patch items in patch order, server-only items in live order, and a
 * server-only item goes before a patch item only when both are in the live list in that order.
 */
function normalizeElementOrder(
  patchItems: Json[],
  serverOnly: Json[],
  patchOrder: readonly Json[],
  serverOrder: readonly Json[],
  mk: string | undefined,
): Json[] {
  const right = sortBy(patchItems, patchOrder, mk);
  const left = sortBy(serverOnly, serverOrder, mk);
  const out: Json[] = [];
  let i = 0;
  let j = 0;
  while (i < left.length || j < right.length) {
    if (i >= left.length) out.push(right[j++]!);
    else if (j >= right.length) out.push(left[i++]!);
    else {
      const li = index(serverOrder, left[i]!, mk);
      const ri = index(serverOrder, right[j]!, mk);
      if (li >= 0 && ri >= 0 && li < ri) out.push(left[i++]!);
      else out.push(right[j++]!);
    }
  }
  return out;
}
