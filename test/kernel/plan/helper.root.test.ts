// Real plans run by the real helper against a busybox rootfs (needs root).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { tempBundleDir } from '../../support/busybox-rootfs.js';
import {
  HelperError,
  prespawnHelper,
  startPlan,
  type StartPlanOptions,
} from '../../../src/kernel/plan/helper.js';
import type { Plan, PlanRecord } from '../../../src/kernel/plan/plan.js';
import { compileSeccomp } from '../../../src/kernel/seccomp/compile.js';
import { openCgroups } from '../../../src/kernel/cgroup/index.js';
import { removeCgroupTree } from '../../support/cgroup-root.js';

const MS_RDONLY = 1,
  MS_NOSUID = 2,
  MS_NODEV = 4,
  MS_NOEXEC = 8,
  MS_BIND = 0x1000,
  MS_SLAVE = 1 << 19,
  MS_STRICTATIME = 1 << 24;

const isRoot = process.getuid?.() === 0;

interface PlanOptions {
  userns?: boolean;
  extra?: PlanRecord[];
}

/** A container-like plan: new pid/mnt/uts/ipc/net namespaces, /proc, a /dev tmpfs with devices. */
function basePlan(rootfs: string, args: string[], o: PlanOptions = {}): Plan {
  const devices = ['null:1:3', 'zero:1:5', 'full:1:7', 'random:1:8', 'urandom:1:9', 'tty:5:0'];
  return [
    ...(o.userns
      ? ([
          { op: 'ns-new', type: 'user' },
          { op: 'uidmap', containerId: 0, hostId: 100000, size: 65536 },
          { op: 'gidmap', containerId: 0, hostId: 100000, size: 65536 },
          { op: 'setgroups', value: 'deny' },
        ] as PlanRecord[])
      : []),
    { op: 'ns-new', type: 'pid' },
    { op: 'ns-new', type: 'mnt' },
    { op: 'ns-new', type: 'uts' },
    { op: 'ns-new', type: 'ipc' },
    { op: 'ns-new', type: 'net' },
    { op: 'detach', value: false },
    { op: 'rootfs-propagation', flags: MS_SLAVE },
    { op: 'rootfs', path: rootfs },
    {
      op: 'mount',
      source: 'proc',
      target: '/proc',
      fstype: 'proc',
      flags: MS_NOSUID | MS_NODEV | MS_NOEXEC,
      propagation: 0,
      data: '',
    },
    {
      op: 'mount',
      source: 'tmpfs',
      target: '/dev',
      fstype: 'tmpfs',
      flags: MS_NOSUID | MS_STRICTATIME,
      propagation: 0,
      data: 'mode=755,size=65536k',
    },
    ...devices.map((d): PlanRecord => {
      const [name, major, minor] = d.split(':') as [string, string, string];
      return o.userns
        ? { op: 'device-bind', path: `/dev/${name}` }
        : {
            op: 'device',
            path: `/dev/${name}`,
            type: 'c',
            major: +major,
            minor: +minor,
            mode: 0o666,
            uid: 0,
            gid: 0,
          };
    }),
    { op: 'symlink', target: '/proc/self/fd', linkpath: '/dev/fd' },
    { op: 'pivot-root', mode: 'pivot' },
    ...(o.extra ?? []),
    { op: 'env', value: 'PATH=/bin:/usr/bin' },
    { op: 'env', value: 'HOME=/root' },
    ...args.map((value): PlanRecord => ({ op: 'arg', value })),
  ];
}

interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  pid: number;
}

async function runPlan(plan: Plan, opts: Partial<StartPlanOptions> = {}): Promise<RunResult> {
  const started = await startPlan(plan, { stdio: ['ignore', 'pipe', 'pipe'], detached: false, ...opts });
  // stdio 'pipe': spawned by Node, so a ChildProcess with its pipes.
  const helper = started.helper as ChildProcess;
  let stdout = '';
  let stderr = '';
  helper.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  helper.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const timer = setTimeout(() => started.helper.kill('SIGKILL'), 20_000);
  try {
    const e = await started.exited;
    await new Promise<void>((res) =>
      helper.stdout!.readableEnded ? res() : helper.stdout!.once('close', res),
    );
    return { code: e.code, signal: e.signal, stdout, stderr, pid: started.pid };
  } finally {
    clearTimeout(timer);
  }
}

