// NamespaceLifecycle (plugin/pkg/admission/namespace/lifecycle): nothing is written into a
// namespace that does not exist, nothing new into one being terminated, and the namespaces the
// system itself lives in cannot be deleted.
import { ApiError, forbidden, notFound } from '../errors.js';
import { Store } from '../registry/store.js';
import { namespaces } from '../resources/namespaces.js';
import type { Storage } from '../storage/types.js';
import { admitAll, type Admission } from './types.js';

/** kube-apiserver's defaults for --immortal-namespaces. */
const IMMORTAL_NAMESPACES = ['default', 'kube-system', 'kube-public'];

export function namespaceLifecycle(storage: Storage, immortal = IMMORTAL_NAMESPACES): Admission {
  const nsStore = new Store(storage, namespaces, admitAll);
  return async (a) => {
    if (a.def === namespaces) {
      if (a.operation === 'DELETE' && immortal.includes(a.name))
        throw forbidden({ group: '', plural: 'namespaces' }, a.name, 'this namespace may not be deleted');
      return;
    }
    // Cluster-scoped kinds, deletions and access reviews (which must not leak whether a
    // namespace exists) are always allowed.
    if (!a.def.namespaced || !a.namespace || a.operation === 'DELETE' || a.def.virtual) return;
    let ns;
    try {
      ns = await nsStore.get('', a.namespace);
    } catch (e) {
      if (e instanceof ApiError && e.code === 404)
        throw notFound({ group: '', plural: 'namespaces' }, a.namespace);
      throw e;
    }
    const phase = ((ns.status ?? {}) as { phase?: string }).phase;
    if (a.operation !== 'CREATE' || (phase !== 'Terminating' && !ns.metadata.deletionTimestamp)) return;
    const err = forbidden(
      { group: a.def.group, plural: a.def.plural },
      a.name,
      `unable to create new content in namespace ${a.namespace} because it is being terminated`,
    );
    err.details!.causes = [
      {
        reason: 'NamespaceTerminating',
        message: `namespace ${a.namespace} is being terminated`,
        field: 'metadata.namespace',
      },
    ];
    throw err;
  };
}
