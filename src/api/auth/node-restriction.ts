// NodeRestriction admission (plugin/pkg/admission/noderestriction), the half of node authorization
// that needs the object: a node may create only its own Node and its own Lease, and may not create
// pods (no mirror pods here). The Node authorizer has already limited everything else.
import type { Admission } from '../admission/types.js';
import { forbidden } from '../errors.js';
import { nodeNameOf } from './node-authorizer.js';

export const nodeRestriction: Admission = (a) => {
  const node = nodeNameOf(a.user);
  if (!node || a.operation === 'DELETE') return;
  const name = a.obj?.metadata.name ?? a.name;
  const gr = { group: a.def.group, plural: a.def.plural };
  if (a.def.group === '' && a.def.plural === 'nodes' && name !== node)
    throw forbidden(gr, name, `node "${node}" is not allowed to modify node "${name}"`);
  if (a.def.group === 'coordination.k8s.io' && a.def.plural === 'leases' && name !== node)
    throw forbidden(gr, name, 'can only access node lease with the same name as the requesting node');
  if (a.def.group === '' && a.def.plural === 'pods' && a.operation === 'CREATE' && !a.subresource)
    throw forbidden(gr, name, `pod does not exist on node "${node}"`);
};
