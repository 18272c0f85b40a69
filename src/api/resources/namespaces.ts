// core/v1 Namespace. Deletion is two-phase: the API marks it Terminating (spec.finalizers keeps
// it), the namespace controller empties it and then removes it.
import { notSupported } from '../errors.js';
import { define } from './define.js';
import { printer, str } from './print.js';
import { arr, obj } from './schema.js';
import type { KObject } from './types.js';

const phase = (o: KObject) => ((o.status ?? {}) as { phase?: string }).phase ?? 'Active';

export const namespaces = define({
  group: '',
  version: 'v1',
  kind: 'Namespace',
  plural: 'namespaces',
  namespaced: false,
  shortNames: ['ns'],
  description: 'Namespace provides a scope for Names.',
  subresources: {
    status: { kind: 'Namespace', verbs: ['get', 'patch', 'update'] },
    finalize: { kind: 'Namespace', verbs: ['update'] },
  },
  schema: {
    spec: obj({ finalizers: arr('string') }),
    status: obj({
      phase: 'string',
      conditions: arr(
        obj({
          type: 'string',
          status: 'string',
          lastTransitionTime: 'time',
          reason: 'string',
          message: 'string',
        }),
      ),
    }),
  },
  strategy: {
    hasStatus: true,
    defaults(o) {
      const labels = (o.metadata.labels ??= {});
      labels['kubernetes.io/metadata.name'] = o.metadata.name ?? '';
    },
    prepareCreate(o) {
      o.spec = { finalizers: ['kubernetes'] };
      o.status = { phase: 'Active' };
    },
    validate(o) {
      const p = ((o.status ?? {}) as { phase?: string }).phase;
      return p && !['Active', 'Terminating'].includes(p)
        ? [notSupported('status.phase', p, ['Active', 'Terminating'])]
        : [];
    },
    fields: (o) => ({ 'status.phase': phase(o) }),
    table: printer([str('Status', phase, 'The status of the namespace')]),
  },
});
