// Field sets for server-side apply, modelled on structured-merge-diff: a set of paths, each path a
// list of FieldsV1 path elements — `f:<field>`, `k:<json of the list-map keys>`, `v:<json value>`
// (set items), `i:<index>`. Members are scalars, nulls, empty objects, atomic lists and the items of
// associative and set lists. Paths are stored joined by NUL so JS Sets do the set algebra.
import { invalid } from './errors.js';
import { deepEqual, isObject, type Json, type JsonObject } from './json-util.js';
import { listMeta } from './schema.js';

export type FieldSet = Set<string>;
const SEP = '\u0000';
/** Marks list items and other inner members whose own value is not compared. */
export const INNER = Symbol('inner');
export type Leaf = Json | typeof INNER;

export function itemKey(kind: string, fieldPath: string[], item: Json, keys: string[]): string {
  if (!isObject(item)) throw invalid(`.${fieldPath.join('.')}: associative list items must be objects`);
  const k: JsonObject = {};
  for (const name of [...keys].sort()) {
    let v = item[name];
    // Kubernetes defaults `protocol` to TCP before keys are compared.
    if (v === undefined && name === 'protocol') v = 'TCP';
    if (v === undefined || v === null)
      throw invalid(
        `.${fieldPath.join('.')}: associative list with keys has an element that omits key field "${name}" (kind ${kind})`,
      );
    k[name] = v;
  }
  return `k:${JSON.stringify(k)}`;
}

/** Every member path of `obj` with its leaf value (INNER for list items, which are not compared). */
export function flatten(obj: Json, kind: string): Map<string, Leaf> {
  const out = new Map<string, Leaf>();
  // Paths are built as joined strings and the field names kept on one stack: every write
  // flattens the old and the new object, and per-member arrays were most of its cost.
  const names: string[] = [];
  const walkMap = (m: JsonObject, key: string) => {
    for (const k of Object.keys(m)) {
      names.push(k);
      walk(m[k]!, key === '' ? `f:${k}` : `${key}${SEP}f:${k}`);
      names.pop();
    }
  };
  const walk = (v: Json, key: string) => {
    if (isObject(v)) {
      if (Object.keys(v).length === 0) out.set(key, v);
      else walkMap(v, key);
    } else if (Array.isArray(v)) {
      const meta = listMeta(kind, names);
      if (meta.listType === 'atomic') {
        out.set(key, v);
      } else if (meta.listType === 'set') {
        for (const x of v) out.set(`${key}${SEP}v:${JSON.stringify(x)}`, INNER);
      } else {
        for (const x of v) {
          const pe = itemKey(kind, names, x, meta.keys ?? []);
          const ikey = `${key}${SEP}${pe}`;
          if (out.has(ikey)) throw invalid(`.${names.join('.')}: duplicate entries for key ${pe.slice(2)}`);
          walk(x, ikey);
          out.set(ikey, INNER);
        }
      }
    } else {
      out.set(key, v);
    }
  };
  if (isObject(obj)) walkMap(obj, '');
  return out;
}

/** Fields the API server never tracks in managedFields (fieldmanager's stripMeta plus status). */
const IGNORED_TOP = new Set(['f:apiVersion', 'f:kind']);
const IGNORED_META = new Set([
  'f:name',
  'f:namespace',
  'f:uid',
  'f:resourceVersion',
  'f:generation',
  'f:creationTimestamp',
  'f:deletionTimestamp',
  'f:deletionGracePeriodSeconds',
  'f:selfLink',
  'f:managedFields',
]);

/** Drops ignored paths; on the main resource `status` is ignored, on the status subresource all but status. */
export function filterIgnored(paths: Iterable<string>, subresource = ''): FieldSet {
  const out: FieldSet = new Set();
  const status = subresource === 'status';
  for (const p of paths) {
    const i = p.indexOf(SEP);
    const head = i < 0 ? p : p.slice(0, i);
    if (IGNORED_TOP.has(head)) continue;
    if (head === 'f:metadata' && i >= 0) {
      const j = p.indexOf(SEP, i + 1);
      if (IGNORED_META.has(j < 0 ? p.slice(i + 1) : p.slice(i + 1, j))) continue;
    }
    if (status !== (head === 'f:status')) continue;
    out.add(p);
  }
  return out;
}

export interface Comparison {
  added: FieldSet;
  modified: FieldSet;
  removed: FieldSet;
}

export function compare(oldObj: Json, newObj: Json, kind: string, subresource = ''): Comparison {
  const a = flatten(oldObj, kind);
  const b = flatten(newObj, kind);
  const added: FieldSet = new Set();
  const modified: FieldSet = new Set();
  const removed: FieldSet = new Set();
  for (const [k, v] of b) {
    if (!a.has(k)) added.add(k);
    else if (v !== INNER && !deepEqual(a.get(k), v)) modified.add(k);
  }
  for (const k of a.keys()) if (!b.has(k)) removed.add(k);
  return {
    added: filterIgnored(added, subresource),
    modified: filterIgnored(modified, subresource),
    removed: filterIgnored(removed, subresource),
  };
}

export function union(...sets: FieldSet[]): FieldSet {
  const out: FieldSet = new Set();
  for (const s of sets) for (const p of s) out.add(p);
  return out;
}

export function difference(a: FieldSet, b: FieldSet): FieldSet {
  return new Set([...a].filter((p) => !b.has(p)));
}

export function intersection(a: FieldSet, b: FieldSet): FieldSet {
  return new Set([...a].filter((p) => b.has(p)));
}

export function hasDescendant(set: FieldSet, path: string): boolean {
  const prefix = path + SEP;
  for (const p of set) if (p.startsWith(prefix)) return true;
  return false;
}

export function splitPath(path: string): string[] {
  return path.split(SEP);
}

/** `.spec.containers[name="web"].image`, as structured-merge-diff prints paths. */
export function pathString(path: string): string {
  return splitPath(path)
    .map((pe) => {
      const body = pe.slice(2);
      switch (pe[0]) {
        case 'f':
          return `.${body}`;
        case 'k': {
          const k = JSON.parse(body) as JsonObject;
          return `[${Object.entries(k)
            .map(([n, v]) => `${n}=${JSON.stringify(v)}`)
            .join(',')}]`;
        }
        case 'v':
          return `[=${body}]`;
        default:
          return `[${body}]`;
      }
    })
    .join('');
}

/** The FieldsV1 JSON tree (`{"f:spec":{"f:replicas":{}}}`, `"."` marks an inner member). */
export function toFieldsV1(set: FieldSet): JsonObject {
  const root: JsonObject = {};
  for (const p of [...set].sort()) {
    let node = root;
    const pes = splitPath(p);
    for (const pe of pes) node = (node[pe] ??= {}) as JsonObject;
    // A path that has children is marked with "." (fixed up below for leaves).
    node['.'] = {};
  }
  const fix = (n: JsonObject) => {
    const keys = Object.keys(n).filter((k) => k !== '.');
    if (keys.length === 0) delete n['.'];
    for (const k of keys) fix(n[k] as JsonObject);
  };
  fix(root);
  return root;
}

export function fromFieldsV1(tree: Json): FieldSet {
  const out: FieldSet = new Set();
  const walk = (n: Json, path: string, depth: number) => {
    if (!isObject(n)) return;
    const keys = Object.keys(n);
    if (depth > 0 && (keys.length === 0 || keys.includes('.'))) out.add(path);
    for (const k of keys) if (k !== '.') walk(n[k]!, depth === 0 ? k : `${path}${SEP}${k}`, depth + 1);
  };
  walk(tree, '', 0);
  return out;
}
