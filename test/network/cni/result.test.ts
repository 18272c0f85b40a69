// Results of spec 0.3.x/0.4.0 and 1.x normalised to one shape, converted back for prevResult,
// and the pod's IPs picked from the container interface.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CniError, parseResult, podIPs, resultForVersion } from '../../../src/network/cni/index.js';

const V040 = {
  cniVersion: '0.4.0',
  interfaces: [
    { name: 'cni0', mac: '66:7c:2a:52:f9:ef' },
    { name: 'veth1', mac: 'e6:87:03:20:a2:b0' },
    { name: 'eth0', mac: '7a:e6:7d:2f:d8:26', sandbox: '/run/netns/p' },
  ],
  ips: [
    { version: '4', interface: 2, address: '10.88.0.2/16', gateway: '10.88.0.1' },
    { version: '6', interface: 2, address: 'fd00::2/64' },
    { version: '4', interface: 0, address: '10.88.0.1/16' },
  ],
  routes: [{ dst: '0.0.0.0/0' }],
  dns: { nameservers: ['10.0.0.10'] },
};

test('a 0.4.0 result is normalised: the IP version tags are dropped', () => {
  const r = parseResult(V040, 'bridge');
  assert.equal(r.cniVersion, '0.4.0');
  assert.deepEqual(r.ips[0], { interface: 2, address: '10.88.0.2/16', gateway: '10.88.0.1' });
  assert.deepEqual(r.routes, [{ dst: '0.0.0.0/0' }]);
  assert.deepEqual(r.dns, { nameservers: ['10.0.0.10'] });
  assert.deepEqual(podIPs(r), ['10.88.0.2', 'fd00::2'], 'only the IPs on the sandbox interface');
});

test('conversion for prevResult: 0.4.0 gets version tags back, 1.0.0 drops 1.1.0-only fields', () => {
  const r = parseResult(
    {
      cniVersion: '1.1.0',
      interfaces: [{ name: 'eth0', sandbox: '/run/netns/p', mtu: 1400, socketPath: '/s' }],
      ips: [
        { address: 'fd00::3/64', interface: 0 },
        { address: '10.1.0.3/24', interface: 0 },
      ],
      routes: [{ dst: '0.0.0.0/0', gw: '10.1.0.1', mtu: 1400, table: 10 }],
    },
    'x',
  );
  assert.deepEqual(r.dns, {});
  const v04 = resultForVersion(r, '0.4.0');
  assert.equal(v04.cniVersion, '0.4.0');
  assert.deepEqual(v04.ips, [
    { version: '6', address: 'fd00::3/64', interface: 0 },
    { version: '4', address: '10.1.0.3/24', interface: 0 },
  ]);
  const v10 = resultForVersion(r, '1.0.0');
  assert.deepEqual(v10.interfaces, [{ name: 'eth0', sandbox: '/run/netns/p', mtu: 1400 }]);
  assert.deepEqual(v10.routes, [{ dst: '0.0.0.0/0', gw: '10.1.0.1' }]);
  assert.deepEqual((v10.ips as object[])[0], { address: 'fd00::3/64', interface: 0 });
  const v11 = resultForVersion(r, '1.1.0');
  assert.deepEqual(v11.routes, [{ dst: '0.0.0.0/0', gw: '10.1.0.1', mtu: 1400, table: 10 }]);
  // Round trip through the wire form keeps the normalised result.
  assert.deepEqual(parseResult(v04, 'x'), {
    ...r,
    cniVersion: '0.4.0',
    interfaces: [{ name: 'eth0', sandbox: '/run/netns/p', mtu: 1400 }],
    routes: [{ dst: '0.0.0.0/0', gw: '10.1.0.1' }],
  });
});

test('podIPs: no sandbox interface, no pod IPs', () => {
  const r = parseResult(
    {
      cniVersion: '1.0.0',
      interfaces: [{ name: 'br0' }],
      ips: [{ address: '10.0.0.1/24', interface: 0 }, { address: '10.0.0.9/24' }],
    },
    'x',
  );
  assert.deepEqual(podIPs(r), []);
});

test('invalid results become CniError 903 naming the plugin', () => {
  const cases: [unknown, RegExp][] = [
    ['x', /not a JSON object/],
    [{ ips: [] }, /no "cniVersion"/],
    [{ cniVersion: '0.2.0', ip4: {} }, /result version 0\.2\.0 is not supported/],
    [{ cniVersion: '1.0.0', ips: {} }, /"ips" must be an array/],
    [
      { cniVersion: '1.0.0', ips: [{ address: '10.0.0.1' }] },
      /ips\[0\]\.address must be an address in CIDR form/,
    ],
    [
      { cniVersion: '1.0.0', interfaces: [], ips: [{ address: '10.0.0.1/8', interface: 1 }] },
      /ips\[0\]\.interface 1 is not an index/,
    ],
    [{ cniVersion: '1.0.0', interfaces: [{ mac: 'x' }] }, /interfaces\[0\] needs a "name"/],
  ];
  for (const [raw, re] of cases)
    assert.throws(
      () => parseResult(raw, 'bridge'),
      (e: unknown) => e instanceof CniError && e.plugin === 'bridge' && e.code === 903 && re.test(e.message),
      JSON.stringify(raw),
    );
});
