// core/v1 ResourceQuota and LimitRange: their defaulting and validation. Enforcement is
// admission's job (admission/limit-ranger.ts, admission/resource-quota.ts).
import { QuantityError, parseQuantity } from '../../util/quantity.js';
import { invalidValue, notSupported, type FieldError } from '../errors.js';
import { define } from './define.js';
import { age, ageColumn, nameColumn } from './print.js';
import { arr, map, obj } from './schema.js';
import type { KObject } from './types.js';

type Quota = { hard?: Record<string, string>; used?: Record<string, string> };
function usage(o: KObject, limits: boolean): string {
  const s = (o.status ?? {}) as Quota;
  const hard = s.hard ?? ((o.spec ?? {}) as Quota).hard ?? {};
  return Object.keys(hard)
    .filter((k) => k.startsWith('limits.') === limits)
    .sort()
    .map((k) => `${k}: ${s.used?.[k] ?? '0'}/${hard[k]}`)
    .join(', ');
}

export const resourcequotas = define({
  group: '',
  version: 'v1',
  kind: 'ResourceQuota',
  plural: 'resourcequotas',
  namespaced: true,
  shortNames: ['quota'],
  description: 'ResourceQuota sets aggregate quota restrictions enforced per namespace.',
  subresources: { status: { kind: 'ResourceQuota', verbs: ['get', 'patch', 'update'] } },
  schema: {
    spec: obj({ hard: map('quantity'), scopes: arr('string'), scopeSelector: 'any' }),
    status: obj({ hard: map('quantity'), used: map('quantity') }),
  },
  strategy: {
    hasStatus: true,
    validate: validateQuota,
    table: {
      columns: [
        nameColumn,
        { ...ageColumn, format: '', priority: 0 },
        {
          name: 'Request',
          type: 'string',
          format: '',
          description: 'Request represents a minimum amount of cpu/memory that a container may consume.',
          priority: 0,
        },
        {
          name: 'Limit',
          type: 'string',
          format: '',
          description:
            'Limits control the maximum amount of cpu/memory that a container may use independent of contention on the node.',
          priority: 0,
        },
      ],
      cells: (o, now) => [
        o.metadata.name,
        age(o.metadata.creationTimestamp, now),
        usage(o, false),
        usage(o, true),
      ],
    },
  },
});

export const limitranges = define({
  group: '',
  version: 'v1',
  kind: 'LimitRange',
  plural: 'limitranges',
  namespaced: true,
  shortNames: ['limits'],
  description: 'LimitRange sets resource usage limits for each kind of resource in a Namespace.',
  schema: {
    spec: obj({
      limits: arr(
        obj({
          type: 'string',
          max: map('quantity'),
          min: map('quantity'),
          default: map('quantity'),
          defaultRequest: map('quantity'),
          maxLimitRequestRatio: map('quantity'),
        }),
      ),
    }),
  },
  strategy: { defaults: defaultLimitRange, validate: validateLimitRange },
});

type Quantities = Record<string, unknown>;
interface LimitItem {
  type?: string;
  max?: Quantities;
  min?: Quantities;
  default?: Quantities;
  defaultRequest?: Quantities;
  maxLimitRequestRatio?: Quantities;
}
const limitItems = (o: KObject) => ((o.spec ?? {}) as { limits?: LimitItem[] }).limits ?? [];

/** SetDefaults_LimitRangeItem: a Container item's default limit is its max, its default request the default limit, else its min. */
function defaultLimitRange(o: KObject): void {
  for (const it of limitItems(o)) {
    if (it.type !== 'Container') continue;
    const def = (it.default ??= {});
    const dreq = (it.defaultRequest ??= {});
    for (const [k, v] of Object.entries(it.max ?? {})) def[k] ??= v;
    for (const [k, v] of Object.entries(def)) dreq[k] ??= v;
    for (const [k, v] of Object.entries(it.min ?? {})) dreq[k] ??= v;
  }
}

