// metadata.managedFields: reading and writing the entries, and recording Update operations
// (create, update, non-apply patches) the way the API server's field manager does: the writer
// gains the fields it added or changed, other managers lose them, removed fields are forgotten.
import { PatchError } from './errors.js';
import { deepEqual, isObject, type Json, type JsonObject } from './json-util.js';
import {
  compare,
  difference,
  fromFieldsV1,
  pathString,
  toFieldsV1,
  union,
  filterIgnored,
  type FieldSet,
} from './fieldset.js';

export type Operation = 'Apply' | 'Update';

export interface Manager {
  manager: string;
  operation: Operation;
  apiVersion: string;
  time?: string;
  subresource?: string;
  set: FieldSet;
  /** The entry's fieldsV1 as read, reused when `set` is still what it was read from. */
  read?: { fieldsV1: Json; size: number };
}

export interface ManagedFieldsOptions {
  /** Defaults to the object's apiVersion / kind. */
  apiVersion?: string;
  kind?: string;
  /** `status` when writing the status subresource. */
  subresource?: string;
  now?: Date;
}

/** The identity of an entry: appliers are one entry per manager; updaters one per apiVersion too. */
export function managerId(m: Pick<Manager, 'manager' | 'operation' | 'apiVersion' | 'subresource'>): string {
  return JSON.stringify([
    m.manager,
    m.operation,
    m.operation === 'Update' ? m.apiVersion : '',
    m.subresource ?? '',
  ]);
}

export function readManagers(obj: Json): Map<string, Manager> {
  const out = new Map<string, Manager>();
  const md = isObject(obj) ? obj.metadata : undefined;
  const entries = isObject(md) ? md.managedFields : undefined;
  if (!Array.isArray(entries)) return out;
  entries.forEach((e, i) => {
    if (
      !isObject(e) ||
      typeof e.manager !== 'string' ||
      (e.operation !== 'Apply' && e.operation !== 'Update')
    )
      throw new PatchError(
        'BadRequest',
        `metadata.managedFields[${i}]: each entry needs manager and operation Apply or Update`,
      );
    if (e.fieldsType !== undefined && e.fieldsType !== 'FieldsV1')
      throw new PatchError(
        'BadRequest',
        `metadata.managedFields[${i}].fieldsType: only "FieldsV1" is supported`,
      );
    const m: Manager = {
      manager: e.manager,
      operation: e.operation,
      apiVersion: typeof e.apiVersion === 'string' ? e.apiVersion : '',
      set: fromFieldsV1(e.fieldsV1 ?? {}),
    };
    m.read = { fieldsV1: e.fieldsV1 ?? {}, size: m.set.size };
    if (typeof e.time === 'string') m.time = e.time;
    if (typeof e.subresource === 'string' && e.subresource !== '') m.subresource = e.subresource;
    out.set(managerId(m), m);
  });
  return out;
}

