// NetworkPolicy on real packets: a private node namespace with a bridge and five pod namespaces
// (busybox nc servers on 8080 and 8081), the engine applying Corral's table there, and real TCP
// connections that must get through or not.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { PolicyEngine } from '../../../src/network/policy/engine.js';
import type {
  NetworkPolicy,
  PolicyNamespace,
  PolicyPod,
  PolicyState,
} from '../../../src/network/policy/types.js';
import { canRun, connect, TestNode } from './netns.js';

const skip = !canRun && 'needs root, /bin/busybox and nft';
const TABLE = 'corral-test';
const PORTS = [8080, 8081];

const pods: PolicyPod[] = [
  {
    namespace: 'alpha',
    name: 'a1',
    labels: { app: 'web' },
    ips: [],
    ports: [{ name: 'http', containerPort: 8080 }],
  },
  { namespace: 'alpha', name: 'a2', labels: { role: 'client' }, ips: [], ports: [] },
  { namespace: 'alpha', name: 'a3', labels: {}, ips: [], ports: [] },
  { namespace: 'beta', name: 'b1', labels: { role: 'client' }, ips: [], ports: [] },
  { namespace: 'beta', name: 'b2', labels: { app: 'other' }, ips: [], ports: [] },
];
const namespaces: PolicyNamespace[] = [
  { name: 'alpha', labels: { team: 'a' } },
  { name: 'beta', labels: { team: 'b', access: 'yes' } },
];

const policy = (namespace: string, name: string, spec: NetworkPolicy['spec']): NetworkPolicy => ({
  apiVersion: 'networking.k8s.io/v1',
  kind: 'NetworkPolicy',
  metadata: { name, namespace },
  spec,
});
const denyAlpha = policy('alpha', 'deny-all', { podSelector: {} });
const web = { matchLabels: { app: 'web' } };

/** [from pod or 'node', to pod, port, expected to connect, optional 6 for IPv6] */
type Case = [string, string, number, boolean, 6?];