/** A fresh bundle per test, removed afterwards even on failure. */
function bundle(t: { after: (fn: () => void) => void }): string {
  const b = tempBundleDir('corral-plan-');
  t.after(() => {
    // Mounts live in the container's mount namespace and die with it; nothing leaks to the host.
    b.cleanup();
  });
  return b.rootfs;
}

const opts = { skip: !isRoot && 'needs root' };

test('new namespaces: the process is PID 1 and alone, hostname and /proc are set', opts, async (t) => {
  const rootfs = bundle(t);
  const r = await runPlan(
    basePlan(
      rootfs,
      ['sh', '-c', 'echo pid=$$; hostname; ps -o pid,comm | tail -n +2; cat /proc/1/cmdline | tr "\\0" " "'],
      {
        extra: [{ op: 'hostname', name: 'corral-box' }],
      },
    ),
  );
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  assert.equal(lines[0], 'pid=1');
  assert.equal(lines[1], 'corral-box');
  // ps lists itself and the shell; both inside the fresh pid namespace
  const pids = lines.slice(2, -1).map((l) => Number(l.trim().split(/\s+/)[0]));
  assert.ok(pids.includes(1), r.stdout);
  assert.ok(
    pids.every((p) => p < 10),
    `only container processes: ${r.stdout}`,
  );
  assert.match(lines.at(-1)!, /^sh -c/);
  // the host's hostname is untouched
  assert.notEqual(execFileSync('hostname', { encoding: 'utf8' }).trim(), 'corral-box');
});

test('exit code passes through, and the exit status file is written', opts, async (t) => {
  const rootfs = bundle(t);
  const statusFile = join(rootfs, '..', 'exit-status');
  const r = await runPlan(
    basePlan(rootfs, ['sh', '-c', 'exit 42'], { extra: [{ op: 'exit-status-file', path: statusFile }] }),
  );
  assert.equal(r.code, 42);
  assert.equal(readFileSync(statusFile, 'utf8'), '42\n');
  // PID 1 ignores signals from inside its namespace: kill it from the host
  const started = await startPlan(
    basePlan(rootfs, ['sleep', '100'], { extra: [{ op: 'exit-status-file', path: statusFile }] }),
    { stdio: ['ignore', 'ignore', 'ignore'], detached: false },
  );
  process.kill(started.pid, 'SIGKILL');
  const k = await started.exited;
  assert.equal(k.code, 128 + 9);
  assert.equal(readFileSync(statusFile, 'utf8'), 'signal 9\n');
});

test('user namespace: uid_map is what the plan said', opts, async (t) => {
  const rootfs = bundle(t);
  execFileSync('chmod', ['755', join(rootfs, '..')]); // container root (host uid 100000) must reach it
  execFileSync('chown', ['-R', '100000:100000', rootfs]);
  const r = await runPlan(
    basePlan(rootfs, ['sh', '-c', 'cat /proc/self/uid_map; id -u; ls -ln /bin/busybox'], { userns: true }),
  );
  assert.equal(r.code, 0, r.stderr);
  const [map, uid] = r.stdout.trim().split('\n');
  assert.deepEqual(map!.trim().split(/\s+/), ['0', '100000', '65536']);
  assert.equal(uid, '0');
});

test('capabilities: the plan sets the masks seen in /proc/self/status, and the user', opts, async (t) => {
  const rootfs = bundle(t);
  const caps = 0xa80425fbn; // docker's default set
  const r = await runPlan(
    basePlan(
      rootfs,
      ['sh', '-c', 'grep ^Cap /proc/self/status; id -u; id -g; id -G; grep NoNewPrivs /proc/self/status'],
      {
        extra: [
          { op: 'caps', set: 'bounding', mask: caps },
          { op: 'caps', set: 'effective', mask: caps },
          { op: 'caps', set: 'permitted', mask: caps },
          { op: 'caps', set: 'inheritable', mask: 0n },
          { op: 'caps', set: 'ambient', mask: 0n },
          { op: 'groups', gids: [10, 20] },
          { op: 'user', uid: 1000, gid: 1001 },
          { op: 'no-new-privs' },
        ],
      },
    ),
  );
  assert.equal(r.code, 0, r.stderr);
  const status = Object.fromEntries(
    r.stdout
      .split('\n')
      .filter((l) => l.includes(':'))
      .map((l) => l.split(/:\s*/) as [string, string]),
  );
  // busybox sh execs grep: without ambient caps a non-root exec drops effective/permitted
  assert.equal(BigInt('0x' + status.CapBnd), caps);
  assert.equal(BigInt('0x' + status.CapEff), 0n);
  assert.equal(BigInt('0x' + status.CapInh), 0n);
  assert.equal(status.NoNewPrivs, '1');
  assert.match(r.stdout, /^1000\n1001\n1001 10 20\n/m);
});

