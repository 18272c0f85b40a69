import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  LOOPBACK_ANNOTATION,
  PAUSE_ANNOTATION,
  buildCreatePlan,
  buildExecPlan,
} from '../../src/oci/plan-builder.js';
import { defaultSpec } from '../../src/oci/defaults/spec-template.js';
import { MS, parseMountOptions } from '../../src/oci/mappings/mount-options.js';
import { capMask, capNames } from '../../src/oci/mappings/capabilities.js';
import { encodePlan, type PlanRecord } from '../../src/kernel/plan/plan.js';
import type { Spec } from '../../src/oci/spec.js';
import { OciError } from '../../src/oci/errors.js';

const base = (): Spec => {
  const s = defaultSpec({ args: ['sh', '-c', 'echo hi'], terminal: false });
  delete s.linux!.seccomp;
  s.mounts = s.mounts!.filter((m) => m.type !== 'cgroup');
  return s;
};
const opts = { bundle: '/b', detached: true, execFifo: '/run/x/exec.fifo' };
const ops = (p: PlanRecord[]) => p.map((r) => r.op);
const find = <T extends PlanRecord['op']>(p: PlanRecord[], op: T) =>
  p.filter((r) => r.op === op) as Extract<PlanRecord, { op: T }>[];

test('mount options map to MS_* flags, propagation and data', () => {
  const table: [string[], number, number, string][] = [
    [['ro'], MS.RDONLY, 0, ''],
    [['ro', 'rw'], 0, 0, ''],
    [['nosuid', 'nodev', 'noexec'], MS.NOSUID | MS.NODEV | MS.NOEXEC, 0, ''],
    [['rbind', 'rprivate'], MS.BIND | MS.REC, MS.PRIVATE | MS.REC, ''],
    [['bind', 'shared'], MS.BIND, MS.SHARED, ''],
    [['strictatime', 'mode=755', 'size=65536k'], MS.STRICTATIME, 0, 'mode=755,size=65536k'],
    [['relatime', 'x-foo', 'tmpcopyup'], MS.RELATIME, 0, ''],
    [['rslave', 'runbindable'], 0, MS.SLAVE | MS.UNBINDABLE | MS.REC, ''],
  ];
  for (const [o, flags, prop, data] of table) {
    assert.deepEqual(parseMountOptions(o), { flags, propagation: prop, data }, o.join(','));
  }
});

test('capability names map to bits', () => {
  assert.equal(capMask(['CAP_CHOWN', 'CAP_KILL', 'CAP_SYS_ADMIN']), (1n << 0n) | (1n << 5n) | (1n << 21n));
  assert.equal(capMask(['CAP_CHECKPOINT_RESTORE']), 1n << 40n);
  assert.deepEqual(capNames(capMask(['CAP_NET_RAW', 'CAP_SETUID'])), ['CAP_SETUID', 'CAP_NET_RAW']);
  // podman default set: chown dac_override fowner fsetid kill setgid setuid setpcap net_bind_service sys_chroot setfcap
  assert.equal(capMask(defaultSpec().process!.capabilities!.bounding), 0x800405fbn);
});

