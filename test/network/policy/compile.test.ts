// The compiler without a kernel: what the ruleset contains for each NetworkPolicy feature, how it
// grows, and (with nft -c in a throwaway namespace) that nft accepts it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compilePolicy, compileRuleset } from '../../../src/network/policy/compile.js';
import { PolicyError } from '../../../src/network/policy/errors.js';
import type {
  NetworkPolicy,
  PolicyNamespace,
  PolicyPod,
  PolicyState,
} from '../../../src/network/policy/types.js';
import { nftCheck, nftCheckUnavailable } from './nft-check.js';
import { syntheticState } from './synthetic.js';

const opts = { table: 'corral' };
const pod = (
  namespace: string,
  name: string,
  labels: Record<string, string>,
  ips: string[],
  ports: PolicyPod['ports'] = [],
): PolicyPod => ({
  namespace,
  name,
  labels,
  ips,
  ports,
});
const policy = (namespace: string, name: string, spec: NetworkPolicy['spec']): NetworkPolicy => ({
  metadata: { name, namespace },
  spec,
});
const pods = [
  pod(
    'a',
    'web',
    { app: 'web' },
    ['10.0.0.2', 'fd00::2'],
    [
      { name: 'http', containerPort: 8080 },
      { name: 'dns', containerPort: 5353, protocol: 'UDP' },
    ],
  ),
  pod('a', 'client', { role: 'client' }, ['10.0.0.3']),
  pod('b', 'api', { app: 'api' }, ['10.0.1.4'], [{ name: 'http', containerPort: 9090 }]),
  pod('b', 'host', { app: 'web' }, ['192.168.1.10'], []),
];
pods[3]!.hostNetwork = true;
const namespaces: PolicyNamespace[] = [
  { name: 'a', labels: {} },
  { name: 'b', labels: { env: 'prod' } },
];
const state = (policies: NetworkPolicy[], p = pods): PolicyState => ({ pods: p, namespaces, policies });
const chain = (script: string, name: string) => {
  const m = new RegExp(`^  chain ${name} \\{\\n([\\s\\S]*?)^  \\}`, 'm').exec(script);
  assert.ok(m, `no chain ${name} in\n${script}`);
  return m[1]!.replace(/\n$/, '');
};
/** The elements of the set that the rule matching `rule` in `chainName` looks up. */
const elementsFor = (script: string, chainName: string, rule: RegExp) => {
  const line = chain(script, chainName)
    .split('\n')
    .find((l) => rule.test(l));
  assert.ok(line, `no rule ${rule} in chain ${chainName}\n${script}`);
  const name = /@(\S+) accept/.exec(line)![1]!;
  return /elements = \{ (.*?) \} \}/.exec(setOf(script, name))?.[1] ?? '';
};
const setOf = (script: string, name: string) => {
  const m = new RegExp(`  (?:set|map) ${name} \\{[^\\n]*`).exec(script);
  assert.ok(m, `no set ${name} in\n${script}`);
  return m[0];
};

