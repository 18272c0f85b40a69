// networking.k8s.io/v1 NetworkPolicy, core/v1 Service and coordination.k8s.io/v1 Lease.
import { define } from './define.js';
import { listOrNone, printer, str } from './print.js';
import { arr, labelSelector, map, obj } from './schema.js';
import type { KObject } from './types.js';

const peer = obj({
  podSelector: labelSelector,
  namespaceSelector: labelSelector,
  ipBlock: obj({ cidr: 'string', except: arr('string') }),
});
const port = obj({ protocol: 'string', port: 'int-or-string', endPort: 'integer' });

function selectorText(
  sel:
    | {
        matchLabels?: Record<string, string>;
        matchExpressions?: Array<{ key: string; operator: string; values?: string[] }>;
      }
    | undefined,
): string {
  if (!sel) return '<none>';
  const parts = Object.entries(sel.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`);
  for (const e of sel.matchExpressions ?? []) {
    const op = e.operator === 'In' ? 'in' : e.operator === 'NotIn' ? 'notin' : '';
    if (op) parts.push(`${e.key} ${op} (${(e.values ?? []).join(',')})`);
    else parts.push(e.operator === 'Exists' ? e.key : `!${e.key}`);
  }
  return parts.length ? parts.join(',') : '<none>';
}

export const networkpolicies = define({
  group: 'networking.k8s.io',
  version: 'v1',
  kind: 'NetworkPolicy',
  plural: 'networkpolicies',
  namespaced: true,
  shortNames: ['netpol'],
  description: 'NetworkPolicy describes what network traffic is allowed for a set of Pods.',
  schema: {
    spec: obj({
      podSelector: labelSelector,
      ingress: arr(obj({ ports: arr(port), from: arr(peer) })),
      egress: arr(obj({ ports: arr(port), to: arr(peer) })),
      policyTypes: arr('string'),
    }),
  },
  strategy: {
    bumpsGeneration: true,
    defaults(o) {
      const s = (o.spec ??= {}) as { podSelector?: object; policyTypes?: string[]; egress?: unknown };
      s.podSelector ??= {};
      if (!s.policyTypes) s.policyTypes = s.egress ? ['Ingress', 'Egress'] : ['Ingress'];
    },
    table: {
      ...printer([
        str(
          'Pod-Selector',
          (o) => selectorText((o.spec as { podSelector?: never })?.podSelector),
          'Pods the policy applies to',
        ),
      ]),
    },
  },
});

type Svc = {
  type?: string;
  clusterIP?: string;
  externalIPs?: string[];
  ports?: Array<{ port?: number; nodePort?: number; protocol?: string }>;
  selector?: Record<string, string>;
};
const svc = (o: KObject) => (o.spec ?? {}) as Svc;

export const services = define({
  group: '',
  version: 'v1',
  kind: 'Service',
  plural: 'services',
  namespaced: true,
  shortNames: ['svc'],
  categories: ['all'],
  description: 'Service is a named abstraction of software service.',
  subresources: {
    status: { kind: 'Service', verbs: ['get', 'patch', 'update'] },
    proxy: { kind: 'ServiceProxyOptions', verbs: ['create', 'delete', 'get', 'patch', 'update'] },
  },
  schema: {
    spec: obj({
      ports: arr(
        obj({
          name: 'string',
          protocol: 'string',
          appProtocol: 'string',
          port: 'integer',
          targetPort: 'int-or-string',
          nodePort: 'integer',
        }),
      ),
      selector: map('string'),
      clusterIP: 'string',
      clusterIPs: arr('string'),
      type: 'string',
      externalIPs: arr('string'),
      sessionAffinity: 'string',
      loadBalancerIP: 'string',
      loadBalancerSourceRanges: arr('string'),
      externalName: 'string',
      externalTrafficPolicy: 'string',
      healthCheckNodePort: 'integer',
      publishNotReadyAddresses: 'boolean',
      sessionAffinityConfig: 'any',
      ipFamilies: arr('string'),
      ipFamilyPolicy: 'string',
      allocateLoadBalancerNodePorts: 'boolean',
      loadBalancerClass: 'string',
      internalTrafficPolicy: 'string',
      trafficDistribution: 'string',
    }),
    status: obj({ loadBalancer: 'any', conditions: arr('any') }),
  },
  strategy: {
    hasStatus: true,
    defaults(o) {
      const s = (o.spec ??= {}) as Svc & Record<string, unknown>;
      s.type ??= 'ClusterIP';
      s.sessionAffinity ??= 'None';
      s.internalTrafficPolicy ??= 'Cluster';
      for (const p of (s.ports ?? []) as Array<Record<string, unknown>>) {
        p.protocol ??= 'TCP';
        p.targetPort ??= p.port;
      }
    },
    table: printer(
      [
        str('Type', (o) => svc(o).type ?? 'ClusterIP', 'The type of service.'),
        str('Cluster-IP', (o) => svc(o).clusterIP || '<none>', 'The cluster IP.'),
        str('External-IP', (o) => listOrNone(svc(o).externalIPs), 'External IPs.'),
        str(
          'Port(s)',
          (o) =>
            listOrNone(
              (svc(o).ports ?? []).map(
                (p) => `${p.port}${p.nodePort ? `:${p.nodePort}` : ''}/${p.protocol ?? 'TCP'}`,
              ),
            ),
          'Ports.',
        ),
      ],
      [
        str(
          'Selector',
          (o) =>
            svc(o).selector
              ? Object.entries(svc(o).selector!)
                  .map(([k, v]) => `${k}=${v}`)
                  .join(',')
              : '<none>',
          'Selector.',
        ),
      ],
    ),
  },
});

export const leases = define({
  group: 'coordination.k8s.io',
  version: 'v1',
  kind: 'Lease',
  plural: 'leases',
  namespaced: true,
  description: 'Lease defines a lease concept.',
  schema: {
    spec: obj({
      holderIdentity: 'string',
      leaseDurationSeconds: 'integer',
      acquireTime: 'time',
      renewTime: 'time',
      leaseTransitions: 'integer',
      strategy: 'string',
      preferredHolder: 'string',
    }),
  },
  strategy: {
    table: printer([
      str(
        'Holder',
        (o) => (o.spec as { holderIdentity?: string } | undefined)?.holderIdentity ?? '',
        'Holder identity',
      ),
    ]),
  },
});