test('a default spec becomes namespaces, rootfs, mounts, devices, paths, then the process', () => {
  const p = buildCreatePlan(base(), opts);
  assert.deepEqual(
    find(p, 'ns-new').map((r) => r.type),
    ['pid', 'net', 'ipc', 'uts', 'mnt'],
  );
  assert.deepEqual(find(p, 'rootfs'), [{ op: 'rootfs', path: '/b/rootfs' }]);
  assert.deepEqual(find(p, 'rootfs-propagation'), [{ op: 'rootfs-propagation', flags: MS.SLAVE | MS.REC }]);
  assert.deepEqual(find(p, 'hostname'), [{ op: 'hostname', name: 'corral' }]);
  const mounts = find(p, 'mount');
  assert.deepEqual(mounts[0], {
    op: 'mount',
    source: 'proc',
    target: '/proc',
    fstype: 'proc',
    flags: 0,
    propagation: 0,
    data: '',
  });
  const dev = mounts.find((m) => m.target === '/dev')!;
  assert.equal(dev.flags, MS.NOSUID | MS.STRICTATIME);
  assert.equal(dev.data, 'mode=755,size=65536k');
  const sys = mounts.find((m) => m.target === '/sys')!;
  assert.equal(sys.flags, MS.NOSUID | MS.NOEXEC | MS.NODEV | MS.RDONLY);
  assert.deepEqual(
    find(p, 'device').map((d) => `${d.path} ${d.type} ${d.major}:${d.minor} ${d.mode.toString(8)}`),
    [
      '/dev/null c 1:3 666',
      '/dev/zero c 1:5 666',
      '/dev/full c 1:7 666',
      '/dev/random c 1:8 666',
      '/dev/urandom c 1:9 666',
      '/dev/tty c 5:0 666',
    ],
  );
  assert.deepEqual(
    find(p, 'symlink').map((s) => `${s.linkpath}->${s.target}`),
    [
      '/dev/fd->/proc/self/fd',
      '/dev/stdin->/proc/self/fd/0',
      '/dev/stdout->/proc/self/fd/1',
      '/dev/stderr->/proc/self/fd/2',
      '/dev/ptmx->pts/ptmx',
    ],
  );
  assert.ok(p.some((m) => m.op === 'masked-path' && m.path === '/proc/kcore'));
  assert.ok(p.some((m) => m.op === 'readonly-path' && m.path === '/proc/sys'));
  assert.deepEqual(find(p, 'rootfs-readonly').length, 1);
  assert.deepEqual(find(p, 'rlimit'), [{ op: 'rlimit', resource: 7, soft: 1024n, hard: 1024n }]);
  assert.deepEqual(find(p, 'exec-fifo'), [{ op: 'exec-fifo', path: '/run/x/exec.fifo' }]);
  assert.deepEqual(find(p, 'user'), [{ op: 'user', uid: 0, gid: 0 }]);
  assert.deepEqual(find(p, 'umask'), [{ op: 'umask', mask: 0o022 }]);
  assert.deepEqual(
    find(p, 'caps').map((c) => [c.set, c.mask.toString(16)]),
    [
      ['bounding', '800405fb'],
      ['effective', '800405fb'],
      ['permitted', '800405fb'],
      ['inheritable', '0'],
      ['ambient', '0'],
    ],
  );
  assert.equal(find(p, 'no-new-privs').length, 1);
  assert.deepEqual(
    find(p, 'arg').map((a) => a.value),
    ['sh', '-c', 'echo hi'],
  );
  // The order PLAN.md's stages run in.
  const order = ops(p);
  const idx = (op: string) => order.indexOf(op as PlanRecord['op']);
  assert.ok(idx('ns-new') < idx('detach'));
  assert.ok(
    idx('rootfs') < idx('mount') && idx('mount') < idx('device') && idx('device') < idx('pivot-root'),
  );
  assert.ok(idx('pivot-root') < idx('masked-path') && idx('readonly-path') < idx('rootfs-readonly'));
  assert.ok(idx('exec-fifo') < idx('user') && idx('caps') < idx('arg'));
  assert.ok(encodePlan(p).endsWith('arg\techo hi\nend\n'));
});

test('namespace paths become ns-join records, user first', () => {
  const s = base();
  s.linux!.namespaces = [
    { type: 'mount' },
    { type: 'network', path: '/run/netns/pod1' },
    { type: 'ipc', path: '/proc/42/ns/ipc' },
    { type: 'user', path: '/proc/42/ns/user' },
    { type: 'uts' },
  ];
  const p = buildCreatePlan(s, opts);
  assert.deepEqual(p.slice(0, 5), [
    { op: 'ns-join', type: 'user', path: '/proc/42/ns/user' },
    { op: 'ns-join', type: 'ipc', path: '/proc/42/ns/ipc' },
    { op: 'ns-join', type: 'net', path: '/run/netns/pod1' },
    { op: 'ns-new', type: 'mnt' },
    { op: 'ns-new', type: 'uts' },
  ]);
  // Joined user namespace: no maps written, devices are bind-mounted.
  assert.equal(find(p, 'uidmap').length, 0);
  assert.equal(find(p, 'device').length, 0);
  assert.equal(find(p, 'device-bind').length, 6);
});

