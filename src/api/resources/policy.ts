// core/v1 ResourceQuota and LimitRange (enforcement is admission's job, a later issue).
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
});