test('no policies: base chains only, empty maps, everything allowed', () => {
  const c = compilePolicy(state([]), opts);
  assert.match(c.script, /^table inet corral \{\}\ndelete table inet corral\ntable inet corral \{\n/);
  assert.match(setOf(c.script, 'ingress4'), /\{ type ipv4_addr : verdict; \}/);
  assert.match(
    chain(c.script, 'forward-ingress'),
    /type filter hook forward priority filter; policy accept;\n\s+ct state established,related accept/,
  );
  assert.match(
    chain(c.script, 'forward-egress'),
    /hook forward priority filter - 1;[\s\S]*ip saddr vmap @egress4/,
  );
  assert.doesNotMatch(c.script, /hook (input|output)/);
  assert.equal(c.rules, 10);
  assert.equal(c.setElements, 0);
});

test('only selected pods are isolated, per direction, by IP of either family', () => {
  const s = compileRuleset(
    state([
      policy('a', 'web-in', { podSelector: { matchLabels: { app: 'web' } } }),
      policy('a', 'client-out', {
        podSelector: { matchLabels: { role: 'client' } },
        policyTypes: ['Egress'],
      }),
      // Egress rules present without policyTypes: Ingress and Egress.
      policy('b', 'all-b', { podSelector: {}, egress: [{}] }),
    ]),
    opts,
  );
  assert.match(
    setOf(s, 'ingress4'),
    /elements = \{ 10\.0\.0\.2 : jump ingress-g\d, 10\.0\.1\.4 : jump ingress-g\d \}/,
  );
  assert.match(setOf(s, 'ingress6'), /elements = \{ fd00::2 : jump ingress-g\d \}/);
  assert.match(
    setOf(s, 'egress4'),
    /elements = \{ 10\.0\.0\.3 : jump egress-g\d, 10\.0\.1\.4 : jump egress-g\d \}/,
  );
  // The hostNetwork pod in namespace b is not subject, though podSelector {} matches it.
  assert.doesNotMatch(s, /192\.168\.1\.10/);
  // Policies are numbered in namespace/name order: a/client-out, a/web-in, b/all-b.
  assert.match(chain(s, 'p2-eg'), /^\s+accept comment "b\/all-b"$/);
  assert.equal(chain(s, 'p0-eg').trim(), '');
  assert.equal(chain(s, 'p1-in').trim(), '');
});

test('pods selected by the same policies share one chain; each of their policies is a jump', () => {
  const many = Array.from({ length: 50 }, (_, i) => pod('a', `p${i}`, { app: 'web' }, [`10.1.0.${i + 1}`]));
  const c = compilePolicy(
    state(
      [
        policy('a', 'one', { podSelector: {}, ingress: [{ ports: [{ port: 80 }] }] }),
        policy('a', 'two', {
          podSelector: { matchLabels: { app: 'web' } },
          ingress: [{ ports: [{ port: 443 }] }],
        }),
      ],
      many,
    ),
    opts,
  );
  assert.equal((c.script.match(/chain ingress-g/g) ?? []).length, 1);
  assert.equal(chain(c.script, 'ingress-g0').trim().split('\n').length, 3);
  assert.match(
    chain(c.script, 'ingress-g0'),
    /jump p0-in comment "a\/one"\n\s+jump p1-in comment "a\/two"\n\s+counter drop/,
  );
  assert.equal((setOf(c.script, 'ingress4').match(/jump ingress-g0/g) ?? []).length, 50);
});

test('peers: podSelector in the own namespace, namespaceSelector, both, and ipBlock with except', () => {
  const s = compileRuleset(
    state([
      policy('a', 'p', {
        podSelector: { matchLabels: { app: 'web' } },
        ingress: [
          { from: [{ podSelector: { matchLabels: { role: 'client' } } }] },
          { from: [{ namespaceSelector: { matchLabels: { env: 'prod' } } }] },
          {
            from: [
              {
                namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'b' } },
                podSelector: { matchLabels: { app: 'nothing' } },
              },
            ],
          },
          { from: [{ ipBlock: { cidr: '10.0.0.0/16', except: ['10.0.0.0/24', '10.0.200.7/32'] } }] },
        ],
      }),
    ]),
    opts,
  );
  const rules = chain(s, 'p0-in').split('\n');
  // The third rule matches no pod, so it allows nothing and has no nft rule.
  assert.equal(rules.length, 3);
  assert.deepEqual(
    rules.map((r) => elementsFor(s, 'p0-in', new RegExp(r.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))),
    ['10.0.0.3', '10.0.1.4', '10.0.1.0-10.0.200.6, 10.0.200.8-10.0.255.255'],
  );
  for (const r of rules) assert.match(r, /^\s+ip saddr @peers4-\d+ accept comment "a\/p"$/);
});

test('ports: protocols, ranges, named ports resolved on each destination pod', () => {
  const s = compileRuleset(
    state([
      policy('a', 'in', {
        podSelector: { matchLabels: { app: 'web' } },
        ingress: [
          {
            ports: [
              { port: 'http' },
              { protocol: 'UDP', port: 'dns' },
              { protocol: 'UDP', port: 'http' }, // http is TCP on the pod: resolves to nothing
              { port: 80 },
              { port: 81, endPort: 90 },
              { protocol: 'SCTP' },
            ],
          },
        ],
      }),
      policy('a', 'out', {
        podSelector: { matchLabels: { role: 'client' } },
        policyTypes: ['Egress'],
        egress: [{ to: [{ namespaceSelector: {} }], ports: [{ port: 'http' }] }],
      }),
    ]),
    opts,
  );
  const rules = chain(s, 'p0-in');
  assert.match(rules, /meta l4proto sctp accept/);
  assert.match(rules, /meta l4proto tcp th dport 80-90 accept/);
  assert.equal(
    elementsFor(s, 'p0-in', /^\s+ip daddr \. meta l4proto \. th dport @/),
    '10.0.0.2 . tcp . 8080, 10.0.0.2 . udp . 5353',
  );
  assert.equal(
    elementsFor(s, 'p0-in', /^\s+ip6 daddr \. meta l4proto \. th dport @/),
    'fd00::2 . tcp . 8080, fd00::2 . udp . 5353',
  );
  assert.equal(rules.split('\n').length, 4);
  // Egress: "http" is 8080 on web and 9090 on api; the client itself has no such port.
  assert.equal(
    elementsFor(s, 'p1-eg', /^\s+ip daddr \. meta l4proto \. th dport @/),
    '10.0.0.2 . tcp . 8080, 10.0.1.4 . tcp . 9090',
  );
});