/** Each quantity of a map, or a field error naming it. */
function quantities(m: Quantities | undefined, field: string, errs: FieldError[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const [k, v] of Object.entries(m ?? {})) {
    try {
      const n = parseQuantity(String(v), `${field}[${k}]`);
      if (n < 0) errs.push(invalidValue(`${field}[${k}]`, v, 'must be greater than or equal to 0'));
      else out.set(k, n);
    } catch (e) {
      if (!(e instanceof QuantityError)) throw e;
      errs.push(invalidValue(`${field}[${k}]`, v, 'must be a quantity, e.g. 500m, 1, 128Mi'));
    }
  }
  return out;
}

const LIMIT_TYPES = ['Pod', 'Container', 'PersistentVolumeClaim'];

/** ValidateLimitRange's core: known types, parseable quantities, min ≤ defaultRequest ≤ default ≤ max. */
function validateLimitRange(o: KObject): FieldError[] {
  const errs: FieldError[] = [];
  limitItems(o).forEach((it, i) => {
    const f = `spec.limits[${i}]`;
    if (!LIMIT_TYPES.includes(it.type ?? ''))
      errs.push(notSupported(`${f}.type`, it.type ?? '', LIMIT_TYPES));
    const min = quantities(it.min, `${f}.min`, errs);
    const max = quantities(it.max, `${f}.max`, errs);
    const def = quantities(it.default, `${f}.default`, errs);
    const dreq = quantities(it.defaultRequest, `${f}.defaultRequest`, errs);
    const ratio = quantities(it.maxLimitRequestRatio, `${f}.maxLimitRequestRatio`, errs);
    if (it.type === 'Pod' && (def.size || dreq.size))
      errs.push(
        invalidValue(
          `${f}.${def.size ? 'default' : 'defaultRequest'}`,
          it.default ?? it.defaultRequest,
          "may not be specified when `type` is 'Pod'",
        ),
      );
    for (const [k, lo] of min) {
      const hi = max.get(k);
      if (hi !== undefined && lo > hi)
        errs.push(
          invalidValue(
            `${f}.min[${k}]`,
            it.min?.[k],
            `min value ${String(it.min?.[k])} is greater than max value ${String(it.max?.[k])}`,
          ),
        );
    }
    for (const [k, d] of def) {
      if (max.has(k) && d > max.get(k)!)
        errs.push(
          invalidValue(
            `${f}.default[${k}]`,
            it.default?.[k],
            `default value ${String(it.default?.[k])} is greater than max value ${String(it.max?.[k])}`,
          ),
        );
      if (dreq.has(k) && dreq.get(k)! > d)
        errs.push(
          invalidValue(
            `${f}.defaultRequest[${k}]`,
            it.defaultRequest?.[k],
            `default request value ${String(it.defaultRequest?.[k])} is greater than default limit value ${String(it.default?.[k])}`,
          ),
        );
    }
    for (const [k, r] of dreq)
      if (min.has(k) && r < min.get(k)!)
        errs.push(
          invalidValue(
            `${f}.defaultRequest[${k}]`,
            it.defaultRequest?.[k],
            `min value ${String(it.min?.[k])} is greater than default request value ${String(it.defaultRequest?.[k])}`,
          ),
        );
    for (const [k, r] of ratio)
      if (r < 1)
        errs.push(
          invalidValue(
            `${f}.maxLimitRequestRatio[${k}]`,
            it.maxLimitRequestRatio?.[k],
            'ratio must be greater than or equal to 1',
          ),
        );
  });
  return errs;
}

const QUOTA_SCOPES = [
  'Terminating',
  'NotTerminating',
  'BestEffort',
  'NotBestEffort',
  'PriorityClass',
  'CrossNamespacePodAffinity',
];

/** ValidateResourceQuota's core: parseable, non-negative hard limits and known scopes. */
function validateQuota(o: KObject): FieldError[] {
  const errs: FieldError[] = [];
  const spec = (o.spec ?? {}) as { hard?: Quantities; scopes?: string[] };
  quantities(spec.hard, 'spec.hard', errs);
  (spec.scopes ?? []).forEach((sc, i) => {
    if (!QUOTA_SCOPES.includes(sc)) errs.push(notSupported(`spec.scopes[${i}]`, sc, QUOTA_SCOPES));
  });
  const st = (o.status ?? {}) as { hard?: Quantities; used?: Quantities };
  quantities(st.hard, 'status.hard', errs);
  quantities(st.used, 'status.used', errs);
  return errs;
}