test('capabilities: root keeps exactly the planned effective set', opts, async (t) => {
  const rootfs = bundle(t);
  const caps = 0xa80425fbn;
  const r = await runPlan(
    basePlan(rootfs, ['grep', '^Cap', '/proc/self/status'], {
      extra: (['bounding', 'effective', 'permitted'] as const).map((set): PlanRecord => ({
        op: 'caps',
        set,
        mask: caps,
      })),
    }),
  );
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /CapEff:\s+00000000a80425fb/);
  assert.match(r.stdout, /CapPrm:\s+00000000a80425fb/);
  assert.match(r.stdout, /CapBnd:\s+00000000a80425fb/);
});

test('seccomp: a profile returning EPERM for mkdir makes busybox mkdir fail', opts, async (t) => {
  const rootfs = bundle(t);
  const compiled = await compileSeccomp(
    {
      defaultAction: 'SCMP_ACT_ALLOW',
      syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO', errnoRet: 1 }],
    },
    { cacheDir: join(rootfs, '..', 'seccomp-cache') },
  );
  const extra: PlanRecord[] = [
    { op: 'no-new-privs' },
    { op: 'seccomp-bpf', path: compiled.path },
    { op: 'seccomp-flags', flags: compiled.flags },
  ];
  const r = await runPlan(
    basePlan(rootfs, ['sh', '-c', 'mkdir /tmp/x; echo rc=$?; touch /tmp/y && echo touched'], { extra }),
  );
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /rc=1/);
  assert.match(r.stdout, /touched/);
  assert.match(r.stderr, /Operation not permitted/);
  assert.ok(!existsSync(join(rootfs, 'tmp/x')));
  // without no-new-privs the filter is loaded before the user switch, still as root
  const r2 = await runPlan(
    basePlan(rootfs, ['sh', '-c', 'mkdir /tmp/x; echo rc=$?'], {
      extra: [{ op: 'seccomp-bpf', path: compiled.path }],
    }),
  );
  assert.match(r2.stdout, /rc=1/);
});

test('masked and read-only paths, read-only rootfs, sysctl, mkdir, bind mount of a file', opts, async (t) => {
  const rootfs = bundle(t);
  mkdirSync(join(rootfs, 'secret'));
  writeFileSync(join(rootfs, 'secret/key'), 'hunter2');
  writeFileSync(join(rootfs, 'etc/token'), 'tok');
  const hostFile = join(rootfs, '..', 'hostfile');
  writeFileSync(hostFile, 'from-host\n');
  const r = await runPlan(
    basePlan(
      rootfs,
      [
        'sh',
        '-c',
        'echo "[$(cat /etc/token)]"; ls /secret | wc -l; cat /data/hostfile; echo x > /data/hostfile || echo ro-bind;' +
          'touch /sys-ish 2>/dev/null || echo rootfs-ro; echo y > /tmp/w && echo tmp-rw; ls -ld /made | cut -c1-10;' +
          'cat /proc/sys/net/ipv4/ip_forward; echo z > /proc/sys/kernel/domainname || echo proc-sys-ro',
      ],
      {
        extra: [
          {
            op: 'mount',
            source: 'tmpfs',
            target: '/tmp',
            fstype: 'tmpfs',
            flags: 0,
            propagation: 0,
            data: '',
          },
          {
            op: 'mount',
            source: hostFile,
            target: '/data/hostfile',
            fstype: '',
            flags: MS_BIND | MS_RDONLY,
            propagation: 0,
            data: '',
          },
          { op: 'mkdir', path: '/made', mode: 0o710 },
          { op: 'masked-path', path: '/etc/token' },
          { op: 'masked-path', path: '/secret' },
          { op: 'masked-path', path: '/does/not/exist' },
          { op: 'readonly-path', path: '/proc/sys' },
          { op: 'rootfs-readonly' },
          { op: 'sysctl', key: 'net.ipv4.ip_forward', value: '1' },
        ],
      },
    ),
  );
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(r.stdout.trim().split('\n'), [
    '[]',
    '0',
    'from-host',
    'ro-bind',
    'rootfs-ro',
    'tmp-rw',
    'drwx--x---',
    '1',
    'proc-sys-ro',
  ]);
  assert.equal(readFileSync(hostFile, 'utf8'), 'from-host\n');
});

