// Checks shared by every kind: object names, labels, annotations — with apimachinery's messages,
// so `kubectl` users see what a real cluster would say.
import { invalidValue, required, type FieldError } from '../errors.js';
import type { KObject } from './types.js';
import { sameJSON } from './canonical.js';

const SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const QUALIFIED_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

export type NameRule = 'subdomain' | 'label' | 'path-segment';

export function nameErrors(name: string, rule: NameRule): string[] {
  if (rule === 'path-segment') {
    if (name === '.' || name === '..') return [`may not be '${name}'`];
    for (const bad of ['/', '%']) if (name.includes(bad)) return [`may not contain '${bad}'`];
    return [];
  }
  if (rule === 'label') {
    const out: string[] = [];
    if (name.length > 63) out.push('must be no more than 63 characters');
    if (!LABEL.test(name)) {
      out.push(
        "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')",
      );
    }
    return out;
  }
  const out: string[] = [];
  if (name.length > 253) out.push('must be no more than 253 characters');
  if (!SUBDOMAIN.test(name)) {
    out.push(
      "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
    );
  }
  return out;
}

function qualifiedNameErrors(key: string): string[] {
  const parts = key.split('/');
  const out: string[] = [];
  let name = key;
  if (parts.length === 2) {
    const [prefix, n] = parts as [string, string];
    name = n;
    if (!prefix) out.push('prefix part must be non-empty');
    else out.push(...nameErrors(prefix, 'subdomain').map((e) => `prefix part ${e}`));
  } else if (parts.length > 2) {
    return [
      "a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')",
    ];
  }
  if (!name) out.push('name part must be non-empty');
  else if (name.length > 63) out.push('name part must be no more than 63 characters');
  else if (!QUALIFIED_NAME.test(name)) {
    out.push(
      "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')",
    );
  }
  return out;
}

export function labelErrors(labels: unknown, field: string): FieldError[] {
  if (labels === undefined || labels === null) return [];
  if (typeof labels !== 'object' || Array.isArray(labels))
    return [invalidValue(field, labels, 'must be a map of strings')];
  const out: FieldError[] = [];
  for (const [k, v] of Object.entries(labels as Record<string, unknown>)) {
    for (const e of qualifiedNameErrors(k)) out.push(invalidValue(field, k, e));
    if (typeof v !== 'string') out.push(invalidValue(`${field}[${k}]`, v, 'must be a string'));
    else if (v.length > 63) out.push(invalidValue(`${field}[${k}]`, v, 'must be no more than 63 characters'));
    else if (!LABEL_VALUE.test(v)) {
      out.push(
        invalidValue(
          `${field}[${k}]`,
          v,
          "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')",
        ),
      );
    }
  }
  return out;
}

export function metadataErrors(obj: KObject, rule: NameRule, namespaced: boolean): FieldError[] {
  const m = obj.metadata;
  const out: FieldError[] = [];
  if (!m.name) out.push(required('metadata.name', 'name or generateName is required'));
  else for (const e of nameErrors(m.name, rule)) out.push(invalidValue('metadata.name', m.name, e));
  if (namespaced && !m.namespace) out.push(required('metadata.namespace'));
  out.push(...labelErrors(m.labels, 'metadata.labels'));
  if (m.annotations !== undefined && m.annotations !== null) {
    if (typeof m.annotations !== 'object')
      out.push(invalidValue('metadata.annotations', m.annotations, 'must be a map of strings'));
    else {
      for (const [k, v] of Object.entries(m.annotations)) {
        for (const e of qualifiedNameErrors(k)) out.push(invalidValue('metadata.annotations', k, e));
        if (typeof v !== 'string')
          out.push(invalidValue(`metadata.annotations[${k}]`, v, 'must be a string'));
      }
    }
  }
  (m.ownerReferences ?? []).forEach((r, i) => {
    const f = `metadata.ownerReferences[${i}]`;
    if (!r.apiVersion)
      out.push(invalidValue(`${f}.apiVersion`, r.apiVersion ?? '', 'version must not be empty'));
    if (!r.kind) out.push(invalidValue(`${f}.kind`, r.kind ?? '', 'kind must not be empty'));
    if (!r.name) out.push(invalidValue(`${f}.name`, r.name ?? '', 'name must not be empty'));
    if (!r.uid) out.push(invalidValue(`${f}.uid`, r.uid ?? '', 'uid must not be empty'));
  });
  return out;
}

/** Fields that may not change on update (metadata.name is checked by the URL). */
export function immutableErrors(obj: KObject, old: KObject, paths: string[]): FieldError[] {
  const out: FieldError[] = [];
  for (const p of paths) {
    if (!sameJSON(getPath(obj, p), getPath(old, p)))
      out.push({ type: 'FieldValueInvalid', field: p, value: getPath(obj, p), detail: 'field is immutable' });
  }
  return out;
}

export function getPath(obj: unknown, path: string): unknown {
  let cur: unknown = obj;
  for (const seg of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[seg];
  }
  return cur;
}
