import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validateNetworkPolicy } from '../../../src/network/policy/validate.js';

const np = (spec: unknown, metadata: unknown = { name: 'p', namespace: 'default' }) => ({
  apiVersion: 'networking.k8s.io/v1',
  kind: 'NetworkPolicy',
  metadata,
  spec,
});

test('a complete, valid policy has no problems', () => {
  assert.deepEqual(
    validateNetworkPolicy(
      np({
        podSelector: { matchLabels: { app: 'db' }, matchExpressions: [{ key: 'tier', operator: 'Exists' }] },
        policyTypes: ['Ingress', 'Egress'],
        ingress: [
          {
            from: [
              { ipBlock: { cidr: '172.17.0.0/16', except: ['172.17.1.0/24'] } },
              {
                namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'web' } },
                podSelector: {},
              },
            ],
            ports: [
              { protocol: 'TCP', port: 6379 },
              { port: 'metrics' },
              { protocol: 'SCTP', port: 32000, endPort: 32768 },
            ],
          },
        ],
        egress: [{ to: [{ ipBlock: { cidr: 'fd00::/8', except: ['fd00:1::/32'] } }] }, {}],
      }),
    ),
    [],
  );
  assert.deepEqual(validateNetworkPolicy(np({ podSelector: {} })), []);
});

test('every problem names its field', () => {
  const errs = validateNetworkPolicy(
    np(
      {
        podSelector: {
          matchExpressions: [
            { key: 'a', operator: 'In' },
            { key: 'b', operator: 'Near', values: ['x'] },
          ],
        },
        policyTypes: ['Ingress', 'Sideways'],
        ingress: [
          {
            from: [
              {},
              { ipBlock: { cidr: '10.0.0.0/8', except: ['11.0.0.0/16', '10.0.0.0/8'] }, podSelector: {} },
            ],
            ports: [
              { port: 80 },
              { port: 70000 },
              { protocol: 'ICMP' },
              { port: 'HTTP' },
              { port: 'http', endPort: 90 },
            ],
          },
        ],
        egress: [
          { ports: [{ port: 100, endPort: 99 }, { endPort: 5 }], to: [{ ipBlock: { cidr: 'nope' } }] },
        ],
      },
      { name: 'Bad_Name' },
    ),
  );
  const expect = [
    /^metadata\.name: "Bad_Name" must be a DNS subdomain/,
    /^metadata\.namespace: required/,
    /^spec\.podSelector\.matchExpressions\[0\]\.values: must be non-empty when operator is In/,
    /^spec\.podSelector\.matchExpressions\[1\]\.operator: "Near" is not one of In, NotIn, Exists, DoesNotExist/,
    /^spec\.policyTypes\[1\]: "Sideways" is not one of Ingress, Egress/,
    /^spec\.ingress\[0\]\.ports\[1\]\.port: 70000 must be between 1 and 65535/,
    /^spec\.ingress\[0\]\.ports\[2\]\.protocol: "ICMP" is not one of TCP, UDP, SCTP/,
    /^spec\.ingress\[0\]\.ports\[3\]\.port: "HTTP" must be a number 1-65535 or a port name/,
    /^spec\.ingress\[0\]\.ports\[4\]\.endPort: may not be set when port is a named port/,
    /^spec\.ingress\[0\]\.from\[0\]: must specify podSelector, namespaceSelector or ipBlock/,
    /^spec\.ingress\[0\]\.from\[1\]: ipBlock may not be combined with podSelector or namespaceSelector/,
    /^spec\.ingress\[0\]\.from\[1\]\.ipBlock\.except\[0\]: "11\.0\.0\.0\/16" must be a strict subset of cidr/,
    /^spec\.ingress\[0\]\.from\[1\]\.ipBlock\.except\[1\]: "10\.0\.0\.0\/8" must be a strict subset of cidr/,
    /^spec\.egress\[0\]\.ports\[0\]\.endPort: 99 must be greater than or equal to port \(100\)/,
    /^spec\.egress\[0\]\.ports\[1\]\.endPort: may not be set without port/,
    /^spec\.egress\[0\]\.to\[0\]\.ipBlock\.cidr: "nope" is not a valid CIDR/,
  ];
  for (const re of expect)
    assert.ok(
      errs.some((e) => re.test(e)),
      `missing ${re}\n${errs.join('\n')}`,
    );
  assert.equal(errs.length, expect.length, errs.join('\n'));
});

test('missing spec, podSelector and non-objects are reported, not thrown', () => {
  assert.deepEqual(validateNetworkPolicy(null), ['NetworkPolicy: must be an object with metadata and spec']);
  assert.match(validateNetworkPolicy(np(undefined)).join('\n'), /^spec: required/m);
  assert.match(validateNetworkPolicy(np({})).join('\n'), /^spec\.podSelector: required/m);
  assert.match(
    validateNetworkPolicy(np({ podSelector: { matchLabels: { 'bad key!': 'v', ok: 'bad value!' } } })).join(
      '\n',
    ),
    /spec\.podSelector\.matchLabels: key "bad key!"[\s\S]*spec\.podSelector\.matchLabels\.ok: "bad value!"/,
  );
  assert.match(
    validateNetworkPolicy(np({ podSelector: {}, ingress: {} })).join('\n'),
    /^spec\.ingress: must be a list/m,
  );
});
