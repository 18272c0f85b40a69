// Real plugins (bridge, host-local, portmap, bandwidth from /usr/lib/cni) on a private "host"
// network namespace: pods get addresses and reach each other and the host; DEL releases the
// address, repeats harmlessly and copes with a netns already gone; 0.4.0 and 1.0.0 lists work.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CniError, podIPs, type CniResult } from '../../../src/network/cni/index.js';
import { inNs, NetLab, skip } from './support.js';

function hostVeth(r: CniResult, bridge: string): string {
  const v = r.interfaces.find((i) => !i.sandbox && i.name !== bridge);
  assert.ok(v, `no host veth in ${JSON.stringify(r.interfaces)}`);
  return v.name;
}

test(
  'two pods get addresses, reach each other and the host; DEL releases them',
  { skip, timeout: 120_000 },
  async (t) => {
    const lab = new NetLab(t, 'br');
    const rt = lab.runtime();
    const net = lab.network('10.211.1.0/24');
    const a = lab.netns('a');
    const b = lab.netns('b');
    // Debian's bandwidth 1.1.1 panics on CHECK without a bandwidth capability: give a one.
    const bandwidth = { ingressRate: 100_000_000, ingressBurst: 4294967295 };
    const ra = await rt.add(net, {
      containerId: 'pod-a',
      netns: `/run/netns/${a}`,
      args: { K8S_POD_NAME: 'a' },
      capabilityArgs: { bandwidth },
    });
    const rb = await rt.add(net, { containerId: 'pod-b', netns: `/run/netns/${b}` });
    const [ipA] = podIPs(ra);
    const [ipB] = podIPs(rb);
    assert.match(ipA!, /^10\.211\.1\.\d+$/);
    assert.match(ipB!, /^10\.211\.1\.\d+$/);
    assert.notEqual(ipA, ipB);
    assert.deepEqual(lab.leases(net.name).sort(), [ipA, ipB].sort());
    assert.equal(ra.ips[0]!.gateway, '10.211.1.1');

    const ping = (ns: string, ip: string): number => inNs(ns, ['busybox', 'ping', '-c1', '-W1', ip]).status;
    assert.equal(ping(a, ipB!), 0, 'a reaches b');
    assert.equal(ping(b, ipA!), 0, 'b reaches a');
    assert.equal(ping(lab.host, ipA!), 0, 'the host reaches a');
    assert.equal(ping(a, '10.211.1.1'), 0, 'a reaches its gateway');
    assert.match(inNs(a, ['ip', 'route']).out, /default via 10\.211\.1\.1 dev eth0/);

    // CHECK on the real plugins passes for a healthy attachment.
    await rt.check(net, { containerId: 'pod-a', netns: `/run/netns/${a}` });
    const vethA = hostVeth(ra, lab.bridge);
    assert.ok(lab.hostLinks().includes(vethA));

    await rt.del(net, { containerId: 'pod-a', netns: `/run/netns/${a}` });
    assert.deepEqual(lab.leases(net.name), [ipB], "a's address is released");
    assert.ok(!lab.hostLinks().includes(vethA), "a's veth is gone");
    assert.notEqual(ping(b, ipA!), 0, 'a is unreachable');
    await rt.del(net, { containerId: 'pod-a', netns: `/run/netns/${a}` });

    // CHECK notices a broken attachment: b's interface is gone.
    inNs(b, ['ip', 'link', 'del', 'eth0']);
    await assert.rejects(rt.check(net, { containerId: 'pod-b', netns: `/run/netns/${b}` }), (e: unknown) => {
      assert.ok(e instanceof CniError);
      assert.equal(e.plugin, 'bridge');
      assert.equal(e.command, 'CHECK');
      return true;
    });

    // The sandbox's netns is gone before DEL (a crashed pod): still fine, address released.
    lab.deleteNetns(b);
    await rt.del(net, { containerId: 'pod-b', netns: `/run/netns/${b}` });
    assert.deepEqual(lab.leases(net.name), []);
    assert.deepEqual(await rt.cachedAttachments(net), []);
  },
);

test(
  'the installed plugins speak 0.4.0 and 1.0.0, and a 0.4.0 list works end to end',
  { skip, timeout: 120_000 },
  async (t) => {
    const lab = new NetLab(t, 'v4');
    const rt = lab.runtime();
    for (const p of ['bridge', 'host-local', 'portmap', 'bandwidth']) {
      const v = await rt.version(p);
      assert.ok(
        v.supportedVersions.includes('0.4.0') && v.supportedVersions.includes('1.0.0'),
        `${p}: ${JSON.stringify(v)}`,
      );
    }
    const net = lab.network('10.211.2.0/24', { cniVersion: '0.4.0' });
    const a = lab.netns('a');
    const r = await rt.add(net, {
      containerId: 'old-a',
      netns: `/run/netns/${a}`,
      capabilityArgs: { bandwidth: { egressRate: 50_000_000, egressBurst: 4294967295 } },
    });
    assert.equal(r.cniVersion, '0.4.0');
    const [ip] = podIPs(r);
    assert.match(ip!, /^10\.211\.2\.\d+$/);
    assert.equal(inNs(lab.host, ['busybox', 'ping', '-c1', '-W1', ip!]).status, 0);
    await rt.check(net, { containerId: 'old-a', netns: `/run/netns/${a}` });
    await rt.del(net, { containerId: 'old-a', netns: `/run/netns/${a}` });
    assert.deepEqual(lab.leases(net.name), []);
  },
);

test(
  'a 1.1.0 list: plugins that speak only 1.0.0 refuse ADD with a CniError; STATUS/GC skip them',
  { skip, timeout: 60_000 },
  async (t) => {
    const lab = new NetLab(t, 'v11');
    const rt = lab.runtime();
    const net = lab.network('10.211.3.0/24', { cniVersion: '1.1.0' });
    const a = lab.netns('a');
    await assert.rejects(rt.add(net, { containerId: 'new-a', netns: `/run/netns/${a}` }), (e: unknown) => {
      assert.ok(e instanceof CniError);
      assert.equal(e.plugin, 'bridge');
      assert.equal(e.code, 1);
      assert.equal(e.msg, 'incompatible CNI versions');
      assert.match(
        e.message,
        /^CNI plugin bridge failed ADD \(code 1\): incompatible CNI versions: config is "1\.1\.0"/,
      );
      return true;
    });
    assert.deepEqual(lab.leases(net.name), []);
    await rt.status(net);
    const gc = await rt.gc(net, []);
    // The plugins refuse DEL of a 1.1.0 list too, so the ADD's intent record stays for a later gc.
    assert.deepEqual(
      gc.failed.map((f) => f.containerId),
      ['new-a'],
    );
    assert.deepEqual(gc.pluginGC, []);
    assert.deepEqual(gc.pluginGCSkipped, ['bridge', 'portmap', 'bandwidth']);
  },
);