test('a new user namespace writes maps (setgroups before gid_map) and binds devices', () => {
  const s = defaultSpec({ rootless: { hostUid: 100000, hostGid: 100000 }, terminal: false });
  delete s.linux!.seccomp;
  s.linux!.uidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
  const p = buildCreatePlan(s, opts);
  const maps = p.filter((r) => ['uidmap', 'gidmap', 'setgroups'].includes(r.op));
  assert.deepEqual(maps, [
    { op: 'uidmap', containerId: 0, hostId: 100000, size: 65536 },
    { op: 'setgroups', value: 'allow' },
    { op: 'gidmap', containerId: 0, hostId: 100000, size: 1 },
  ]);
  assert.deepEqual(
    find(p, 'device-bind')
      .map((d) => d.path)
      .slice(0, 2),
    ['/dev/null', '/dev/zero'],
  );
  const sys = find(p, 'mount').find((m) => m.target === '/sys')!;
  assert.equal(sys.fstype, 'bind');
  assert.equal(sys.source, '/sys');
  s.linux!.uidMappings = [];
  assert.throws(
    () => buildCreatePlan(s, opts),
    /linux.uidMappings: a new user namespace needs uidMappings and gidMappings/,
  );
});

test('time namespace offsets, sysctl, oom score, rlimit infinity, hooks, bind mounts relative to the bundle', () => {
  const s = base();
  s.linux!.namespaces!.push({ type: 'time' });
  s.linux!.timeOffsets = { monotonic: { secs: 86400 }, boottime: { secs: -5, nanosecs: 7 } };
  s.linux!.sysctl = { 'net.ipv4.ip_forward': '1' };
  s.process!.oomScoreAdj = 500;
  s.process!.rlimits = [{ type: 'RLIMIT_CORE', soft: 0, hard: 2 ** 64 - 1 }];
  s.process!.user = { uid: 1000, gid: 1000, additionalGids: [10, 20], umask: 0o077 };
  s.domainname = 'example.org';
  s.mounts!.push({ destination: '/data', source: 'data', options: ['rbind', 'ro'] });
  s.mounts!.push({ destination: '/etc/hosts', type: 'bind', source: '/etc/hosts', options: ['rprivate'] });
  s.hooks = {
    createContainer: [{ path: '/bin/true', timeout: 5 }],
    startContainer: [{ path: '/bin/echo', args: ['echo', 'hi'], env: ['A=1'] }],
  };
  s.linux!.rootfsPropagation = 'private';
  const p = buildCreatePlan(s, { ...opts, noPivot: true });
  assert.deepEqual(find(p, 'timens-offset'), [
    { op: 'timens-offset', clock: 'monotonic', secs: 86400, nsecs: 0 },
    { op: 'timens-offset', clock: 'boottime', secs: -5, nsecs: 7 },
  ]);
  assert.deepEqual(find(p, 'sysctl'), [{ op: 'sysctl', key: 'net.ipv4.ip_forward', value: '1' }]);
  assert.deepEqual(find(p, 'oom-score-adj'), [{ op: 'oom-score-adj', value: 500 }]);
  assert.deepEqual(find(p, 'rlimit'), [{ op: 'rlimit', resource: 4, soft: 0n, hard: -1 }]);
  assert.deepEqual(find(p, 'groups'), [{ op: 'groups', gids: [10, 20] }]);
  assert.deepEqual(find(p, 'umask'), [{ op: 'umask', mask: 0o077 }]);
  assert.deepEqual(find(p, 'domainname'), [{ op: 'domainname', name: 'example.org' }]);
  assert.deepEqual(find(p, 'pivot-root'), [{ op: 'pivot-root', mode: 'chroot' }]);
  assert.deepEqual(find(p, 'rootfs-propagation'), [{ op: 'rootfs-propagation', flags: MS.PRIVATE | MS.REC }]);
  const data = find(p, 'mount').find((m) => m.target === '/data')!;
  assert.deepEqual(data, {
    op: 'mount',
    source: '/b/data',
    target: '/data',
    fstype: 'bind',
    flags: MS.BIND | MS.REC | MS.RDONLY,
    propagation: 0,
    data: '',
  });
  const hosts = find(p, 'mount').find((m) => m.target === '/etc/hosts')!;
  assert.equal(hosts.flags, MS.BIND);
  assert.equal(hosts.propagation, MS.PRIVATE | MS.REC);
  const hooks = find(p, 'hook');
  assert.deepEqual(hooks, [
    {
      op: 'hook',
      stage: 'createContainer',
      hook: { path: '/bin/true', args: ['/bin/true'], env: [], timeoutSecs: 5 },
    },
    {
      op: 'hook',
      stage: 'startContainer',
      hook: { path: '/bin/echo', args: ['echo', 'hi'], env: ['A=1'], timeoutSecs: 0 },
    },
  ]);
  assert.ok(ops(p).indexOf('hook') < ops(p).indexOf('pivot-root'));
  assert.ok(ops(p).lastIndexOf('hook') > ops(p).indexOf('exec-fifo'));
  // No createRuntime or prestart hook: the child does not stop for TypeScript after its mounts.
  assert.deepEqual(find(p, 'prestart-wait'), []);
  s.hooks.createRuntime = [{ path: '/bin/true' }];
  assert.deepEqual(find(buildCreatePlan(s, opts), 'prestart-wait'), [{ op: 'prestart-wait' }]);
  s.hooks = { prestart: [{ path: '/bin/true' }] };
  assert.deepEqual(find(buildCreatePlan(s, opts), 'prestart-wait'), [{ op: 'prestart-wait' }]);
});

