// Decoding stored values and the per-object facts the store and the HTTP layer share.
import { randomUUID } from 'node:crypto';
import type { KeyValue } from '../storage/types.js';
import { apiVersionOf, type KObject, type ResourceDef } from '../resources/types.js';
import type { Matcher } from './options.js';
import { sameJSON } from '../resources/canonical.js';

export function decode(kv: KeyValue, revision = kv.modRevision): KObject {
  const o = JSON.parse(kv.value.toString('utf8')) as KObject;
  o.metadata.resourceVersion = String(revision);
  return o;
}

export function encode(o: KObject): Buffer {
  const { resourceVersion: _rv, ...meta } = o.metadata;
  return Buffer.from(JSON.stringify({ ...o, metadata: meta }));
}

/** Kubernetes' generateName suffix: five characters without vowels or look-alikes. */
export function nameSuffix(): string {
  const alphabet = 'bcdfghjklmnpqrstvwxz2456789';
  let s = '';
  for (let i = 0; i < 5; i++) s += alphabet[Math.floor(Math.random() * alphabet.length)];
  return s;
}

export const newUid = () => randomUUID();

/** RFC 3339 with second precision, as metav1.Time marshals. */
export const timestamp = (d = new Date()) => d.toISOString().replace(/\.\d{3}Z$/, 'Z');

export function fieldsOf(def: ResourceDef, o: KObject): Record<string, string> {
  return {
    'metadata.name': o.metadata.name ?? '',
    ...(def.namespaced ? { 'metadata.namespace': o.metadata.namespace ?? '' } : {}),
    ...(def.strategy.fields?.(o) ?? {}),
  };
}

export function matches(def: ResourceDef, o: KObject, m: Matcher | undefined): boolean {
  if (!m) return true;
  if (m.labels && !m.labels(o.metadata.labels ?? {})) return false;
  if (m.fields && !m.fields(fieldsOf(def, o))) return false;
  return true;
}

export function withTypeMeta(def: ResourceDef, o: KObject): KObject {
  return { apiVersion: apiVersionOf(def), kind: def.kind, ...o, metadata: o.metadata };
}

/** Everything but metadata and status: what a generation bump looks at. */
export function specView(o: KObject): Record<string, unknown> {
  const { metadata: _m, status: _s, apiVersion: _a, kind: _k, ...rest } = o;
  return rest;
}

/** Whether a write changed anything a generation bump looks at. */
export const specChanged = (a: KObject, b: KObject) => !sameJSON(specView(a), specView(b));
