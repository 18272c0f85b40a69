// What a fresh cluster has: the four standard namespaces and the `kubernetes` Service.
import { ApiError } from '../errors.js';
import type { Store } from '../registry/store.js';
import { namespaces } from '../resources/namespaces.js';
import { services } from '../resources/networking.js';
import type { KObject, ResourceDef } from '../resources/types.js';

export async function bootstrap(stores: Map<ResourceDef, Store>, port: number): Promise<void> {
  const ensure = async (def: ResourceDef, ns: string, o: KObject) => {
    try {
      await stores.get(def)!.create(ns, o);
    } catch (e) {
      if (!(e instanceof ApiError && e.code === 409)) throw e;
    }
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
}