test('config the plan cannot honour is an error naming the field', () => {
  const table: [(s: Spec) => void, string][] = [
    [
      (s) => {
        s.linux!.sysctl = { 'net.core.somaxconn': '1' };
        s.linux!.namespaces = [{ type: 'mount' }];
        delete s.hostname;
      },
      'linux.sysctl.net.core.somaxconn: needs a network namespace',
    ],
    [
      (s) => {
        s.linux!.namespaces = [{ type: 'pid' }];
        delete s.hostname;
      },
      'linux.namespaces: Corral needs a mount namespace (add {"type":"mount"})',
    ],
    [
      (s) => (s.linux!.namespaces = [{ type: 'mount' }]),
      'hostname: needs a uts namespace in linux.namespaces',
    ],
    [
      (s) => (s.process!.terminal = true),
      'process.terminal: needs --console-socket (a terminal is requested and the container is detached)',
    ],
    [
      (s) => s.mounts!.push({ destination: '/x', options: ['rbind'] }),
      'mounts[6].source: a bind mount needs a source',
    ],
    [
      (s) => s.mounts!.push({ destination: '/x', type: 'cgroup' }),
      'mounts[6]: a cgroup mount needs the container cgroup (no cgroup driver)',
    ],
    [
      (s) => (s.linux!.seccomp = { defaultAction: 'SCMP_ACT_ALLOW' }),
      'linux.seccomp: seccomp profile was not compiled',
    ],
  ];
  for (const [change, msg] of table) {
    const s = base();
    change(s);
    assert.throws(
      () => buildCreatePlan(s, opts),
      (e: unknown) => e instanceof OciError && e.message === msg,
      msg,
    );
  }
});

test('terminal: console socket record, or the caller terminal when not detached', () => {
  const s = base();
  s.process!.terminal = true;
  assert.deepEqual(find(buildCreatePlan(s, { ...opts, consoleSocket: '/tmp/c.sock' }), 'console-socket'), [
    { op: 'console-socket', path: '/tmp/c.sock' },
  ]);
  assert.equal(
    find(buildCreatePlan(s, { ...opts, detached: false, allowTerminalWithoutSocket: true }), 'console-socket')
      .length,
    0,
  );
});

test('seccomp, preserve-fds, non-detached exit status file', () => {
  const s = base();
  s.linux!.seccomp = { defaultAction: 'SCMP_ACT_ERRNO', flags: ['SECCOMP_FILTER_FLAG_LOG'] };
  const p = buildCreatePlan(s, {
    ...opts,
    detached: false,
    exitStatusFile: '/run/x/exit',
    seccompBpf: '/cache/ab.bpf',
    preserveFds: 2,
  });
  assert.deepEqual(find(p, 'detach'), [{ op: 'detach', value: false }]);
  assert.deepEqual(find(p, 'exit-status-file'), [{ op: 'exit-status-file', path: '/run/x/exit' }]);
  assert.deepEqual(find(p, 'seccomp-bpf'), [{ op: 'seccomp-bpf', path: '/cache/ab.bpf' }]);
  assert.deepEqual(find(p, 'seccomp-flags'), [{ op: 'seccomp-flags', flags: 2 }]);
  assert.deepEqual(find(p, 'preserve-fds'), [{ op: 'preserve-fds', count: 2 }]);
});

