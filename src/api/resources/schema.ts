// A compact description of each kind's known fields. One source for two uses: strict decoding
// (fieldValidation=Strict rejects unknown fields, as kube-apiserver does) and the OpenAPI v3
// documents kubectl reads for `apply` and `explain`. Subtrees Corral does not model are 'any'.

export type Scalar =
  'string' | 'integer' | 'number' | 'boolean' | 'any' | 'int-or-string' | 'quantity' | 'time' | 'bytes';

export type Schema =
  | Scalar
  | { t: 'object'; props: Record<string, Schema>; desc?: string }
  | { t: 'array'; items: Schema; desc?: string }
  | { t: 'map'; values: Schema; desc?: string };

export const obj = (props: Record<string, Schema>, desc?: string): Schema => ({
  t: 'object',
  props,
  ...(desc ? { desc } : {}),
});
export const arr = (items: Schema, desc?: string): Schema => ({
  t: 'array',
  items,
  ...(desc ? { desc } : {}),
});
export const map = (values: Schema, desc?: string): Schema => ({
  t: 'map',
  values,
  ...(desc ? { desc } : {}),
});

export const labelSelector = obj({
  matchLabels: map('string'),
  matchExpressions: arr(obj({ key: 'string', operator: 'string', values: arr('string') })),
});

export const objectMeta = obj(
  {
    name: 'string',
    generateName: 'string',
    namespace: 'string',
    selfLink: 'string',
    uid: 'string',
    resourceVersion: 'string',
    generation: 'integer',
    creationTimestamp: 'time',
    deletionTimestamp: 'time',
    deletionGracePeriodSeconds: 'integer',
    labels: map('string'),
    annotations: map('string'),
    ownerReferences: arr(
      obj({
        apiVersion: 'string',
        kind: 'string',
        name: 'string',
        uid: 'string',
        controller: 'boolean',
        blockOwnerDeletion: 'boolean',
      }),
    ),
    finalizers: arr('string'),
    managedFields: arr('any'),
  },
  "Standard object's metadata.",
);

/** Paths of fields the schema does not know, as kube-apiserver's strict decoder names them. */
export function unknownFields(value: unknown, props: Record<string, Schema>): string[] {
  const out: string[] = [];
  const top: Record<string, Schema> = {
    apiVersion: 'string',
    kind: 'string',
    metadata: objectMeta,
    ...props,
  };
  walk(value, { t: 'object', props: top }, '', out);
  return out;
}

function walk(value: unknown, schema: Schema, path: string, out: string[]): void {
  if (typeof schema === 'string' || value === null || value === undefined) return;
  if (schema.t === 'object') {
    if (typeof value !== 'object' || Array.isArray(value)) return;
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      const sub = schema.props[k];
      const p = path ? `${path}.${k}` : k;
      if (!sub) out.push(p);
      else walk(v, sub, p, out);
    }
  } else if (schema.t === 'array') {
    if (!Array.isArray(value)) return;
    value.forEach((v, i) => walk(v, schema.items, `${path}[${i}]`, out));
  } else if (typeof value === 'object' && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value as Record<string, unknown>))
      walk(v, schema.values, `${path}[${k}]`, out);
  }
}

/** The schema as an OpenAPI v3 schema object (inline, no $refs). */
export function toOpenAPI(schema: Schema): Record<string, unknown> {
  if (typeof schema === 'string') {
    switch (schema) {
      case 'any':
        return { type: 'object', 'x-kubernetes-preserve-unknown-fields': true };
      case 'int-or-string':
        return { 'x-kubernetes-int-or-string': true, anyOf: [{ type: 'integer' }, { type: 'string' }] };
      case 'quantity':
        return { type: 'string', description: 'Quantity: a fixed-point number such as 100m, 64Mi or 2.' };
      case 'time':
        return { type: 'string', format: 'date-time' };
      case 'bytes':
        return { type: 'string', format: 'byte' };
      default:
        return { type: schema };
    }
  }
  const desc = schema.desc ? { description: schema.desc } : {};
  if (schema.t === 'array') return { type: 'array', items: toOpenAPI(schema.items), ...desc };
  if (schema.t === 'map') return { type: 'object', additionalProperties: toOpenAPI(schema.values), ...desc };
  const properties: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(schema.props)) properties[k] = toOpenAPI(v);
  return { type: 'object', properties, ...desc };
}
