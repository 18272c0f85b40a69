// Pod networking end to end through the node agent: CNI (the standard bridge, host-local,
// portmap and bandwidth plugins) gives pods addresses that appear in their status, pods reach each
// other and a hostPort, NetworkPolicy from the manifests directory drops and admits real
// connections, and addresses are released when pods go, also across an agent restart. The node's
// "host" network namespace is a private one the test creates, so nothing on the machine changes.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NodeAgent } from '../../src/node/agent.js';
import { isRoot, nodeInstance, pod, waitFor } from './support.js';

const skip = (!isRoot || !existsSync('/usr/lib/cni/bridge')) && 'needs root and the CNI plugins';

/** A private "node" network namespace holding the bridge; removed with everything in it. */
function nodeNetns(t: { after: (fn: () => void) => void }, name: string): string {
  spawnSync('ip', ['netns', 'del', name], { stdio: 'ignore' });
  execFileSync('ip', ['netns', 'add', name]);
  execFileSync('ip', ['-n', name, 'link', 'set', 'lo', 'up']);
  t.after(() => void spawnSync('ip', ['netns', 'del', name], { stdio: 'ignore' }));
  return `/run/netns/${name}`;
}

/** A TCP connection from inside a network namespace; the server's reply, or '' when it failed. */
function connect(netns: string, ip: string, port: number): string {
  const r = spawnSync('nsenter', [`--net=${netns}`, 'busybox', 'nc', '-w', '1', ip, String(port)], {
    input: '',
    encoding: 'utf8',
    timeout: 5000,
  });
  return r.stdout.trim();
}

const server = (name: string, labels: string, extra = '') => `apiVersion: v1
kind: Pod
metadata: {name: ${name}, labels: {${labels}}}
spec:
  terminationGracePeriodSeconds: 0
  containers:
  - name: srv
    image: busybox
    command: [nc, -ll, -p, '8080', -e, echo, 'hi from ${name}']
    ports: [{name: http, containerPort: 8080${extra}}]
`;

const policy = (name: string, spec: string) => `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: ${name}}
spec:
${spec}`;

test(
  'pods get addresses, reach each other and a hostPort; NetworkPolicy drops and admits',
  { skip },
  async (t) => {
    const nsName = `cnn-${process.pid}`;
    const hostNetns = nodeNetns(t, nsName);
    const n = nodeInstance(t, {
      network: { hostNetns, podCIDR: '10.213.7.0/24', bridge: `cnb${process.pid % 100000}` },
    });
    n.write('a.yaml', server('a', 'app: a'));
    n.write('b.yaml', server('b', 'app: b', ', hostPort: 30080'));
    n.write('c.yaml', server('c', 'app: c'));
    await n.agent.start();
    const ready = (name: string) =>
      waitFor(`${name} running with an IP`, () => {
        const p = pod(n.agent, name);
        return p?.status.podIP && p.status.containerStatuses[0]?.state.running ? p : undefined;
      });
    const [a, b, c] = [await ready('a'), await ready('b'), await ready('c')];
    for (const p of [a, b, c]) assert.match(p.status.podIP!, /^10\.213\.7\.\d+$/);
    assert.deepEqual(b.status.podIPs, [{ ip: b.status.podIP }]);
    const netnsOf = (p: typeof a) => `/proc/${p.sandboxPid}/ns/net`;
    const ipB = b.status.podIP!;

    // Pod to pod, and the hostPort from the node (to the bridge's gateway address).
    await waitFor('a reaches b', () => connect(netnsOf(a), ipB, 8080) === 'hi from b');
    assert.equal(connect(netnsOf(c), ipB, 8080), 'hi from b');
    assert.equal(connect(hostNetns, '10.213.7.1', 30080), 'hi from b');

    // Default-deny ingress for b: nobody gets in, but b's own outgoing connections still work.
    n.write(
      'deny.yaml',
      policy('deny-b', '  podSelector: {matchLabels: {app: b}}\n  policyTypes: [Ingress]\n'),
    );
    await waitFor('a is cut off from b', () => connect(netnsOf(a), ipB, 8080) === '', 5000);
    assert.equal(connect(netnsOf(c), ipB, 8080), '');
    assert.equal(connect(netnsOf(b), a.status.podIP!, 8080), 'hi from a');

    // Allow from pods labelled app=a on the named port: a gets in again, c still does not.
    n.write(
      'allow.yaml',
      policy(
        'allow-a',
        '  podSelector: {matchLabels: {app: b}}\n  ingress:\n  - from: [{podSelector: {matchLabels: {app: a}}}]\n    ports: [{port: http}]\n',
      ),
    );
    await waitFor('a reaches b again', () => connect(netnsOf(a), ipB, 8080) === 'hi from b', 5000);
    assert.equal(connect(netnsOf(c), ipB, 8080), '');

    // Without the policies everything is open again.
    n.remove('deny.yaml');
    n.remove('allow.yaml');
    await waitFor('c reaches b again', () => connect(netnsOf(c), ipB, 8080) === 'hi from b', 5000);

    // A removed pod's address is released.
    const leases = join(n.dataDir, 'cni', 'networks', 'corral');
    assert.ok(readdirSync(leases).includes(a.status.podIP!));
    n.remove('a.yaml');
    await waitFor('a gone', () => !pod(n.agent, 'a'));
    await n.agent.settled();
    assert.ok(!readdirSync(leases).includes(a.status.podIP!));

    // Restart: b keeps running with its address; c, removed while no agent ran, is released.
    await n.agent.shutdown();
    n.remove('c.yaml');
    const again = new NodeAgent({ ...n.agent.opts });
    t.after(() => again.shutdown({ stopPods: true }).catch(() => undefined));
    await again.start();
    await again.settled();
    const b2 = await waitFor('b adopted', () =>
      pod(again, 'b')?.status.podIP ? pod(again, 'b') : undefined,
    );
    assert.equal(b2.status.podIP, ipB);
    assert.equal(b2.sandboxPid, b.sandboxPid);
    assert.ok(!readdirSync(leases).includes(c.status.podIP!), 'c released at start');
    assert.equal(connect(netnsOf(b2), ipB, 8080), 'hi from b');
    await again.shutdown({ stopPods: true });
    assert.deepEqual(
      readdirSync(leases).filter((f) => /^\d/.test(f)),
      [],
    );
    // The agent's nftables table is gone with it.
    const tables = execFileSync('ip', ['netns', 'exec', nsName, 'nft', 'list', 'tables'], {
      encoding: 'utf8',
    });
    assert.doesNotMatch(tables, /corral/);
  },
);
