// A synthetic cluster for compiler tests and the bench: `pods` pods over 10 namespaces with
// IPv4 (every pod) and IPv6 (every other pod) addresses, and `policies` policies that mix every
// kind of peer and port.
import type { NetworkPolicy, PolicyPod, PolicyState } from '../../../src/network/policy/types.js';

export function syntheticState(pods: number, policies: number, base4 = '10.80'): PolicyState {
  const ps: PolicyPod[] = [];
  for (let i = 0; i < pods; i++) {
    const ips = [`${base4}.${Math.floor(i / 250)}.${(i % 250) + 2}`];
    if (i % 2 === 0) ips.push(`fd80::${(i + 2).toString(16)}`);
    ps.push({
      namespace: `ns${i % 10}`,
      name: `pod${i}`,
      labels: { app: `app${i % 25}`, ...(i % 3 === 0 ? { role: 'client' } : {}) },
      ips,
      ports: [
        { name: 'http', containerPort: 8000 + (i % 5) },
        { name: 'dns', containerPort: 53, protocol: 'UDP' },
      ],
    });
  }
  const pol: NetworkPolicy[] = [];
  for (let i = 0; i < policies; i++) {
    const namespace = `ns${i % 10}`;
    const spec: NetworkPolicy['spec'] = {
      podSelector: i % 7 === 0 ? {} : { matchLabels: { app: `app${i % 25}` } },
      ingress: [
        {
          from: [
            { podSelector: { matchLabels: { role: 'client' } } },
            {
              namespaceSelector: { matchLabels: { team: `t${i % 3}` } },
              podSelector: { matchLabels: { app: `app${(i + 1) % 25}` } },
            },
            { ipBlock: { cidr: '192.168.0.0/16', except: [`192.168.${i % 256}.0/24`] } },
          ],
          ports: [
            { port: 'http' },
            { port: 9000 + (i % 100), endPort: 9100 + (i % 100) },
            { protocol: 'SCTP', port: 7 },
          ],
        },
      ],
    };
    if (i % 2 === 0)
      spec.egress = [
        {
          to: [
            {
              namespaceSelector: {
                matchExpressions: [{ key: 'team', operator: 'In', values: ['t0', 't1'] }],
              },
            },
          ],
          ports: [{ protocol: 'UDP', port: 'dns' }, { port: 443 }],
        },
        { to: [{ ipBlock: { cidr: 'fd00::/8', except: ['fd80::/16'] } }] },
      ];
    pol.push({ metadata: { name: `policy-${i}`, namespace }, spec });
  }
  const namespaces = Array.from({ length: 10 }, (_, i) => ({
    name: `ns${i}`,
    labels: { team: `t${i % 3}` },
  }));
  return { pods: ps, namespaces, policies: pol };
}
