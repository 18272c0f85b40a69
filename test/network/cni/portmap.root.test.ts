// hostPorts and bandwidth limits through the real portmap and bandwidth plugins: a TCP server in
// a pod answers on the host's addresses (portmap DNATs non-loopback destinations: the bridge
// gateway and a "node IP" on a veth standing in for the uplink: this kernel has no dummy devices), the pod's annotations become tbf qdiscs on its host
// side, and DEL takes both away.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bandwidthFromAnnotations, podIPs } from '../../../src/network/cni/index.js';
import { inNs, NetLab, run, skip, waitFor } from './support.js';

test(
  'a hostPort reaches the pod; bandwidth annotations shape its veth; DEL removes both',
  { skip, timeout: 120_000 },
  async (t) => {
    const lab = new NetLab(t, 'pm');
    const rt = lab.runtime();
    const net = lab.network('10.211.4.0/24');
    const nodeIP = '192.168.211.10';
    run([
      'ip',
      'netns',
      'exec',
      lab.host,
      'sh',
      '-c',
      `ip link add nodeip0 type veth peer name nodeip1 && ip addr add ${nodeIP}/32 dev nodeip0 && ip link set nodeip1 up && ip link set nodeip0 up`,
    ]);
    const pod = lab.netns('pod');
    const bandwidth = bandwidthFromAnnotations({
      'kubernetes.io/ingress-bandwidth': '10M',
      'kubernetes.io/egress-bandwidth': '20M',
    });
    const r = await rt.add(net, {
      containerId: 'web-1',
      netns: `/run/netns/${pod}`,
      capabilityArgs: { portMappings: [{ hostPort: 8080, containerPort: 80, protocol: 'tcp' }], bandwidth },
    });
    const [ip] = podIPs(r);
    assert.ok(ip);
    // A persistent server (-ll) in the pod.
    lab.spawnIn(pod, ['busybox', 'nc', '-ll', '-p', '80', '-e', 'echo', 'hi-from-pod']);
    await waitFor('the pod server listening', () =>
      /:80 /.test(inNs(pod, ['busybox', 'netstat', '-ltn']).out),
    );
    const connect = (addr: string, port: number): { status: number; out: string } =>
      inNs(lab.host, ['busybox', 'nc', '-w', '2', addr, String(port)]);
    assert.equal(connect(ip, 80).out.trim(), 'hi-from-pod', 'direct to the pod');
    assert.equal(connect('10.211.4.1', 8080).out.trim(), 'hi-from-pod', 'hostPort on the gateway address');
    assert.equal(connect(nodeIP, 8080).out.trim(), 'hi-from-pod', 'hostPort on the node address');
    assert.notEqual(connect(nodeIP, 8081).out.trim(), 'hi-from-pod', 'only the mapped port');

    // Ingress (to the pod) is a tbf on the host veth; egress is a tbf on an ifb fed from the veth's ingress qdisc.
    const veth = r.interfaces.find((i) => !i.sandbox && i.name !== lab.bridge)!.name;
    const qdiscs = inNs(lab.host, ['tc', 'qdisc', 'show']).out;
    assert.match(qdiscs, new RegExp(`qdisc tbf \\S+ dev ${veth} root .*rate 10Mbit`));
    assert.match(qdiscs, new RegExp(`qdisc ingress \\S+ dev ${veth} `));
    assert.match(qdiscs, /qdisc tbf \S+ dev bwp\S+ root .*rate 20Mbit/);
    assert.match(inNs(lab.host, ['iptables', '-t', 'nat', '-S']).out, /id: \\"web-1\\".*--dports 8080/);

    await rt.del(net, { containerId: 'web-1', netns: `/run/netns/${pod}` });
    const after = inNs(lab.host, ['tc', 'qdisc', 'show']).out;
    assert.doesNotMatch(after, /tbf|bwp/, after);
    assert.doesNotMatch(inNs(lab.host, ['iptables', '-t', 'nat', '-S']).out, /web-1/);
    assert.notEqual(connect(nodeIP, 8080).out.trim(), 'hi-from-pod', 'the hostPort is gone');
    assert.deepEqual(lab.leases(net.name), []);
  },
);