test('NetworkPolicy enforced by nftables on real connections', { skip }, async (t) => {
  const node = new TestNode();
  const logs: string[] = [];
  let engine: PolicyEngine | undefined;
  t.after(async () => {
    await engine?.stop().catch(() => undefined);
    await node.destroy();
  });
  node.create();
  pods.forEach((p, i) => {
    const tp = node.addPod(p.name, 11 + i, PORTS);
    p.ips = [tp.ip4, tp.ip6];
  });
  await node.ready();
  // Another table in the node namespace that the engine must leave alone.
  execFileSync('ip', ['netns', 'exec', node.netns, 'nft', 'add table inet someone-else']);
  engine = new PolicyEngine({ table: TABLE, netns: node.path, log: (m) => logs.push(m) });
  const eng = engine;

  const state = (policies: NetworkPolicy[], podList = pods): PolicyState => ({
    pods: podList,
    namespaces,
    policies,
  });
  const apply = async (policies: NetworkPolicy[], podList = pods) => {
    eng.update(state(policies, podList));
    await eng.flush();
  };
  const check = async (cases: Case[]) => {
    const got = await Promise.all(
      cases.map(async ([from, to, port, , fam]) => {
        const dst = node.pod(to);
        const ns = from === 'node' ? node.netns : node.pod(from).netns;
        return (await connect(ns, fam === 6 ? dst.ip6 : dst.ip4, port)) === to;
      }),
    );
    const wrong = cases
      .filter((c, i) => got[i] !== c[3])
      .map((c) => `${c[0]}→${c[1]}:${c[2]}${c[4] ? ' (IPv6)' : ''} ${c[3] ? 'blocked' : 'got through'}`);
    assert.deepEqual(wrong, [], `unexpected: ${wrong.join(', ')}\n${logs.join('\n')}`);
  };

  await t.test('without policies every pod reaches every other', async () => {
    await apply([]);
    assert.ok(node.tables().includes(`inet ${TABLE}`));
    await check([
      ['a2', 'a1', 8080, true],
      ['b1', 'a1', 8081, true],
      ['a1', 'b2', 8080, true],
      ['b2', 'a3', 8081, true],
      ['b1', 'a1', 8080, true, 6],
    ]);
  });

  await t.test('default-deny ingress in a namespace isolates its pods, not their replies', async () => {
    await apply([denyAlpha]);
    await check([
      ['a2', 'a1', 8080, false],
      ['b1', 'a1', 8080, false],
      ['b1', 'a3', 8081, false],
      ['b1', 'a1', 8080, false, 6],
      ['a1', 'b1', 8080, true], // alpha's egress is open and b1's reply flows back
      ['b1', 'b2', 8080, true],
      ['node', 'a1', 8080, true], // the node may always reach its pods (kubelet probes)
    ]);
  });

  await t.test('allow from pods labelled role=client in the same namespace', async () => {
    const allow = policy('alpha', 'allow-client', {
      podSelector: web,
      ingress: [{ from: [{ podSelector: { matchLabels: { role: 'client' } } }] }],
    });
    await apply([denyAlpha, allow]);
    await check([
      ['a2', 'a1', 8080, true],
      ['a2', 'a1', 8081, true],
      ['a3', 'a1', 8080, false],
      ['b1', 'a1', 8080, false], // role=client, but in another namespace
      ['a2', 'a3', 8080, false], // a3 is isolated by deny-all alone
    ]);
  });

  await t.test('namespaceSelector, and namespaceSelector with podSelector in one peer', async () => {
    const fromNs = policy('alpha', 'from-beta', {
      podSelector: web,
      ingress: [{ from: [{ namespaceSelector: { matchLabels: { access: 'yes' } } }] }],
    });
    await apply([denyAlpha, fromNs]);
    await check([
      ['b1', 'a1', 8080, true],
      ['b2', 'a1', 8080, true],
      ['a2', 'a1', 8080, false],
    ]);
    const combined = policy('alpha', 'from-beta-clients', {
      podSelector: web,
      ingress: [
        {
          from: [
            {
              namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'beta' } },
              podSelector: { matchLabels: { role: 'client' } },
            },
          ],
        },
      ],
    });
    await apply([denyAlpha, combined]);
    await check([
      ['b1', 'a1', 8080, true],
      ['b1', 'a1', 8080, true, 6],
      ['b2', 'a1', 8080, false],
      ['a2', 'a1', 8080, false],
    ]);
  });

  await t.test('an egress policy limits ports; replies to allowed ingress still flow', async () => {
    const egress = policy('beta', 'b2-out-8080', {
      podSelector: { matchLabels: { app: 'other' } },
      policyTypes: ['Egress'],
      egress: [{ ports: [{ protocol: 'TCP', port: 8080 }] }],
    });
    await apply([egress]);
    await check([
      ['b2', 'a1', 8080, true],
      ['b2', 'a1', 8081, false],
      ['b2', 'b1', 8081, false],
      ['b2', 'a1', 8081, false, 6],
      ['a1', 'b2', 8081, true], // b2's answer goes to a1's ephemeral port: established
      ['b1', 'b2', 8080, true],
    ]);
  });

  await t.test('ipBlock with except (IPv4 and IPv6)', async () => {
    const block = policy('alpha', 'from-block', {
      podSelector: web,
      ingress: [
        {
          from: [
            { ipBlock: { cidr: '10.77.0.0/24', except: ['10.77.0.12/32'] } },
            { ipBlock: { cidr: 'fd77::/64', except: ['fd77::14/128'] } },
          ],
        },
      ],
    });
    await apply([block]);
    await check([
      ['a3', 'a1', 8080, true],
      ['b1', 'a1', 8080, true],
      ['a2', 'a1', 8080, false],
      ['a3', 'a1', 8080, true, 6],
      ['b1', 'a1', 8080, false, 6],
    ]);
  });

  await t.test('named port and endPort', async () => {
    const named = policy('alpha', 'http-only', {
      podSelector: web,
      ingress: [{ ports: [{ port: 'http' }] }],
    });
    await apply([named]);
    await check([
      ['b1', 'a1', 8080, true],
      ['b1', 'a1', 8081, false],
      ['b1', 'a1', 8080, true, 6],
    ]);
    const range = policy('alpha', 'range', {
      podSelector: web,
      ingress: [{ ports: [{ protocol: 'TCP', port: 8081, endPort: 8090 }] }],
    });
    await apply([range]);
    await check([
      ['b1', 'a1', 8081, true],
      ['b1', 'a1', 8080, false],
    ]);
  });

  await t.test('removing policies restores access; a label change takes effect within 1 s', async () => {
    await apply([]);
    await check([
      ['b1', 'a1', 8080, true],
      ['a2', 'a3', 8081, true],
    ]);
    const allow = policy('alpha', 'allow-client', {
      podSelector: {},
      ingress: [{ from: [{ podSelector: { matchLabels: { role: 'client' } } }] }],
    });
    await apply([allow]);
    await check([['a3', 'a1', 8080, false]]);
    const relabelled = pods.map((p) => (p.name === 'a3' ? { ...p, labels: { role: 'client' } } : p));
    const t0 = Date.now();
    eng.update(state([allow], relabelled));
    await eng.flush();
    const answer = await connect(node.pod('a3').netns, node.pod('a1').ip4, 8080);
    const ms = Date.now() - t0;
    assert.equal(answer, 'a1');
    assert.ok(ms < 1000, `label change took ${ms} ms to take effect`);
  });

  await t.test('hostPort traffic is policed by the pod address it is DNATed to', async () => {
    // What a hostPort portmap does: node:18080 → a1:8080, in a table of the test's own node.
    const nat = `table ip hostport {
      chain prerouting { type nat hook prerouting priority dstnat; tcp dport 18080 dnat to ${node.pod('a1').ip4}:8080; }
    }`;
    execFileSync('ip', ['netns', 'exec', node.netns, 'nft', '-f', '-'], { input: nat });
    execFileSync('ip', ['netns', 'exec', node.netns, 'sysctl', '-qw', 'net.ipv4.ip_forward=1']);
    const viaNode = async (from: string) => connect(node.pod(from).netns, '10.77.0.1', 18080);
    await apply([]);
    assert.equal(await viaNode('b1'), 'a1');
    const allow = policy('alpha', 'allow-client', {
      podSelector: web,
      ingress: [{ from: [{ podSelector: { matchLabels: { role: 'client' } } }] }],
    });
    await apply([allow]);
    assert.deepEqual(await Promise.all([viaNode('b1'), viaNode('a2')]), ['', 'a1']);
  });

  await t.test("nodeTraffic 'enforce' polices the node like any other address", async () => {
    await eng.stop();
    engine = new PolicyEngine({
      table: TABLE,
      netns: node.path,
      nodeTraffic: 'enforce',
      log: (m) => logs.push(m),
    });
    engine.update(state([denyAlpha]));
    await engine.flush();
    await check([['node', 'a1', 8080, false]]);
    const fromNode = policy('alpha', 'from-node', {
      podSelector: web,
      ingress: [{ from: [{ ipBlock: { cidr: '10.77.0.1/32' } }] }],
    });
    engine.update(state([denyAlpha, fromNode]));
    await engine.flush();
    await check([
      ['node', 'a1', 8080, true],
      ['node', 'a2', 8080, false],
    ]);
  });

  await t.test('stop() deletes only Corral’s table', async () => {
    await engine!.stop();
    const tables = node.tables();
    assert.ok(!tables.includes(`inet ${TABLE}`), tables.join(', '));
    assert.ok(tables.includes('inet someone-else'), tables.join(', '));
    await check([['a2', 'a1', 8080, true]]);
  });
});