test('no host fd reaches the process; preserved fds do', opts, async (t) => {
  const rootfs = bundle(t);
  const r = await runPlan(basePlan(rootfs, ['ls', '/proc/self/fd']));
  assert.equal(r.code, 0, r.stderr);
  // ls itself opens the directory (fd 3)
  assert.deepEqual(
    r.stdout
      .trim()
      .split(/\s+/)
      .map(Number)
      .sort((a, b) => a - b),
    [0, 1, 2, 3],
  );
  const p = await runPlan(
    basePlan(rootfs, ['sh', '-c', 'echo preserved >&3; ls /proc/self/fd'], {
      extra: [{ op: 'preserve-fds', count: 1 }],
    }),
    {
      stdio: ['ignore', 'pipe', 'pipe'],
      preserveFds: [1], // our stdout as fd 3
    },
  );
  assert.equal(p.code, 0, p.stderr);
});

test('a mount target symlink cannot escape the rootfs', opts, async (t) => {
  const rootfs = bundle(t);
  const outside = join(rootfs, '..', 'outside');
  mkdirSync(outside);
  execFileSync('ln', ['-s', outside, join(rootfs, 'escape')]);
  execFileSync('ln', ['-s', '../../../../../../..' + outside, join(rootfs, 'escape2')]);
  const r = await runPlan(
    basePlan(rootfs, ['sh', '-c', 'ls /escape/ /escape2/'], {
      extra: [
        {
          op: 'mount',
          source: 'tmpfs',
          target: '/escape/m',
          fstype: 'tmpfs',
          flags: 0,
          propagation: 0,
          data: '',
        },
        {
          op: 'mount',
          source: 'tmpfs',
          target: '/escape2/m2',
          fstype: 'tmpfs',
          flags: 0,
          propagation: 0,
          data: '',
        },
      ],
    }),
  );
  assert.equal(r.code, 0, r.stderr);
  // the directories were created inside the rootfs, not on the host
  assert.deepEqual(execFileSync('ls', ['-A', outside], { encoding: 'utf8' }), '');
});

test('errors name the failing record; the container process does not survive', opts, async (t) => {
  const rootfs = bundle(t);
  await assert.rejects(
    runPlan(
      basePlan(rootfs, ['true'], {
        extra: [
          { op: 'mount', source: 'x', target: '/x', fstype: 'nosuchfs', flags: 0, propagation: 0, data: '' },
        ],
      }),
    ),
    (e: unknown) =>
      e instanceof HelperError &&
      e.step === 'mount' &&
      /mount \/x: nosuchfs \(x\): No such device/.test(e.message),
  );
  await assert.rejects(
    runPlan(basePlan(rootfs, ['no-such-program'])),
    (e: unknown) =>
      e instanceof HelperError && e.step === 'arg' && /executable file not found/.test(e.message),
  );
  await assert.rejects(
    runPlan(
      basePlan(rootfs, ['true'], { extra: [{ op: 'rlimit', resource: 7, soft: 1024n, hard: 1n << 40n }] }),
    ),
    (e: unknown) => e instanceof HelperError && /^rlimit RLIMIT_NOFILE/.test(e.message),
  );
  await assert.rejects(
    runPlan(basePlan(rootfs, ['true'], { extra: [{ op: 'cwd', path: '/nonexistent' }] })),
    (e: unknown) => e instanceof HelperError && e.step === 'cwd',
  );
  // The cgroup join at `go`: a required cgroup.procs that fails is the error; an optional one
  // is skipped.
  const procs = (required: boolean): PlanRecord[] => [
    { op: 'cgroup-procs', path: '/nonexistent-cgroup/cgroup.procs', required },
  ];
  await assert.rejects(
    runPlan(basePlan(rootfs, ['true'], { extra: procs(true) })),
    (e: unknown) =>
      e instanceof HelperError &&
      e.step === 'cgroup-procs' &&
      /^cgroup-procs \/nonexistent-cgroup\/cgroup.procs: No such file or directory/.test(e.message),
  );
  assert.equal((await runPlan(basePlan(rootfs, ['true'], { extra: procs(false) }))).code, 0);
  // a failing onPid aborts: the waiting child is killed with the helper
  let seen = 0;
  await assert.rejects(
    runPlan(basePlan(rootfs, ['sleep', '100']), {
      onPid: (pid) => {
        seen = pid;
        throw new Error('no cgroup for you');
      },
    }),
    /no cgroup for you/,
  );
  assert.ok(seen > 0);
  // killed and reaped by the helper
  let alive = true;
  for (let i = 0; i < 100 && alive; i++) {
    await new Promise((r) => setTimeout(r, 20));
    alive = existsSync(`/proc/${seen}`);
  }
  assert.ok(!alive, `container process ${seen} still exists`);
});