test('cgroup mounts: v2 bind of the container cgroup or cgroup2 with a cgroupns; v1 tmpfs + one bind per hierarchy', () => {
  const s = defaultSpec({ terminal: false });
  delete s.linux!.seccomp;
  const v2 = buildCreatePlan(s, {
    ...opts,
    cgroup: { mode: 'v2', dirs: { unified: '/sys/fs/cgroup/corral/c1' } },
  });
  const m2 = find(v2, 'mount').find((m) => m.target === '/sys/fs/cgroup')!;
  assert.equal(m2.source, '/sys/fs/cgroup/corral/c1');
  assert.equal(m2.flags, MS.BIND | MS.REC | MS.RDONLY | MS.NOSUID | MS.NOEXEC | MS.NODEV | MS.RELATIME);
  s.linux!.namespaces!.push({ type: 'cgroup' });
  const v2ns = buildCreatePlan(s, {
    ...opts,
    cgroup: { mode: 'v2', dirs: { unified: '/sys/fs/cgroup/corral/c1' } },
  });
  assert.equal(find(v2ns, 'mount').find((m) => m.target === '/sys/fs/cgroup')!.fstype, 'cgroup2');
  const v1 = buildCreatePlan(s, {
    ...opts,
    cgroup: {
      mode: 'v1',
      dirs: { memory: '/sys/fs/cgroup/memory/c1', 'cpu,cpuacct': '/sys/fs/cgroup/cpu,cpuacct/c1' },
    },
  });
  const m1 = find(v1, 'mount').filter((m) => m.target.startsWith('/sys/fs/cgroup'));
  assert.deepEqual(
    m1.map((m) => `${m.fstype} ${m.source} ${m.target}`),
    [
      'tmpfs tmpfs /sys/fs/cgroup',
      'bind /sys/fs/cgroup/memory/c1 /sys/fs/cgroup/memory',
      'bind /sys/fs/cgroup/cpu,cpuacct/c1 /sys/fs/cgroup/cpu,cpuacct',
    ],
  );
  assert.deepEqual(
    find(v1, 'symlink')
      .filter((l) => l.linkpath.startsWith('/sys'))
      .map((l) => l.linkpath),
    ['/sys/fs/cgroup/cpu', '/sys/fs/cgroup/cpuacct'],
  );
});

test('exec joins every namespace of the init and sets up only the process', () => {
  const spec = base();
  spec.linux!.namespaces!.push({ type: 'user' }, { type: 'cgroup' });
  const proc = { user: { uid: 0, gid: 0 }, args: ['ps'], cwd: '/', env: ['PATH=/bin'] };
  const p = buildExecPlan(proc, { initPid: 4242, spec, detached: false });
  assert.deepEqual(
    find(p, 'ns-join').map((r) => r.path),
    [
      '/proc/4242/ns/user',
      '/proc/4242/ns/ipc',
      '/proc/4242/ns/uts',
      '/proc/4242/ns/net',
      '/proc/4242/ns/pid',
      '/proc/4242/ns/cgroup',
      '/proc/4242/ns/mnt',
    ],
  );
  for (const op of ['rootfs', 'mount', 'pivot-root', 'ns-new', 'exec-fifo', 'uidmap', 'hostname'] as const) {
    assert.equal(find(p, op).length, 0, op);
  }
  assert.deepEqual(
    find(p, 'arg').map((a) => a.value),
    ['ps'],
  );
  assert.equal(find(p, 'caps').length, 0);
});

test('ambient capabilities not both permitted and inheritable are left out, as runc does', () => {
  const s = base();
  s.process!.capabilities = {
    bounding: ['CAP_KILL', 'CAP_NET_RAW', 'CAP_CHOWN'],
    permitted: ['CAP_KILL', 'CAP_NET_RAW'],
    inheritable: ['CAP_KILL', 'CAP_CHOWN'],
    ambient: ['CAP_KILL', 'CAP_NET_RAW', 'CAP_CHOWN'],
  };
  const amb = find(buildCreatePlan(s, opts), 'caps').find((c) => c.set === 'ambient');
  assert.equal(amb?.mask, capMask(['CAP_KILL']));
});

test('the loopback annotation brings lo up only in a network namespace the container creates', () => {
  const s = base();
  s.annotations = { [LOOPBACK_ANNOTATION]: 'up' };
  assert.equal(find(buildCreatePlan(s, opts), 'loopback-up').length, 1);
  s.linux!.namespaces = s.linux!.namespaces!.map((n) =>
    n.type === 'network' ? { type: 'network', path: '/proc/1/ns/net' } : n,
  );
  assert.equal(find(buildCreatePlan(s, opts), 'loopback-up').length, 0);
});

