// core/v1 ConfigMap, Secret and ServiceAccount.
import { invalidValue, type FieldError } from '../errors.js';
import { define } from './define.js';
import { printer, str } from './print.js';
import { arr, map, obj } from './schema.js';
import type { KObject } from './types.js';
import { immutableErrors } from './validation.js';

const KEY = /^[-._a-zA-Z0-9]+$/;
function keyErrors(data: unknown, field: string): FieldError[] {
  if (!data || typeof data !== 'object') return [];
  const out: FieldError[] = [];
  for (const k of Object.keys(data)) {
    if (!KEY.test(k) || k.length > 253) {
      out.push(
        invalidValue(
          field,
          k,
          "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')",
        ),
      );
    }
  }
  return out;
}
const count = (o: KObject, ...fields: string[]) =>
  fields.reduce((n, f) => n + Object.keys((o[f] ?? {}) as object).length, 0);
function immutable(o: KObject, old: KObject | undefined, fields: string[]): FieldError[] {
  if (!old || old.immutable !== true) return [];
  const errs = immutableErrors(o, old, fields);
  return errs.length
    ? [
        {
          type: 'FieldValueForbidden',
          field: errs[0]!.field,
          detail: 'field is immutable when `immutable` is set',
        },
      ]
    : [];
}

export const configmaps = define({
  group: '',
  version: 'v1',
  kind: 'ConfigMap',
  plural: 'configmaps',
  namespaced: true,
  shortNames: ['cm'],
  description: 'ConfigMap holds configuration data for pods to consume.',
  schema: { data: map('string'), binaryData: map('bytes'), immutable: 'boolean' },
  strategy: {
    validate: (o, old) => [
      ...keyErrors(o.data, 'data'),
      ...keyErrors(o.binaryData, 'binaryData'),
      ...immutable(o, old, ['data', 'binaryData', 'immutable']),
    ],
    table: printer([
      {
        name: 'Data',
        type: 'integer',
        description: 'Number of keys.',
        cell: (o) => count(o, 'data', 'binaryData'),
      },
    ]),
  },
});

export const secrets = define({
  group: '',
  version: 'v1',
  kind: 'Secret',
  plural: 'secrets',
  namespaced: true,
  description: 'Secret holds secret data of a certain type.',
  schema: { data: map('bytes'), stringData: map('string'), type: 'string', immutable: 'boolean' },
  strategy: {
    defaults(o) {
      o.type ??= 'Opaque';
      // stringData is write-only: merged into data (base64) as the API server does.
      const sd = o.stringData as Record<string, string> | undefined;
      if (sd) {
        const data = (o.data ??= {}) as Record<string, string>;
        for (const [k, v] of Object.entries(sd)) data[k] = Buffer.from(v).toString('base64');
        delete o.stringData;
      }
    },
    validate(o, old) {
      const out = [...keyErrors(o.data, 'data'), ...immutable(o, old, ['data', 'immutable'])];
      for (const [k, v] of Object.entries((o.data ?? {}) as Record<string, unknown>)) {
        if (typeof v !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(v))
          out.push(invalidValue(`data[${k}]`, '<secret contents redacted>', 'must be base64-encoded'));
      }
      if (old && old.type !== o.type) out.push(invalidValue('type', o.type, 'field is immutable'));
      return out;
    },
    fields: (o) => ({ type: String(o.type ?? '') }),
    table: printer([
      str('Type', (o) => o.type ?? '', 'The type of secret'),
      { name: 'Data', type: 'integer', description: 'Number of keys.', cell: (o) => count(o, 'data') },
    ]),
  },
});

export const serviceaccounts = define({
  group: '',
  version: 'v1',
  kind: 'ServiceAccount',
  plural: 'serviceaccounts',
  namespaced: true,
  shortNames: ['sa'],
  description: 'ServiceAccount binds together a name, a principal, and secrets.',
  // TokenRequest: answered by the API server's token issuer (auth/service-account-tokens.ts).
  subresources: {
    token: { kind: 'TokenRequest', group: 'authentication.k8s.io', version: 'v1', verbs: ['create'] },
  },
  schema: {
    secrets: arr(
      obj({
        kind: 'string',
        namespace: 'string',
        name: 'string',
        uid: 'string',
        apiVersion: 'string',
        resourceVersion: 'string',
        fieldPath: 'string',
      }),
    ),
    imagePullSecrets: arr(obj({ name: 'string' })),
    automountServiceAccountToken: 'boolean',
  },
  strategy: {
    table: printer([
      {
        name: 'Secrets',
        type: 'integer',
        description: 'Number of secrets.',
        cell: (o) => ((o.secrets ?? []) as unknown[]).length,
      },
    ]),
  },
});