test('handshake: onPid, onPrestart and state reach createContainer hooks; rlimits apply', opts, async (t) => {
  const rootfs = bundle(t);
  const out = join(rootfs, '..', 'hook-out');
  const calls: string[] = [];
  const r = await runPlan(
    basePlan(rootfs, ['sh', '-c', 'ulimit -n; cat /proc/self/oom_score_adj'], {
      extra: [
        {
          op: 'hook',
          stage: 'createContainer',
          hook: {
            path: '/bin/sh',
            args: ['sh', '-c', `cat > ${out}; echo " $HOOKVAR" >> ${out}`],
            env: ['HOOKVAR=yes'],
            timeoutSecs: 5,
          },
        },
        { op: 'rlimit', resource: 7, soft: 512n, hard: 1024n },
        { op: 'oom-score-adj', value: 500 },
        { op: 'prestart-wait' }, // the child stops for TypeScript after its mounts
      ],
    }),
    {
      onPid: async (pid) => {
        calls.push(`pid ${pid > 1}`);
      },
      onPrestart: () => {
        calls.push('prestart');
      },
      stateJson: (pid) => JSON.stringify({ ociVersion: '1.2.0', pid }),
    },
  );
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(calls, ['pid true', 'prestart']);
  assert.equal(r.stdout, '512\n500\n');
  assert.equal(readFileSync(out, 'utf8'), `${JSON.stringify({ ociVersion: '1.2.0', pid: r.pid })} yes\n`);
});