function rfc3339(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** Writes the managers into obj.metadata.managedFields, sorted as Kubernetes sorts them. */
export function writeManagers(obj: JsonObject, managers: Map<string, Manager>): JsonObject {
  const list = [...managers.values()].filter((m) => m.set.size > 0);
  list.sort(
    (p, q) =>
      cmp(p.operation, q.operation) ||
      cmp(p.time ?? '', q.time ?? '') ||
      cmp(p.manager, q.manager) ||
      cmp(p.apiVersion, q.apiVersion) ||
      cmp(p.subresource ?? '', q.subresource ?? ''),
  );
  const md = isObject(obj.metadata) ? obj.metadata : (obj.metadata = {});
  if (list.length === 0) {
    delete md.managedFields;
    return obj;
  }
  md.managedFields = list.map((m) => {
    const e: JsonObject = { manager: m.manager, operation: m.operation, apiVersion: m.apiVersion };
    if (m.time !== undefined) e.time = m.time;
    e.fieldsType = 'FieldsV1';
    // Sets only lose members after reading (see `unchanged`), so an equal size is an equal set.
    e.fieldsV1 = m.read && m.read.size === m.set.size ? m.read.fieldsV1 : toFieldsV1(m.set);
    if (m.subresource !== undefined) e.subresource = m.subresource;
    return e;
  });
  return obj;
}

function sameSet(a: FieldSet, b: FieldSet): boolean {
  if (a.size !== b.size) return false;
  for (const p of b) if (!a.has(p)) return false;
  return true;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function stamp(m: Manager, now: Date | undefined): void {
  m.time = rfc3339(now ?? new Date());
}

/**
 * Records a non-apply write (operation Update) of `newObj` over `oldObj` (null/undefined on create)
 * by `manager`, and returns a copy of `newObj` with metadata.managedFields updated. If the caller
 * sent managedFields different from the stored ones, those are taken as the new baseline (`[]` resets).
 */
export function updateManagedFields(
  oldObj: object | null | undefined,
  newObj: object,
  manager: string,
  operation: Operation = 'Update',
  opts: ManagedFieldsOptions = {},
): JsonObject {
  // Only metadata.managedFields is written: copying the top level and metadata leaves newObj as
  // it was (a deep copy of every write's object cost as much as the comparison).
  const sent = newObj as JsonObject;
  const next: JsonObject = isObject(sent.metadata)
    ? { ...sent, metadata: { ...sent.metadata } }
    : { ...sent };
  const prev = (oldObj ?? {}) as JsonObject;
  const kind = opts.kind ?? (typeof next.kind === 'string' ? next.kind : '');
  const apiVersion = opts.apiVersion ?? (typeof next.apiVersion === 'string' ? next.apiVersion : '');
  const sentMf = isObject(next.metadata) ? next.metadata.managedFields : undefined;
  const oldMf = isObject(prev.metadata) ? prev.metadata.managedFields : undefined;
  const managers = readManagers(sentMf !== undefined && !deepEqual(sentMf, oldMf) ? next : prev);
  const c = compare(prev, next, kind, opts.subresource);
  const changed = union(c.added, c.modified);
  for (const m of managers.values()) m.set = difference(difference(m.set, changed), c.removed);
  const me: Manager = {
    manager,
    operation,
    apiVersion,
    set: new Set(),
    ...(opts.subresource ? { subresource: opts.subresource } : {}),
  };
  const id = managerId(me);
  const mine = managers.get(id) ?? me;
  const before = mine.set;
  mine.set = filterIgnored(union(difference(mine.set, c.removed), changed), opts.subresource);
  // The writer's set may also gain members: its fieldsV1 is reused only when it did not change.
  if (mine.read && !sameSet(before, mine.set)) delete mine.read;
  if (changed.size > 0 || !managers.has(id)) stamp(mine, opts.now);
  managers.set(id, mine);
  return writeManagers(next, managers);
}

/** How Kubernetes names a manager in conflict messages. */
export function describeManager(m: Manager): string {
  let s = JSON.stringify(m.manager);
  if (m.subresource) s += ` with subresource ${JSON.stringify(m.subresource)}`;
  if (m.operation === 'Update') s += ` using ${m.apiVersion}`;
  return s;
}

/** The 409 the API server returns for apply conflicts, with Kubernetes' message and causes. */
export function conflictError(conflicts: Array<{ manager: Manager; paths: string[] }>): PatchError {
  const total = conflicts.reduce((n, c) => n + c.paths.length, 0);
  const causes = conflicts.flatMap((c) =>
    c.paths.map((p) => ({
      reason: 'FieldManagerConflict',
      message: `conflict with ${describeManager(c.manager)}`,
      field: pathString(p),
    })),
  );
  let body: string;
  if (total === 1) {
    body = `conflict with ${describeManager(conflicts[0]!.manager)}: ${pathString(conflicts[0]!.paths[0]!)}`;
  } else {
    const sorted = [...conflicts].sort((a, b) => cmp(describeManager(a.manager), describeManager(b.manager)));
    body = sorted
      .map((c) =>
        [`conflicts with ${describeManager(c.manager)}:`, ...c.paths.map((p) => `- ${pathString(p)}`)].join(
          '\n',
        ),
      )
      .join('\n');
  }
  return new PatchError(
    'Conflict',
    `Apply failed with ${total} conflict${total === 1 ? '' : 's'}: ${body}`,
    causes,
  );
}