test(
  'the engine refuses to run when bridge-nf-call-iptables is 0, and says how to fix it',
  { skip },
  async (t) => {
    const node = new TestNode('nps');
    t.after(() => node.destroy());
    node.create();
    execFileSync('ip', [
      'netns',
      'exec',
      node.netns,
      'sysctl',
      '-qw',
      'net.bridge.bridge-nf-call-iptables=0',
    ]);
    const logs: string[] = [];
    const engine = new PolicyEngine({ netns: node.path, table: 'corral-test', log: (m) => logs.push(m) });
    engine.update({ pods: [], namespaces: [], policies: [] });
    await assert.rejects(engine.flush(), (e: Error) => {
      assert.match(e.message, /bridge-nf-call-iptables is 0/);
      assert.match(
        e.message,
        new RegExp(`nsenter --net=${node.path} sysctl -w net.bridge.bridge-nf-call-iptables=1`),
      );
      return true;
    });
    await assert.rejects(engine.start(), /bridge-nf-call-iptables is 0/);
    assert.equal(engine.stats.applies, 0);
    assert.ok(!node.tables().some((l) => l.includes('corral-test')));
    assert.match(logs.join('\n'), /keeping the previous ruleset/);
    // The engine did not change the sysctl itself.
    const v = execFileSync(
      'ip',
      ['netns', 'exec', node.netns, 'sysctl', '-n', 'net.bridge.bridge-nf-call-iptables'],
      {
        encoding: 'utf8',
      },
    );
    assert.equal(v.trim(), '0');
  },
);
