// Server-side apply (`application/apply-patch+yaml`), after structured-merge-diff's Updater.Apply:
// merge the applied configuration into the live object, make the applier own exactly the fields
// it applied, remove fields it applied last time but no longer does (unless another manager owns
// them), and refuse to change fields other managers own unless `force`.
import { badRequest } from './errors.js';
import { clone, deepEqual, isObject, type Json, type JsonObject } from './json-util.js';
import {
  compare,
  difference,
  filterIgnored,
  flatten,
  hasDescendant,
  intersection,
  itemKey,
  splitPath,
  union,
} from './fieldset.js';
import {
  conflictError,
  managerId,
  readManagers,
  stamp,
  writeManagers,
  type Manager,
} from './managed-fields.js';
import { listMeta } from './schema.js';

export interface ApplyOptions {
  kind: string;
  apiVersion: string;
  manager: string;
  force?: boolean;
  subresource?: string;
  now?: Date;
}

/** Applies `config` to `live` (`{}` when the object does not exist yet); throws PatchError 409 on conflicts. */
export function serverSideApply(live: JsonObject, config: Json, opts: ApplyOptions): JsonObject {
  if (!isObject(config)) throw badRequest('apply patch must be an object');
  if (config.apiVersion !== opts.apiVersion)
    throw badRequest(
      `Incorrect version specified in apply patch. Specified patch version: ${String(config.apiVersion ?? '')}, expected: ${opts.apiVersion}`,
    );
  if (config.kind !== opts.kind)
    throw badRequest(
      `Incorrect kind specified in apply patch. Specified patch kind: ${String(config.kind ?? '')}, expected: ${opts.kind}`,
    );
  if (isObject(config.metadata) && config.metadata.managedFields != null)
    throw badRequest('metadata.managedFields must be nil');
  const kind = opts.kind;
  const managers = readManagers(live);
  const me: Manager = {
    manager: opts.manager,
    operation: 'Apply',
    apiVersion: opts.apiVersion,
    set: new Set(),
  };
  if (opts.subresource) me.subresource = opts.subresource;
  const id = managerId(me);
  const lastSet = managers.get(id)?.set ?? new Set<string>();
  const newSet = filterIgnored(flatten(config, kind).keys(), opts.subresource);

  const merged = mergeValue(live, config, kind, []) as JsonObject;

  // Prune: fields this manager applied before, no longer applies, and nobody else owns.
  const owned = union(newSet, ...[...managers].filter(([k]) => k !== id).map(([, m]) => m.set));
  const toRemove = [...difference(lastSet, owned)].filter((p) => !hasDescendant(owned, p));
  toRemove.sort((a, b) => b.length - a.length);
  for (const p of toRemove) removePath(merged, splitPath(p), kind);

  // Conflicts: other managers' fields this apply adds or changes.
  const c = compare(live, merged, kind, opts.subresource);
  const changed = union(c.added, c.modified);
  const conflicts: Array<{ manager: Manager; paths: string[] }> = [];
  for (const [k, m] of managers) {
    if (k === id) continue;
    const clash = intersection(m.set, changed);
    if (clash.size > 0) conflicts.push({ manager: m, paths: [...clash].sort() });
  }
  if (conflicts.length > 0 && opts.force !== true) throw conflictError(conflicts);
  for (const [k, m] of managers) if (k !== id) m.set = difference(difference(m.set, changed), c.removed);
  me.set = newSet;
  const previous = managers.get(id);
  if (
    previous?.time !== undefined &&
    deepEqual([...previous.set].sort(), [...newSet].sort()) &&
    changed.size === 0
  )
    me.time = previous.time;
  else stamp(me, opts.now);
  managers.set(id, me);
  return writeManagers(merged, managers);
}

/** structured-merge-diff's merge: maps merge, associative/set lists merge by key, the rest replaces. */
function mergeValue(lhs: Json | undefined, rhs: Json, kind: string, names: string[]): Json {
  if (isObject(rhs)) {
    const out: JsonObject = isObject(lhs) ? clone(lhs) : {};
    for (const [k, v] of Object.entries(rhs)) {
      if (v === null) delete out[k];
      else out[k] = mergeValue(out[k], v, kind, [...names, k]);
    }
    return out;
  }
  if (Array.isArray(rhs)) {
    const meta = listMeta(kind, names);
    if (meta.listType === 'atomic' || !Array.isArray(lhs)) return dropNulls(clone(rhs));
    const keyOf =
      meta.listType === 'set'
        ? (x: Json) => JSON.stringify(x)
        : (x: Json) => itemKey(kind, names, x, meta.keys ?? []);
    return mergeLists(lhs, rhs, keyOf, (l, r) =>
      meta.listType === 'set' ? r : mergeValue(l, r, kind, names),
    );
  }
  return rhs;
}