test('policies with the same peers share one set', () => {
  const from = [{ namespaceSelector: { matchLabels: { env: 'prod' } } }];
  const c = compilePolicy(
    state([
      policy('a', 'one', { podSelector: {}, ingress: [{ from, ports: [{ port: 80 }] }] }),
      policy('a', 'two', { podSelector: {}, ingress: [{ from, ports: [{ port: 443 }] }] }),
    ]),
    opts,
  );
  assert.equal((c.script.match(/^ {2}set peers4-/gm) ?? []).length, 1);
  assert.match(chain(c.script, 'p0-in'), /ip saddr @peers4-0 meta l4proto tcp th dport 80 accept/);
  assert.match(chain(c.script, 'p1-in'), /ip saddr @peers4-0 meta l4proto tcp th dport 443 accept/);
});

test('invalid policies and bad pod IPs are skipped with a warning; a bad table name throws', () => {
  const c = compilePolicy(
    state(
      [policy('a', 'bad', { podSelector: {}, ingress: [{ ports: [{ port: 0 }] }] })],
      [...pods, pod('a', 'dup', {}, ['10.0.0.2', 'not-an-ip'])],
    ),
    opts,
  );
  assert.deepEqual(c.warnings, [
    'pod a/dup: IP 10.0.0.2 is already used by a/web; ignoring it',
    'pod a/dup: ignoring invalid IP "not-an-ip"',
    'NetworkPolicy a/bad is invalid and was not applied: spec.ingress[0].ports[0].port: 0 must be between 1 and 65535',
  ]);
  assert.match(setOf(c.script, 'ingress4'), /type ipv4_addr : verdict; \}/);
  assert.throws(() => compileRuleset(state([]), { table: 'bad name' }), PolicyError);
});

test('the script does not depend on the order of pods and policies', () => {
  const st = syntheticState(60, 30);
  const a = compileRuleset(st, opts);
  const b = compileRuleset({ ...st, policies: [...st.policies].reverse() }, opts);
  assert.equal(a, b);
});

test('rules grow linearly with policies', () => {
  const rules = [10, 100, 1000].map((n) => compilePolicy(syntheticState(100, n), opts).rules);
  const per = rules.map((r, i) => r / [10, 100, 1000][i]!);
  // Each policy adds a fixed handful of rules (its own chain) plus one jump per group it isolates.
  assert.ok(per[2]! < per[1]! * 1.5 && per[1]! < per[0]! * 1.5, `rules ${rules.join(', ')}`);
  assert.ok(rules[2]! > rules[1]! * 5, `rules ${rules.join(', ')}`);
});

test(
  'nft accepts the generated scripts (nft -c in a throwaway network namespace)',
  { skip: nftCheckUnavailable ?? false },
  () => {
    const sample = state([
      policy('a', 'all', {
        podSelector: {},
        ingress: [
          {
            from: [{ ipBlock: { cidr: 'fd00::/16', except: ['fd00::/64'] } }],
            ports: [{ port: 'http' }, { protocol: 'SCTP', port: 9 }],
          },
          {
            from: [{ podSelector: {} }],
            ports: [
              { protocol: 'UDP', port: 'dns' },
              { port: 1, endPort: 1024 },
            ],
          },
        ],
        egress: [{ to: [{ namespaceSelector: {} }], ports: [{ port: 'http' }] }, {}],
      }),
    ]);
    for (const nodeTraffic of ['allow', 'enforce'] as const)
      assert.equal(nftCheck(compileRuleset(sample, { table: 'corral', nodeTraffic })), '');
    const big = compilePolicy(syntheticState(100, 100), opts);
    assert.ok(
      big.rules > 100 && big.setElements > 100,
      `${big.rules} rules, ${big.setElements} set elements`,
    );
    assert.equal(nftCheck(big.script), '');
    // And the check does fail on a broken script, so the assertions above mean something.
    assert.notEqual(nftCheck(big.script.replace('counter drop', 'counter dorp')), '');
  },
);
