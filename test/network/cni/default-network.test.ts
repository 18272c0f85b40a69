// Corral's default network configuration and pod bandwidth annotations.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  bandwidthFromAnnotations,
  CniConfigError,
  defaultNetworkConfig,
  loadNetworkConfig,
  writeDefaultNetwork,
} from '../../../src/network/cni/index.js';

test('the default network: bridge + host-local under the data dir, portmap, bandwidth', () => {
  const n = defaultNetworkConfig({
    name: 'pods',
    bridge: 'pods0',
    subnet: '10.211.0.0/24',
    dataDir: '/var/lib/corral',
  });
  assert.equal(n.name, 'pods');
  assert.equal(n.cniVersion, '1.0.0');
  assert.deepEqual(
    n.plugins.map((p) => p.type),
    ['bridge', 'portmap', 'bandwidth'],
  );
  const [bridge, portmap, bw] = n.plugins;
  assert.equal(bridge!.bridge, 'pods0');
  assert.equal(bridge!.isGateway, true);
  assert.equal(bridge!.ipMasq, true);
  assert.equal(bridge!.hairpinMode, true);
  assert.deepEqual(bridge!.ipam, {
    type: 'host-local',
    ranges: [[{ subnet: '10.211.0.0/24' }]],
    routes: [{ dst: '0.0.0.0/0' }],
    dataDir: '/var/lib/corral/cni/networks',
  });
  assert.deepEqual(portmap!.capabilities, { portMappings: true });
  assert.deepEqual(bw!.capabilities, { bandwidth: true });
  const v6 = defaultNetworkConfig({ dataDir: '/d', subnet: 'fd00:1::/64' });
  assert.equal(v6.name, 'corral');
  assert.equal(v6.plugins[0]!.bridge, 'corral0');
  assert.deepEqual((v6.plugins[0]!.ipam as { routes: unknown }).routes, [{ dst: '::/0' }]);
});

test('default network options are checked', () => {
  assert.throws(() => defaultNetworkConfig({ dataDir: '/d', subnet: '10.1.0.0' }), {
    name: 'CniConfigError',
    field: 'subnet',
  });
  assert.throws(() => defaultNetworkConfig({ dataDir: '/d', subnet: '10.1.0.0/32' }), { field: 'subnet' });
  assert.throws(() => defaultNetworkConfig({ dataDir: '/d', subnet: '300.1.0.0/16' }), { field: 'subnet' });
  assert.throws(() => defaultNetworkConfig({ dataDir: '/d', bridge: 'a-much-too-long-bridge' }), {
    field: 'bridge',
  });
  assert.throws(() => defaultNetworkConfig({ dataDir: '/d', name: 'bad name' }), { field: 'name' });
  assert.throws(() => defaultNetworkConfig({ dataDir: '' }), { field: 'dataDir' });
  assert.throws(() => defaultNetworkConfig({ dataDir: '/d', mtu: 10 }), { field: 'mtu' });
});

test('writeDefaultNetwork writes once, and never over an existing configuration', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'cni-default-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const confDir = join(dir, 'net.d');
  const w = await writeDefaultNetwork(confDir, { dataDir: dir });
  assert.deepEqual(w, { path: join(confDir, '10-corral.conflist'), written: true });
  const loaded = await loadNetworkConfig(confDir);
  assert.equal(loaded.name, 'corral');
  assert.equal((loaded.plugins[0]!.ipam as { dataDir: string }).dataDir, join(dir, 'cni', 'networks'));
  const again = await writeDefaultNetwork(confDir, { dataDir: dir, name: 'other' });
  assert.deepEqual(again, { path: join(confDir, '10-corral.conflist'), written: false });
  // A user's own configuration is left alone too.
  rmSync(join(confDir, '10-corral.conflist'));
  writeFileSync(join(confDir, '50-mine.conf'), '{"cniVersion":"1.0.0","name":"mine","type":"ptp"}');
  assert.equal((await writeDefaultNetwork(confDir, { dataDir: dir })).written, false);
  assert.deepEqual(readdirSync(confDir), ['50-mine.conf']);
  assert.match(readFileSync(join(confDir, '50-mine.conf'), 'utf8'), /ptp/);
});

test('bandwidth annotations: bits per second, kubelet-style burst', () => {
  assert.equal(bandwidthFromAnnotations(undefined), undefined);
  assert.equal(bandwidthFromAnnotations({ other: 'x' }), undefined);
  assert.deepEqual(bandwidthFromAnnotations({ 'kubernetes.io/ingress-bandwidth': '10M' }), {
    ingressRate: 10_000_000,
    ingressBurst: 4294967295,
  });
  assert.deepEqual(
    bandwidthFromAnnotations({
      'kubernetes.io/ingress-bandwidth': '1Gi',
      'kubernetes.io/egress-bandwidth': '500k',
    }),
    { ingressRate: 2 ** 30, ingressBurst: 4294967295, egressRate: 500_000, egressBurst: 4294967295 },
  );
});

test('a bad bandwidth annotation names the annotation', () => {
  const cases: [string, RegExp][] = [
    ['fast', /"fast" is not a quantity; use bits per second like 10M/],
    ['10', /unreasonably small/],
    ['2P', /unreasonably large/],
  ];
  for (const [v, re] of cases) {
    assert.throws(
      () => bandwidthFromAnnotations({ 'kubernetes.io/egress-bandwidth': v }),
      (e: unknown) =>
        e instanceof CniConfigError &&
        e.field === 'metadata.annotations["kubernetes.io/egress-bandwidth"]' &&
        e.message.startsWith('metadata.annotations["kubernetes.io/egress-bandwidth"]: ') &&
        re.test(e.message),
      v,
    );
  }
});
