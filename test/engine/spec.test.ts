// The OCI config of a run: image config under the flags, podman's defaults.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildSpec, processArgs } from '../../src/engine/spec.js';
import { parseRunRequest, type RunRequest } from '../../src/engine/options.js';
import type { ImageRuntimeConfig } from '../../src/engine/images.js';

function spec(req: Partial<RunRequest>, image: ImageRuntimeConfig = { Cmd: ['sh'] }) {
  const run = parseRunRequest({ image: 'busybox', cmd: [], ...req });
  return buildSpec({
    id: 'abc',
    run,
    image,
    rootfs: '/r',
    user: { uid: 0, gid: 0, additionalGids: [], home: '/root' },
    hostname: 'h',
    etc: { hostname: '/c/hostname', hosts: '/c/hosts' },
    cgroupsPath: 'corral-abc',
  });
}

test('Entrypoint + Cmd, overridden by the command line and --entrypoint', () => {
  const img = { Entrypoint: ['/bin/echo', 'E'], Cmd: ['c'] };
  const run = (r: Partial<RunRequest>) => processArgs(parseRunRequest({ image: 'b', cmd: [], ...r }), img);
  assert.deepEqual(run({}), ['/bin/echo', 'E', 'c']);
  assert.deepEqual(run({ cmd: ['x'] }), ['/bin/echo', 'E', 'x']);
  assert.deepEqual(run({ entrypoint: 'ls' }), ['ls']);
  assert.throws(() => processArgs(parseRunRequest({ image: 'b', cmd: [] }), {}), /no command/);
});

test('env: defaults < image Env < -e; HOME from the user', () => {
  const s = spec({ env: ['B=flag'] }, { Cmd: ['sh'], Env: ['A=img', 'B=img', 'PATH=/img/bin'] });
  const env = s.process!.env!;
  assert.ok(env.includes('A=img'));
  assert.ok(env.includes('B=flag'));
  assert.ok(env.includes('PATH=/img/bin'));
  assert.ok(env.includes('HOME=/root'));
  assert.ok(env.includes('HOSTNAME=h'));
});

test('every namespace but user; limits; cgroupsPath; default caps and seccomp', () => {
  const s = spec({ memory: '64Mi', cpus: '0.5', pidsLimit: '100' });
  assert.deepEqual(s.linux!.namespaces!.map((n) => n.type).sort(), [
    'cgroup',
    'ipc',
    'mount',
    'network',
    'pid',
    'uts',
  ]);
  assert.equal(s.linux!.resources!.memory!.limit, 64 * 2 ** 20);
  assert.deepEqual(s.linux!.resources!.cpu, { quota: 50_000, period: 100_000 });
  assert.equal(s.linux!.resources!.pids!.limit, 100);
  assert.equal(s.linux!.cgroupsPath, 'corral-abc');
  assert.ok(s.linux!.seccomp);
  assert.ok(s.linux!.maskedPaths!.includes('/proc/kcore'));
  assert.ok(!s.process!.capabilities!.bounding!.includes('CAP_SYS_ADMIN'));
  assert.equal(s.root!.readonly, false);
});

test('--network host drops the network namespace; --read-only adds tmpfs scratch dirs', () => {
  const s = spec({ network: 'host', readOnly: true });
  assert.ok(!s.linux!.namespaces!.some((n) => n.type === 'network'));
  assert.equal(s.root!.readonly, true);
  const tmpfs = s.mounts!.filter((m) => m.type === 'tmpfs').map((m) => m.destination);
  for (const d of ['/tmp', '/var/tmp', '/run']) assert.ok(tmpfs.includes(d), d);
});

test('WorkingDir from the image, -w over it; volumes become rbind mounts', () => {
  assert.equal(spec({}, { Cmd: ['sh'], WorkingDir: '/srv' }).process!.cwd, '/srv');
  assert.equal(spec({ workdir: '/tmp' }, { Cmd: ['sh'], WorkingDir: '/srv' }).process!.cwd, '/tmp');
  const s = spec({ volumes: ['/h:/c:ro'] });
  const m = s.mounts!.find((x) => x.destination === '/c')!;
  assert.equal(m.source, '/h');
  assert.ok(m.options!.includes('rbind') && m.options!.includes('ro'));
});
