// core/v1 Node. The node agent registers it and keeps status current.
import { define } from './define.js';
import { printer, str } from './print.js';
import { arr, map, obj } from './schema.js';
import type { KObject } from './types.js';

type NodeStatus = {
  conditions?: Array<{ type?: string; status?: string }>;
  nodeInfo?: Record<string, string>;
  addresses?: Array<{ type?: string; address?: string }>;
};
const st = (o: KObject) => (o.status ?? {}) as NodeStatus;

function nodeStatus(o: KObject): string {
  const ready = (st(o).conditions ?? []).find((c) => c.type === 'Ready');
  const out = [ready?.status === 'True' ? 'Ready' : ready?.status === 'False' ? 'NotReady' : 'Unknown'];
  if ((o.spec as { unschedulable?: boolean } | undefined)?.unschedulable) out.push('SchedulingDisabled');
  return out.join(',');
}
function roles(o: KObject): string {
  const r = Object.keys(o.metadata.labels ?? {})
    .filter((k) => k.startsWith('node-role.kubernetes.io/'))
    .map((k) => k.slice('node-role.kubernetes.io/'.length));
  return r.length ? r.sort().join(',') : '<none>';
}
const addr = (o: KObject, type: string) =>
  (st(o).addresses ?? []).find((a) => a.type === type)?.address ?? '<none>';
const info = (o: KObject, k: string) => st(o).nodeInfo?.[k] ?? '';

export const nodes = define({
  group: '',
  version: 'v1',
  kind: 'Node',
  plural: 'nodes',
  namespaced: false,
  shortNames: ['no'],
  description: 'Node is a worker node in Kubernetes.',
  subresources: {
    status: { kind: 'Node', verbs: ['get', 'patch', 'update'] },
    proxy: { kind: 'NodeProxyOptions', verbs: ['create', 'delete', 'get', 'patch', 'update'] },
  },
  schema: {
    spec: obj({
      podCIDR: 'string',
      podCIDRs: arr('string'),
      providerID: 'string',
      unschedulable: 'boolean',
      taints: arr(obj({ key: 'string', value: 'string', effect: 'string', timeAdded: 'time' })),
      configSource: 'any',
      externalID: 'string',
    }),
    status: obj({
      capacity: map('quantity'),
      allocatable: map('quantity'),
      phase: 'string',
      conditions: arr(
        obj({
          type: 'string',
          status: 'string',
          lastHeartbeatTime: 'time',
          lastTransitionTime: 'time',
          reason: 'string',
          message: 'string',
        }),
      ),
      addresses: arr(obj({ type: 'string', address: 'string' })),
      daemonEndpoints: 'any',
      nodeInfo: map('string'),
      images: arr('any'),
      volumesInUse: arr('string'),
      volumesAttached: arr('any'),
      config: 'any',
      runtimeHandlers: arr('any'),
      features: 'any',
    }),
  },
  strategy: {
    hasStatus: true,
    fields: (o) => ({
      'spec.unschedulable': String(
        (o.spec as { unschedulable?: boolean } | undefined)?.unschedulable ?? false,
      ),
    }),
    table: printer(
      [str('Status', nodeStatus, 'The status of the node'), str('Roles', roles, 'The roles of the node')],
      [
        str('Internal-IP', (o) => addr(o, 'InternalIP'), 'Internal IP'),
        str('External-IP', (o) => addr(o, 'ExternalIP'), 'External IP'),
        str('OS-Image', (o) => info(o, 'osImage'), 'OS image'),
        str('Kernel-Version', (o) => info(o, 'kernelVersion'), 'Kernel version'),
        str('Container-Runtime', (o) => info(o, 'containerRuntimeVersion'), 'Container runtime'),
      ],
    ),
  },
});
// kubectl prints VERSION after AGE; splice it in at the position kubectl users know.
nodes.strategy.table!.columns.splice(4, 0, {
  name: 'Version',
  type: 'string',
  format: '',
  description: 'Kubelet version',
  priority: 0,
});
const base = nodes.strategy.table!.cells;
nodes.strategy.table!.cells = (o, now) => {
  const c = base(o, now);
  c.splice(4, 0, info(o, 'kubeletVersion'));
  return c;
};