test('detach + exec fifo: created, then the process waits until the fifo is read', opts, async (t) => {
  const rootfs = bundle(t);
  const fifo = join(rootfs, '..', 'exec.fifo');
  execFileSync('mkfifo', ['-m', '0622', fifo]);
  const marker = join(rootfs, 'tmp', 'started');
  const plan = basePlan(rootfs, ['sh', '-c', 'touch /tmp/started; sleep 0.2'], {
    extra: [{ op: 'exec-fifo', path: fifo }],
  }).map((r): PlanRecord => (r.op === 'detach' ? { op: 'detach', value: true } : r));
  const started = await startPlan(plan, { stdio: ['ignore', 'ignore', 'ignore'], detached: true });
  t.after(() => {
    try {
      process.kill(started.pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  });
  const e = await started.exited;
  assert.equal(e.code, 0);
  process.kill(started.pid, 0); // alive, reparented
  await new Promise((r) => setTimeout(r, 200));
  assert.ok(!existsSync(marker), 'must not run before start');
  readFileSync(fifo); // `start`: opening the read side releases it
  for (let i = 0; i < 50 && !existsSync(marker); i++) await new Promise((r) => setTimeout(r, 20));
  assert.ok(existsSync(marker));
});

test('an execve failing after created is reported on exited; the helper runs sealed', opts, async (t) => {
  const rootfs = bundle(t);
  writeFileSync(join(rootfs, 'bin/garbage'), 'not an executable', { mode: 0o755 });
  const started = await startPlan(basePlan(rootfs, ['garbage']), {
    stdio: ['ignore', 'ignore', 'ignore'],
    detached: false,
  });
  const e = await started.exited;
  assert.equal(e.code, 1);
  assert.ok(e.error instanceof HelperError);
  assert.match(e.error.message, /^exec \/bin\/garbage: Exec format error/);

  // CVE-2019-5736: the helper process runs from a sealed memfd, not from the file on disk
  const s = await startPlan(basePlan(rootfs, ['sleep', '5']), {
    stdio: ['ignore', 'ignore', 'ignore'],
    detached: false,
  });
  try {
    const { readlinkSync } = await import('node:fs');
    assert.match(readlinkSync(`/proc/${s.helper.pid}/exe`), /^\/memfd:corral-helper/);
  } finally {
    process.kill(s.pid, 'SIGKILL');
    await s.exited;
  }
});

test('pause: no exec; PID 1 named pause reaps orphans and ends with 0 on SIGTERM', opts, async (t) => {
  const rootfs = bundle(t);
  const started = await startPlan(basePlan(rootfs, ['/pause'], { extra: [{ op: 'pause' }] }), {
    stdio: ['ignore', 'ignore', 'ignore'],
    detached: false,
  });
  t.after(() => {
    try {
      process.kill(started.pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  });
  const pid = started.pid;
  const { readlinkSync, readdirSync } = await import('node:fs');
  // Set up like any container (its own PID namespace), but the helper's image, never exec'd.
  // (It names itself right after `created`, where another process would exec.)
  const comm = () => readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  for (let i = 0; i < 50 && comm() !== 'pause'; i++) await new Promise((r) => setTimeout(r, 20));
  assert.equal(comm(), 'pause');
  assert.match(readlinkSync(`/proc/${pid}/exe`), /^\/memfd:corral-helper/);
  assert.notEqual(readlinkSync(`/proc/${pid}/ns/pid`), readlinkSync('/proc/self/ns/pid'));
  // An orphan in its PID namespace is reparented to it and reaped when it ends: no zombie stays.
  execFileSync('nsenter', ['-t', String(pid), '-p', '--', 'sh', '-c', 'sleep 0.5 >/dev/null 2>&1 & exit 0']);
  const children = () =>
    readdirSync('/proc')
      .filter((d) => /^\d+$/.test(d))
      .map((d) => {
        try {
          return readFileSync(`/proc/${d}/stat`, 'utf8');
        } catch {
          return '';
        }
      })
      .filter((st) => st.slice(st.lastIndexOf(')') + 2).split(' ')[1] === String(pid));
  assert.equal(children().length, 1, 'the orphaned sleep is a child of the pause');
  for (let i = 0; i < 100 && children().length; i++) await new Promise((r) => setTimeout(r, 20));
  assert.deepEqual(children(), [], 'reaped, not left a zombie');
  // PID 1 gets SIGTERM only through a handler: it ends, with 0, as the pause image does.
  process.kill(pid, 'SIGTERM');
  const e = await started.exited;
  assert.equal(e.code, 0);
});

test(
  'in-place: the helper itself is the pause, joins its cgroups, ends with 0 on SIGTERM',
  opts,
  async (t) => {
    const rootfs = bundle(t);
    // Below a cgroup root of its own, removed afterwards with all in it.
    const cgroupRoot = `corral-test-${process.pid}-in-place`;
    const cg = openCgroups({ root: cgroupRoot }).manager('pause');
    await cg.create();
    let pid = 0;
    t.after(async () => {
      try {
        if (pid) process.kill(pid, 'SIGKILL');
      } catch {
        /* gone */
      }
      await cg.remove();
      await removeCgroupTree(cgroupRoot);
    });
    // No PID namespace of its own: there is no PID 1 to be, so no child to clone.
    const plan = basePlan(rootfs, ['/pause'], {
      extra: [
        { op: 'pause' },
        { op: 'in-place' },
        ...cg.procsFiles().map((c): PlanRecord => ({ op: 'cgroup-procs', ...c })),
      ],
    }).filter((r) => !(r.op === 'ns-new' && r.type === 'pid'));
    const started = await startPlan(plan, { stdio: ['ignore', 'ignore', 'ignore'], detached: false });
    pid = started.pid;
    assert.equal(pid, started.helper.pid, 'the pause is the helper process, not a child of it');
    const { readlinkSync } = await import('node:fs');
    const comm = () => readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
    for (let i = 0; i < 50 && comm() !== 'pause'; i++) await new Promise((r) => setTimeout(r, 20));
    assert.equal(comm(), 'pause');
    assert.notEqual(readlinkSync(`/proc/${pid}/ns/net`), readlinkSync('/proc/self/ns/net'));
    assert.notEqual(readlinkSync(`/proc/${pid}/ns/mnt`), readlinkSync('/proc/self/ns/mnt'));
    assert.equal(readlinkSync(`/proc/${pid}/ns/pid`), readlinkSync('/proc/self/ns/pid'));
    for (const d of new Set(Object.values(cg.dirs())))
      assert.ok(readFileSync(join(d, 'cgroup.procs'), 'utf8').split('\n').includes(String(pid)), `in ${d}`);
    process.kill(pid, 'SIGTERM');
    const e = await started.exited;
    assert.equal(e.code, 0);
    pid = 0;
  },
);

test('in-place is refused for anything but a pause without a PID namespace of its own', opts, async (t) => {
  const rootfs = bundle(t);
  for (const extra of [[{ op: 'in-place' }], [{ op: 'pause' }, { op: 'in-place' }]] as PlanRecord[][]) {
    // basePlan has a new PID namespace: the second is refused for that, the first as no pause.
    await assert.rejects(
      startPlan(basePlan(rootfs, ['true'], { extra }), {
        stdio: ['ignore', 'ignore', 'ignore'],
        detached: false,
      }),
      (e: unknown) => e instanceof HelperError && /^in-place: only a pause/.test(e.message),
    );
  }
});

test('a helper started ahead of its plan runs it; one not needed exits quietly', opts, async (t) => {
  const rootfs = bundle(t);
  const stdio: StartPlanOptions['stdio'] = ['ignore', 'pipe', 'pipe'];
  const early = prespawnHelper({ stdio, detached: false })!;
  const r = await runPlan(basePlan(rootfs, ['sh', '-c', 'echo early; exit 7']), { prespawned: early });
  assert.equal(r.code, 7);
  assert.equal(r.stdout, 'early\n');
  assert.equal(early.take(), undefined, 'handed out once');

  const cancelled = prespawnHelper({ stdio, detached: false })!;
  cancelled.cancel();
  assert.equal(cancelled.take(), undefined, 'a cancelled helper is not handed out');

  // What cancel() does: the sync socket closes before any plan; the helper ends with 0, silent.
  const unused = prespawnHelper({ stdio, detached: false })!;
  const { child, sync } = unused.take()!;
  const cp = child as ChildProcess;
  let output = '';
  cp.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  cp.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((res) => cp.once('close', (code) => res(code)));
  sync.end();
  assert.equal(await exited, 0);
  assert.equal(output, '');
});

test('cwd through a host directory fd is refused (CVE-2024-21626)', opts, async (t) => {
  const rootfs = bundle(t);
  const { openSync, closeSync } = await import('node:fs');
  const dirFd = openSync('/tmp', 'r');
  t.after(() => closeSync(dirFd));
  await assert.rejects(
    runPlan(
      basePlan(rootfs, ['pwd'], {
        extra: [
          { op: 'preserve-fds', count: 1 },
          { op: 'cwd', path: '/proc/self/fd/3' },
        ],
      }),
      {
        preserveFds: [dirFd],
      },
    ),
    (e: unknown) =>
      e instanceof HelperError && /^cwd: \/proc\/self\/fd\/3 is outside the container's root/.test(e.message),
  );
  const ok = await runPlan(basePlan(rootfs, ['pwd'], { extra: [{ op: 'cwd', path: '/tmp' }] }));
  assert.equal(ok.stdout, '/tmp\n');
});

test('time and cgroup namespaces, chroot mode, startContainer hooks', opts, async (t) => {
  const rootfs = bundle(t);
  const plan = basePlan(
    rootfs,
    [
      'sh',
      '-c',
      'cut -d. -f1 /proc/uptime; cat /tmp/hook; readlink /proc/self/ns/cgroup; readlink /proc/self/ns/time',
    ],
    {
      extra: [
        { op: 'ns-new', type: 'time' },
        { op: 'timens-offset', clock: 'boottime', secs: 1_000_000, nsecs: 0 },
        { op: 'ns-new', type: 'cgroup' },
        { op: 'mount', source: 'tmpfs', target: '/tmp', fstype: 'tmpfs', flags: 0, propagation: 0, data: '' },
        {
          op: 'hook',
          stage: 'startContainer',
          hook: { path: '/bin/sh', args: ['sh', '-c', 'echo started > /tmp/hook'], env: [], timeoutSecs: 5 },
        },
      ],
    },
  ).map((r): PlanRecord => (r.op === 'pivot-root' ? { op: 'pivot-root', mode: 'chroot' } : r));
  const r = await runPlan(plan);
  assert.equal(r.code, 0, r.stderr);
  const [uptime, hook, cgns, timens] = r.stdout.trim().split('\n');
  assert.ok(Number(uptime) >= 1_000_000, `boottime offset applied: ${uptime}`);
  assert.equal(hook, 'started');
  const { readlinkSync } = await import('node:fs');
  assert.notEqual(cgns, readlinkSync('/proc/self/ns/cgroup'));
  assert.notEqual(timens, readlinkSync('/proc/self/ns/time'));
});

test('console socket: the pty master arrives, the process has a controlling terminal', opts, async (t) => {
  const rootfs = bundle(t);
  const sock = join(rootfs, '..', 'console.sock');
  // node cannot receive SCM_RIGHTS on a plain unix socket: a small python receiver reads the pty
  const { spawn } = await import('node:child_process');
  const receiver = spawn(
    'python3',
    [
      '-c',
      `import socket,os,sys,array
s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.listen(1); print("ready",flush=True)
c,_=s.accept(); fds=array.array("i")
msg,anc,_,_=c.recvmsg(64, socket.CMSG_SPACE(4))
fds.frombytes(anc[0][2]); out=b""
while True:
  try: d=os.read(fds[0],4096)
  except OSError: break
  if not d: break
  out+=d
print(msg.decode(), out.decode().replace("\\r",""), flush=True)`,
      sock,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  t.after(() => receiver.kill('SIGKILL'));
  const receiverExit = new Promise<void>((res) => receiver.once('exit', () => res()));
  let out = '';
  receiver.stdout.on('data', (d: Buffer) => (out += d.toString()));
  while (!out.includes('ready')) await new Promise((r) => setTimeout(r, 20));
  const r = await runPlan(
    basePlan(rootfs, ['sh', '-c', 'tty; echo on-the-pty'], {
      extra: [
        {
          op: 'mount',
          source: 'devpts',
          target: '/dev/pts',
          fstype: 'devpts',
          flags: MS_NOSUID | MS_NOEXEC,
          propagation: 0,
          data: 'newinstance,ptmxmode=0666,mode=0620',
        },
        { op: 'symlink', target: 'pts/ptmx', linkpath: '/dev/ptmx' },
        { op: 'console-socket', path: sock },
      ],
    }),
  );
  assert.equal(r.code, 0, r.stderr);
  await receiverExit;
  assert.match(out, /\/dev\/pts\/0 \/dev\/pts\/0\non-the-pty/);
});

test(
  'exec: a plan joining the namespaces of a running container (no rootfs) sees its world',
  opts,
  async (t) => {
    const rootfs = bundle(t);
    const box = await startPlan(
      basePlan(rootfs, ['sleep', '30'], { extra: [{ op: 'hostname', name: 'box-one' }] }),
      {
        stdio: ['ignore', 'ignore', 'ignore'],
        detached: false,
      },
    );
    t.after(async () => {
      process.kill(box.pid, 'SIGKILL');
      await box.exited;
    });
    const join_ = (type: 'pid' | 'mnt' | 'uts' | 'ipc' | 'net'): PlanRecord => ({
      op: 'ns-join',
      type,
      path: `/proc/${box.pid}/ns/${type}`,
    });
    const r = await runPlan([
      join_('pid'),
      join_('mnt'),
      join_('uts'),
      join_('ipc'),
      join_('net'),
      { op: 'detach', value: false },
      { op: 'cwd', path: '/' },
      { op: 'env', value: 'PATH=/bin' },
      { op: 'arg', value: 'sh' },
      { op: 'arg', value: '-c' },
      { op: 'arg', value: 'hostname; ps -o pid,comm | grep -c sleep; ls /proc/self/fd' },
    ]);
    assert.equal(r.code, 0, r.stderr);
    const [host, sleeps, ...fds] = r.stdout.trim().split(/\s+/);
    assert.equal(host, 'box-one');
    assert.equal(sleeps, '1');
    assert.deepEqual(
      fds.map(Number).sort((a, b) => a - b),
      [0, 1, 2, 3],
    );
  },
);