function dropNulls(v: Json): Json {
  if (Array.isArray(v)) return v.map(dropNulls);
  if (!isObject(v)) return v;
  const out: JsonObject = {};
  for (const [k, x] of Object.entries(v)) if (x !== null) out[k] = dropNulls(x);
  return out;
}

/**
 * Merges keyed lists keeping structured-merge-diff's order: live-only items stay where they are,
 * items in both follow the applied order, applied-only items are placed where the config puts them.
 */
function mergeLists(
  lhs: Json[],
  rhs: Json[],
  keyOf: (x: Json) => string,
  merge: (l: Json, r: Json) => Json,
): Json[] {
  const lKeys = lhs.map(keyOf);
  const rKeys = rhs.map(keyOf);
  const lByKey = new Map(lKeys.map((k, i) => [k, lhs[i]!]));
  const rByKey = new Map(rKeys.map((k, i) => [k, rhs[i]!]));
  const shared = rKeys.filter((k) => lByKey.has(k));
  let nextShared = 0;
  const done = new Set<string>();
  const out: Json[] = [];
  let li = 0;
  let ri = 0;
  while (li < lKeys.length || ri < rKeys.length) {
    if (li < lKeys.length && ri < rKeys.length) {
      const lk = lKeys[li]!;
      if (lk === rKeys[ri]) {
        out.push(merge(lByKey.get(lk)!, rByKey.get(lk)!));
        done.add(lk);
        li++;
        ri++;
        if (shared[nextShared] === lk) nextShared++;
        continue;
      }
      if (rByKey.has(lk) && nextShared < shared.length && shared[nextShared] !== lk) {
        li++; // a shared item, but not the one due now: it is emitted at its applied position
        continue;
      }
    }
    if (li < lKeys.length) {
      const lk = lKeys[li]!;
      if (!rByKey.has(lk)) {
        out.push(lhs[li]!);
        li++;
        continue;
      }
      if (done.has(lk)) {
        li++;
        continue;
      }
    }
    if (ri < rKeys.length) {
      const rk = rKeys[ri]!;
      if (!done.has(rk)) {
        out.push(lByKey.has(rk) ? merge(lByKey.get(rk)!, rByKey.get(rk)!) : merge(null, rByKey.get(rk)!));
        done.add(rk);
      }
      ri++;
      if (shared[nextShared] === rk) nextShared++;
    }
  }
  return out;
}

/** Removes one field-set path from the object; removing leaves also drops maps it leaves empty. */
function removePath(obj: JsonObject, pes: string[], kind: string): void {
  const chain: Array<{ parent: JsonObject | Json[]; at: string | number }> = [];
  let cur: Json = obj;
  const names: string[] = [];
  for (const pe of pes) {
    const body = pe.slice(2);
    if (pe.startsWith('f:')) {
      if (!isObject(cur) || !(body in cur)) return;
      chain.push({ parent: cur, at: body });
      names.push(body);
      cur = cur[body]!;
    } else {
      if (!Array.isArray(cur)) return;
      const meta = listMeta(kind, names);
      const i: number = pe.startsWith('i:')
        ? Number(body)
        : cur.findIndex((x) =>
            pe.startsWith('v:')
              ? JSON.stringify(x) === body
              : isObject(x) && itemKey(kind, names, x, meta.keys ?? []) === pe,
          );
      if (i < 0 || i >= cur.length) return;
      chain.push({ parent: cur, at: i });
      cur = cur[i]!;
    }
  }
  for (let n = chain.length - 1; n >= 0; n--) {
    const { parent, at } = chain[n]!;
    if (Array.isArray(parent)) parent.splice(at as number, 1);
    else delete parent[at as string];
    // Go's omitempty drops maps a removal leaves empty; stop at the first non-empty container.
    if (n === 0 || !isObject(parent) || Object.keys(parent).length > 0) break;
  }
}
