// NodeRestriction admission (plugin/pkg/admission/noderestriction), the half of node authorization
// that needs the object: a node may create only its own Node and its own Lease, may not create
// pods (no mirror pods here), and may only request ServiceAccount tokens bound to its own pods.
// The Node authorizer has already limited everything else.
import type { Admission } from '../admission/types.js';
import { forbidden } from '../errors.js';
import type { KObject } from '../resources/types.js';
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

/**
 * NodeRestriction for TokenRequests (admitServiceAccount): a node may only get tokens bound to a
 * pod it runs, named with its uid, so a token it asks for dies with that pod. `pod` is the bound
 * pod as stored (undefined when there is none). The TokenRequest API calls this itself, since a
 * TokenRequest is answered rather than stored and passes no admission chain.
 */
export function restrictNodeTokenRequest(
  user: { username: string; groups: string[] },
  serviceAccount: string,
  ref: { kind?: string; name?: string; uid?: string } | undefined,
  pod: KObject | undefined,
): void {
  const node = nodeNameOf(user);
  if (!node) return;
  const no = (why: string) => forbidden({ group: '', plural: 'serviceaccounts' }, serviceAccount, why);
  if (ref?.kind !== 'Pod') throw no('node requested token not bound to a pod');
  if (!ref.uid) throw no('node requested token with a pod binding without a uid');
  if (!pod) throw no(`node requested token bound to pod "${ref.name}", which does not exist`);
  if ((pod.spec as { nodeName?: string } | undefined)?.nodeName !== node)
    throw no('node requested token bound to a pod scheduled on a different node');
}
