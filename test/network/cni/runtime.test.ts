// The runtime against fake plugins (no root): the CNI_* environment and CNI_ARGS, what is injected
// into each plugin's stdin (name, cniVersion, prevResult, runtimeConfig for declared capabilities),
// ADD order and DEL's reverse order, the cache, errors, CHECK, STATUS and GC.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CniConfigError,
  CniError,
  CniRuntime,
  parseNetworkConfig,
  podCniArgs,
  podIPs,
  type NetworkConfigList,
} from '../../../src/network/cni/index.js';
import { installFakePlugins, takeCalls } from './fake-plugin.js';

interface Env {
  bin: string;
  netns: string;
  rt: CniRuntime;
}

function env(t: TestContext, timeoutMs?: number): Env {
  const dir = mkdtempSync(join(tmpdir(), 'cni-unit-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const bin = join(dir, 'bin');
  mkdirSync(bin);
  installFakePlugins(bin, ['fake-a', 'fake-b', 'fake-old']);
  // A real network namespace the fake plugins never enter (creating one needs root).
  const netns = `/proc/${process.pid}/ns/net`;
  const rt = new CniRuntime({
    confDir: join(dir, 'conf'),
    binDirs: [join(dir, 'not-here'), bin],
    cacheDir: join(dir, 'cache'),
    timeoutMs,
  });
  return { bin, netns, rt };
}

function net(version: string, plugins: object[]): NetworkConfigList {
  return parseNetworkConfig(JSON.stringify({ cniVersion: version, name: 'unit', plugins }), 'unit.conflist');
}

const POD = podCniArgs({ namespace: 'ns1', name: 'web', uid: 'u-1', infraContainerId: 'c1' });
const CHAIN = [
  { type: 'fake-a', addIface: 'eth0', addIP: '10.1.0.5/24', addGateway: '10.1.0.1' },
  { type: 'fake-b', capabilities: { portMappings: true, bandwidth: false }, keep: 'mine' },
];
const PORTS = [{ hostPort: 8080, containerPort: 80, protocol: 'tcp' as const }];

test('ADD: env, CNI_ARGS, injected name/cniVersion/prevResult/runtimeConfig, chained in order', async (t) => {
  const { rt, bin, netns } = env(t);
  const n = net('1.0.0', CHAIN);
  const r = await rt.add(n, {
    containerId: 'c1',
    netns,
    args: POD,
    capabilityArgs: { portMappings: PORTS, bandwidth: { ingressRate: 1000, ingressBurst: 10 } },
  });
  assert.deepEqual(podIPs(r), ['10.1.0.5']);
  const calls = takeCalls(bin);
  assert.deepEqual(
    calls.map((c) => `${c.plugin} ${c.cmd}`),
    ['fake-a ADD', 'fake-b ADD'],
  );
  const [a, b] = calls;
  assert.deepEqual(a!.env, {
    CNI_COMMAND: 'ADD',
    CNI_CONTAINERID: 'c1',
    CNI_NETNS: netns,
    CNI_IFNAME: 'eth0',
    CNI_ARGS:
      'IgnoreUnknown=1;K8S_POD_NAMESPACE=ns1;K8S_POD_NAME=web;K8S_POD_INFRA_CONTAINER_ID=c1;K8S_POD_UID=u-1',
    CNI_PATH: rt.binDirs.join(':'),
  });
  assert.equal(a!.conf.name, 'unit');
  assert.equal(a!.conf.cniVersion, '1.0.0');
  assert.equal(a!.conf.prevResult, undefined);
  assert.equal(a!.conf.runtimeConfig, undefined, 'fake-a declared no capabilities');
  // Only the capability fake-b declared true; its own keys pass through.
  assert.deepEqual(b!.conf.runtimeConfig, { portMappings: PORTS });
  assert.equal(b!.conf.keep, 'mine');
  assert.deepEqual(b!.conf.prevResult, {
    cniVersion: '1.0.0',
    interfaces: [{ name: 'eth0', sandbox: netns }],
    ips: [{ address: '10.1.0.5/24', gateway: '10.1.0.1', interface: 0 }],
    routes: [],
    dns: {},
  });
  const cached = await rt.cachedAttachments(n);
  assert.equal(cached.length, 1);
  assert.equal(cached[0]!.state, 'added');
  assert.deepEqual(cached[0]!.result, r);
  // A second ADD of the same attachment is refused before any plugin runs (its cleanup DEL would
  // otherwise tear down the live attachment).
  await assert.rejects(rt.add(n, { containerId: 'c1', netns }), {
    field: 'containerId',
    message: /c1\/eth0 is already attached to network "unit"; DEL it first/,
  });
  assert.deepEqual(takeCalls(bin), []);
});

test('DEL: reverse order, cached result as prevResult, cached CNI_ARGS; a second DEL is fine', async (t) => {
  const { rt, bin, netns } = env(t);
  const n = net('1.0.0', CHAIN);
  await rt.add(n, { containerId: 'c1', netns, args: POD, capabilityArgs: { portMappings: PORTS } });
  takeCalls(bin);
  await rt.del(n, { containerId: 'c1', netns: '' });
  const calls = takeCalls(bin);
  assert.deepEqual(
    calls.map((c) => `${c.plugin} ${c.cmd}`),
    ['fake-b DEL', 'fake-a DEL'],
  );
  for (const c of calls) {
    assert.deepEqual((c.conf.prevResult as { ips: unknown[] }).ips, [
      { address: '10.1.0.5/24', gateway: '10.1.0.1', interface: 0 },
    ]);
    assert.match(c.env.CNI_ARGS!, /K8S_POD_NAME=web/);
    assert.equal(c.env.CNI_NETNS, netns, 'netns from the cache');
  }
  assert.deepEqual(calls[0]!.conf.runtimeConfig, { portMappings: PORTS });
  assert.deepEqual(await rt.cachedAttachments(n), []);
  await rt.del(n, { containerId: 'c1', netns: '/run/netns/gone-long-ago' });
  const again = takeCalls(bin);
  assert.equal(again.length, 2);
  assert.equal(again[0]!.conf.prevResult, undefined, 'nothing cached any more');
  assert.equal(again[0]!.env.CNI_NETNS, '', 'a missing netns is passed as empty');
  const pin = join(rt.confDir, '..', 'stale-pin');
  writeFileSync(pin, '');
  await rt.del(n, { containerId: 'c1', netns: pin });
  assert.equal(takeCalls(bin)[0]!.env.CNI_NETNS, '', 'so is a file that is not a namespace');
});

test('0.4.0: prevResult carries the IP version fields, results are normalised', async (t) => {
  const { rt, bin, netns } = env(t);
  const n = net('0.4.0', [{ type: 'fake-a', addIface: 'eth0', addIP: 'fd00::5/64' }, { type: 'fake-b' }]);
  const r = await rt.add(n, { containerId: 'c6', netns, ifName: 'net1' });
  assert.deepEqual(r.ips, [{ address: 'fd00::5/64', interface: 0 }]);
  assert.deepEqual(podIPs(r), ['fd00::5']);
  const b = takeCalls(bin)[1]!;
  assert.equal(b.env.CNI_IFNAME, 'net1');
  assert.deepEqual((b.conf.prevResult as { ips: unknown[] }).ips, [
    { version: '6', address: 'fd00::5/64', interface: 0 },
  ]);
});

test('a failing ADD runs DEL, leaves no cache entry and throws the plugin error', async (t) => {
  const { rt, bin, netns } = env(t);
  const n = net('1.0.0', [CHAIN[0]!, { type: 'fake-b', failOn: 'ADD', failCode: 11 }]);
  const err = await rt.add(n, { containerId: 'c2', netns }).then(
    () => assert.fail('ADD should fail'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof CniError);
  assert.equal(err.plugin, 'fake-b');
  assert.equal(err.code, 11);
  assert.equal(err.msg, 'fake failure');
  assert.equal(err.details, 'asked to fail\non ADD');
  assert.equal(err.message, 'CNI plugin fake-b failed ADD (code 11): fake failure: asked to fail on ADD');
  assert.deepEqual(
    takeCalls(bin).map((c) => `${c.plugin} ${c.cmd}`),
    ['fake-a ADD', 'fake-b ADD', 'fake-b DEL', 'fake-a DEL'],
  );
  assert.deepEqual(await rt.cachedAttachments(n), []);
});

test('a failing ADD whose DEL fails too stays cached as "adding" for gc', async (t) => {
  const { rt, netns } = env(t);
  const n = net('1.0.0', [
    { type: 'fake-a', crashOn: 'ADD' },
    { type: 'fake-b', failOn: 'DEL' },
  ]);
  await assert.rejects(rt.add(n, { containerId: 'c3', netns }), (e: unknown) => {
    assert.ok(e instanceof CniError);
    assert.equal(e.code, 901);
    assert.match(e.message, /^CNI plugin fake-a failed ADD \(code 901\): exited with status 2: panic: boom$/);
    return true;
  });
  const cached = await rt.cachedAttachments(n);
  assert.deepEqual(
    cached.map((c) => [c.containerId, c.state]),
    [['c3', 'adding']],
  );
  const gc = await rt.gc(n, []);
  assert.deepEqual(gc.deleted, []);
  assert.equal(gc.failed[0]?.containerId, 'c3');
  assert.match(gc.failed[0]!.error, /fake-b failed DEL \(code 7\)/);
  // Once DEL works, gc removes it.
  const fixed = net('1.0.0', [{ type: 'fake-a' }, { type: 'fake-b' }]);
  assert.deepEqual((await rt.gc(fixed, [])).deleted, ['c3/eth0']);
  assert.deepEqual(await rt.cachedAttachments(fixed), []);
});

test('plugin output errors: garbage, missing binary, timeout', async (t) => {
  const { rt, netns } = env(t, 1500);
  await assert.rejects(
    rt.add(net('1.0.0', [{ type: 'fake-a', garbageOn: 'ADD' }]), { containerId: 'g', netns }),
    {
      name: 'CniError',
      code: 903,
      message: /fake-a failed ADD \(code 903\): stdout is not JSON/,
    },
  );
  await assert.rejects(rt.add(net('1.0.0', [{ type: 'nope' }]), { containerId: 'g', netns }), {
    name: 'CniError',
    plugin: 'nope',
    code: 900,
    message: /no executable "nope" in .*not-here:.*bin/,
  });
  await assert.rejects(
    rt.add(net('1.0.0', [{ type: 'fake-a', hangOn: 'ADD' }]), { containerId: 'h', netns }),
    {
      code: 902,
      message: /fake-a failed ADD \(code 902\): did not finish within 1500 ms/,
    },
  );
});

test('bad attachments are refused before any plugin runs', async (t) => {
  const { rt, bin, netns } = env(t);
  const n = net('1.0.0', CHAIN);
  await assert.rejects(rt.add(n, { containerId: '../x', netns }), {
    name: 'CniConfigError',
    field: 'containerId',
  });
  await assert.rejects(rt.add(n, { containerId: 'c', netns, ifName: 'a-very-long-ifname' }), {
    field: 'ifName',
  });
  await assert.rejects(rt.add(n, { containerId: 'c', netns: '/run/netns/none-such' }), {
    field: 'netns',
    message: /"\/run\/netns\/none-such" does not exist/,
  });
  const pin = join(rt.confDir, '..', 'stale-pin');
  writeFileSync(pin, '');
  await assert.rejects(rt.add(n, { containerId: 'c', netns: pin }), {
    field: 'netns',
    message:
      /stale-pin" is not a network namespace \(use \/proc\/PID\/ns\/net or a \/run\/netns\/NAME mount\)/,
  });
  await assert.rejects(rt.add(n, { containerId: 'c', netns, args: { K8S_POD_NAME: 'a;b' } }), {
    field: 'args.K8S_POD_NAME',
  });
  await assert.rejects(
    rt.add(n, {
      containerId: 'c',
      netns,
      capabilityArgs: { portMappings: [{ hostPort: 0, containerPort: 80 }] },
    }),
    {
      field: 'capabilityArgs.portMappings[0].hostPort',
      message: /0 must be a port number between 1 and 65535/,
    },
  );
  await assert.rejects(
    rt.add(n, {
      containerId: 'c',
      netns,
      capabilityArgs: { portMappings: [{ hostPort: 80, containerPort: 80, protocol: 'icmp' as 'tcp' }] },
    }),
    { field: 'capabilityArgs.portMappings[0].protocol' },
  );
  assert.deepEqual(takeCalls(bin), []);
});

test('port mappings default to tcp (portmap would hand iptables an empty protocol)', async (t) => {
  const { rt, bin, netns } = env(t);
  await rt.add(net('1.0.0', CHAIN), {
    containerId: 'c5',
    netns,
    capabilityArgs: {
      portMappings: [
        { hostPort: 8080, containerPort: 80 },
        { hostPort: 53, containerPort: 53, protocol: 'UDP' as 'udp' },
      ],
    },
  });
  assert.deepEqual(takeCalls(bin)[1]!.conf.runtimeConfig, {
    portMappings: [
      { hostPort: 8080, containerPort: 80, protocol: 'tcp' },
      { hostPort: 53, containerPort: 53, protocol: 'udp' },
    ],
  });
});

test('CHECK sends the cached result; without an ADD it is refused; disableCheck skips it', async (t) => {
  const { rt, bin, netns } = env(t);
  const n = net('1.0.0', CHAIN);
  await assert.rejects(rt.check(n, { containerId: 'c4', netns }), CniConfigError);
  await rt.add(n, { containerId: 'c4', netns });
  takeCalls(bin);
  await rt.check(n, { containerId: 'c4', netns });
  const calls = takeCalls(bin);
  assert.deepEqual(
    calls.map((c) => `${c.plugin} ${c.cmd}`),
    ['fake-a CHECK', 'fake-b CHECK'],
  );
  assert.equal((calls[0]!.conf.prevResult as { ips: { address: string }[] }).ips[0]!.address, '10.1.0.5/24');
  await rt.check({ ...n, disableCheck: true }, { containerId: 'c4', netns });
  assert.deepEqual(takeCalls(bin), []);
  await assert.rejects(rt.check(net('0.3.1', CHAIN), { containerId: 'c4', netns }), { field: 'cniVersion' });
});

test('GC: DELs stale attachments, then plugin GC with the valid attachments when 1.1.0 is spoken', async (t) => {
  const { rt, bin, netns } = env(t);
  const n = net('1.1.0', [{ type: 'fake-a', addIface: 'eth0', addIP: '10.1.0.7/24' }, { type: 'fake-old' }]);
  await rt.add(n, { containerId: 'keep', netns });
  await rt.add(n, { containerId: 'stale', netns, args: POD });
  takeCalls(bin);
  const res = await rt.gc(n, [{ containerId: 'keep', ifName: 'eth0' }]);
  assert.deepEqual(res, {
    deleted: ['stale/eth0'],
    failed: [],
    pluginGC: ['fake-a'],
    pluginGCSkipped: ['fake-old'],
  });
  const calls = takeCalls(bin);
  const del = calls.filter((c) => c.cmd === 'DEL');
  assert.deepEqual(
    del.map((c) => [c.plugin, c.env.CNI_CONTAINERID]),
    [
      ['fake-old', 'stale'],
      ['fake-a', 'stale'],
    ],
  );
  assert.match(del[0]!.env.CNI_ARGS!, /K8S_POD_UID=u-1/, 'cached CNI_ARGS');
  const gc = calls.filter((c) => c.cmd === 'GC');
  assert.equal(gc.length, 1);
  assert.equal(gc[0]!.plugin, 'fake-a');
  assert.deepEqual(gc[0]!.conf['cni.dev/valid-attachments'], [{ containerID: 'keep', ifname: 'eth0' }]);
  assert.equal(gc[0]!.env.CNI_CONTAINERID, undefined);
  assert.deepEqual(
    (await rt.cachedAttachments(n)).map((c) => c.containerId),
    ['keep'],
  );
  // A 1.0.0 list: stale attachments are still deleted, but no plugin is asked to GC.
  const old = { ...n, cniVersion: '1.0.0' };
  const res2 = await rt.gc(old, []);
  assert.deepEqual(res2.deleted, ['keep/eth0']);
  assert.ok(!takeCalls(bin).some((c) => c.cmd === 'GC'));
});

test('STATUS only for 1.1.0 lists and plugins that speak it; errors come back', async (t) => {
  const { rt, bin } = env(t);
  await rt.status(net('1.0.0', [{ type: 'fake-a' }]));
  assert.deepEqual(takeCalls(bin), []);
  await rt.status(net('1.1.0', [{ type: 'fake-a' }, { type: 'fake-old' }]));
  assert.deepEqual(
    takeCalls(bin).map((c) => `${c.plugin} ${c.cmd}`),
    ['fake-a VERSION', 'fake-a STATUS', 'fake-old VERSION'],
  );
  await assert.rejects(rt.status(net('1.1.0', [{ type: 'fake-a', failOn: 'STATUS', failCode: 50 }])), {
    code: 50,
    message: /fake-a failed STATUS \(code 50\)/,
  });
  assert.deepEqual(await rt.version('fake-old'), {
    cniVersion: '1.0.0',
    supportedVersions: ['0.3.0', '0.3.1', '0.4.0', '1.0.0'],
  });
});