test('a mount at / becomes the rootfs-mount record, not a mount inside the rootfs', () => {
  const s = base();
  s.mounts = [
    {
      destination: '/',
      type: 'overlay',
      source: 'overlay',
      options: ['lowerdir=/l', 'upperdir=/u', 'workdir=/w'],
    },
    ...s.mounts!,
  ];
  const p = buildCreatePlan(s, opts);
  assert.deepEqual(find(p, 'rootfs-mount'), [
    { op: 'rootfs-mount', source: 'overlay', fstype: 'overlay', data: 'lowerdir=/l,upperdir=/u,workdir=/w' },
  ]);
  assert.ok(!find(p, 'mount').some((m) => m.target === '/'));
  assert.ok(ops(p).indexOf('rootfs-mount') > ops(p).indexOf('rootfs'));
  assert.match(encodePlan(p), /\nrootfs-mount\toverlay\toverlay\tlowerdir=\/l,upperdir=\/u,workdir=\/w\n/);
  // Without one, no record.
  assert.deepEqual(find(buildCreatePlan(base(), opts), 'rootfs-mount'), []);
});

test('a mount at / must be one filesystem without flags, in a new mount namespace', () => {
  const withRoot = (m: Spec['mounts'], mutate?: (s: Spec) => void) => {
    const s = base();
    s.mounts = [...m!, ...s.mounts!];
    mutate?.(s);
    return () => buildCreatePlan(s, opts);
  };
  const ov = { destination: '/', type: 'overlay', source: 'overlay', options: ['lowerdir=/l'] };
  assert.throws(withRoot([{ destination: '/', type: 'bind', source: '/x' }]), /mounts\[0\]: .*bind/);
  assert.throws(withRoot([ov, ov]), /mounts\[1\]: only one mount/);
  assert.throws(
    withRoot([{ ...ov, options: ['ro', 'lowerdir=/l'] }]),
    /mounts\[0\]\.options: .*root\.readonly/,
  );
  assert.throws(withRoot([{ destination: '/' }]), /mounts\[0\]\.type/);
  assert.throws(
    withRoot([ov], (s) => {
      s.linux!.namespaces = s.linux!.namespaces!.map((n) =>
        n.type === 'mount' ? { ...n, path: '/proc/1/ns/mnt' } : n,
      );
    }),
    /mounts\[0\]: .*new mount namespace/,
  );
});

test('the pause annotation: a pause record instead of an exec, and no device nodes', () => {
  const plain = buildCreatePlan(base(), opts);
  assert.ok(find(plain, 'device').length > 0 && !ops(plain).includes('pause'));
  const s = base();
  s.annotations = { [PAUSE_ANNOTATION]: 'true' };
  const p = buildCreatePlan(s, opts);
  assert.ok(ops(p).includes('pause'));
  assert.deepEqual(find(p, 'device'), []);
  assert.deepEqual(find(p, 'symlink'), []);
  // The args stay (a description); only `true` counts.
  assert.deepEqual(
    find(p, 'arg').map((r) => r.value),
    ['sh', '-c', 'echo hi'],
  );
  // With a PID namespace of its own (base() has one) the pause is the helper's child...
  assert.deepEqual(find(p, 'in-place'), []);
  // ...without one it is the helper itself.
  s.linux!.namespaces = s.linux!.namespaces!.filter((n) => n.type !== 'pid');
  assert.deepEqual(find(buildCreatePlan(s, opts), 'in-place'), [{ op: 'in-place' }]);
  s.annotations = { [PAUSE_ANNOTATION]: 'yes' };
  assert.ok(!ops(buildCreatePlan(s, opts)).includes('pause'));
  assert.deepEqual(find(buildCreatePlan(s, opts), 'in-place'), []);
});

test('cgroup.procs files become cgroup-procs records for the parent', () => {
  const p = buildCreatePlan(base(), {
    ...opts,
    cgroupProcs: [
      { path: '/sys/fs/cgroup/pids/c/cgroup.procs', required: true },
      { path: '/sys/fs/cgroup/unified/c/cgroup.procs', required: false },
    ],
  });
  assert.deepEqual(find(p, 'cgroup-procs'), [
    { op: 'cgroup-procs', path: '/sys/fs/cgroup/pids/c/cgroup.procs', required: true },
    { op: 'cgroup-procs', path: '/sys/fs/cgroup/unified/c/cgroup.procs', required: false },
  ]);
  assert.match(encodePlan(p), /^cgroup-procs\t\/sys\/fs\/cgroup\/unified\/c\/cgroup.procs\t0$/m);
  assert.deepEqual(find(buildCreatePlan(base(), opts), 'cgroup-procs'), []);
});
