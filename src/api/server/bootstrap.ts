// What a fresh cluster has: the four standard namespaces, the `kubernetes` Service, and the
// bootstrap RBAC policy (reconciled additively at every start, so user edits survive).
import { ApiError } from '../errors.js';
import {
  BOOTSTRAP_CLUSTER_ROLE_BINDINGS,
  BOOTSTRAP_CLUSTER_ROLES,
  reconcileAdditively,
} from '../auth/rbac/bootstrap-policy.js';
import type { Store } from '../registry/store.js';
import { namespaces } from '../resources/namespaces.js';
import { services } from '../resources/networking.js';
import { clusterrolebindings, clusterroles } from '../resources/rbac.js';
import type { KObject, ResourceDef } from '../resources/types.js';

export async function bootstrap(stores: Map<ResourceDef, Store>, port: number): Promise<void> {
  const ensure = async (def: ResourceDef, ns: string, o: KObject) => {
    try {
      await stores.get(def)!.create(ns, structuredClone(o));
    } catch (e) {
      if (!(e instanceof ApiError && e.code === 409)) throw e;
      return false;
    }
    return true;
  };
  for (const name of ['default', 'kube-system', 'kube-public', 'kube-node-lease'])
    await ensure(namespaces, '', { metadata: { name } });
  await ensure(services, 'default', {
    metadata: { name: 'kubernetes', labels: { component: 'apiserver', provider: 'kubernetes' } },
    spec: {
      type: 'ClusterIP',
      clusterIP: '10.96.0.1',
      clusterIPs: ['10.96.0.1'],
      ports: [{ name: 'https', port: 443, protocol: 'TCP', targetPort: port }],
    },
  });
  const policy: Array<[ResourceDef, KObject[]]> = [
    [clusterroles, BOOTSTRAP_CLUSTER_ROLES],
    [clusterrolebindings, BOOTSTRAP_CLUSTER_ROLE_BINDINGS],
  ];
  for (const [def, objects] of policy)
    for (const o of objects) {
      if (await ensure(def, '', o)) continue;
      const store = stores.get(def)!;
      const merged = reconcileAdditively(await store.get('', o.metadata.name!), o);
      if (merged) await store.update('', o.metadata.name!, () => merged);
    }
}
