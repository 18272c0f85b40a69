// `corral run` and the container commands, end to end: the real CLI, real containers from the
// built-in busybox image, a private data dir and cgroup root per test (support.ts cleans up).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { volatileOverlaySupported } from '../../src/image/rootfs.js';
import { instance, isRoot, withReaderGone, type Instance } from './support.js';

const skip = !isRoot && 'needs root';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function hostDir(t: { after: (fn: () => void) => void }): string {
  const d = mkdtempSync(join(tmpdir(), 'corral-vol-'));
  t.after(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

async function until(what: string, fn: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await fn())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

interface Inspected {
  State: { Status: string; ExitCode: number; OOMKilled: boolean };
}

async function inspect(c: Instance, ref: string): Promise<Inspected> {
  const r = await c.corral(['inspect', ref]);
  assert.equal(r.code, 0, r.stderr);
  return (JSON.parse(r.stdout) as Inspected[])[0]!;
}

test(
  "foreground: stdout, stderr and the exit code are the container's; --rm leaves nothing",
  { skip },
  async (t) => {
    const c = instance(t);
    const r = await c.corral(['run', '--rm', 'busybox', 'sh', '-c', 'echo out; echo err >&2; exit 7']);
    assert.equal(r.code, 7, r.stderr);
    assert.equal(r.stdout, 'out\n');
    assert.equal(r.stderr, 'err\n');
    assert.deepEqual(c.leftovers(), []);
  },
);

test(
  '--rm: the overlay is volatile (its exit does not sync the disk); without --rm it is not',
  { skip },
  async (t) => {
    const c = instance(t);
    // The root filesystem's line of mountinfo: its super options end the line.
    const rootLine = 'grep " / / " /proc/self/mountinfo';
    const rm = await c.corral(['run', '--rm', 'busybox', 'sh', '-c', rootLine]);
    assert.equal(rm.code, 0, rm.stderr);
    assert.match(rm.stdout, / overlay overlay .*\bupperdir=/);
    if (volatileOverlaySupported())
      assert.match(rm.stdout, /[ ,](fsync=)?volatile(,|$)/m); // fsync=volatile since 6.6
    else assert.doesNotMatch(rm.stdout, /volatile/);
    assert.deepEqual(c.leftovers(), []);
    const kept = await c.corral(['run', '--name', 'kept', 'busybox', 'sh', '-c', rootLine]);
    assert.equal(kept.code, 0, kept.stderr);
    assert.doesNotMatch(kept.stdout, /volatile/);
    assert.equal((await c.corral(['rm', 'kept'])).code, 0);
    assert.deepEqual(c.leftovers(), []);
  },
);

test('volatileOverlaySupported: Linux 5.10 and later', () => {
  const v = volatileOverlaySupported;
  assert.equal(v('5.9.16'), false);
  assert.equal(v('5.10.0-21-amd64'), true);
  assert.equal(v('6.18.44-fc-v782'), true);
  assert.equal(v('4.19.0'), false);
  assert.equal(v('garbage'), false);
});

test(
  'default isolation: PID 1, own hostname, lo only and up, cgroup ns, podman caps, seccomp, masked /proc',
  { skip },
  async (t) => {
    const c = instance(t);
    // A masked file this kernel has (/proc/kcore is missing on some VMs).
    const masked = ['/proc/kcore', '/proc/timer_list', '/proc/keys', '/proc/sched_debug'].find((p) =>
      existsSync(p),
    );
    assert.ok(masked, 'no masked /proc file exists on this host');
    const r = await c.corral([
      'run',
      '--rm',
      '--hostname',
      'box1',
      'busybox',
      'sh',
      '-c',
      'echo pid=$$; hostname; ip -o link | cut -d: -f2 | tr -d " "; ip -o link show lo | grep -c ",UP"; ' +
        `cat /proc/self/cgroup | tail -n 1; grep -E "^(CapEff|Seccomp):" /proc/self/status; wc -c < ${masked}; ` +
        'touch /proc/sys/kernel/x 2>/dev/null || echo sys-ro',
    ]);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trim().split('\n');
    assert.equal(lines[0], 'pid=1');
    assert.equal(lines[1], 'box1');
    assert.equal(lines[2], 'lo');
    assert.equal(lines[3], '1');
    assert.equal(lines[4], '0::/');
    // podman's default set: CHOWN DAC_OVERRIDE FOWNER FSETID KILL NET_BIND_SERVICE SETFCAP SETGID SETPCAP SETUID SYS_CHROOT
    assert.match(lines[5]!, /^CapEff:\s+00000000800405fb$/);
    assert.match(lines[6]!, /^Seccomp:\s+2$/);
    assert.equal(lines[7]!.trim(), '0');
    assert.equal(lines[8], 'sys-ro');
  },
);

test('--network host shares the host network namespace', { skip }, async (t) => {
  const c = instance(t);
  const r = await c.corral(['run', '--rm', '--network', 'host', 'busybox', 'readlink', '/proc/self/ns/net']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout.trim(), readlinkSync('/proc/self/ns/net'));
});

test(
  '-e, -w and -u override the image; a user name resolves through the image /etc/passwd',
  { skip },
  async (t) => {
    const c = instance(t);
    const r = await c.corral([
      'run',
      '--rm',
      '-e',
      'GREETING=hi there',
      '-w',
      '/var/work',
      '-u',
      'nobody',
      'busybox',
      'sh',
      '-c',
      'echo "$GREETING"; pwd; id -u; id -g; echo $HOME',
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'hi there\n/var/work\n65534\n65534\n/home\n');
    const n = await c.corral(['run', '--rm', '-u', '1234:5678', 'busybox', 'sh', '-c', 'id -u; id -g']);
    assert.equal(n.stdout, '1234\n5678\n');
    const bad = await c.corral(['run', '--rm', '-u', 'nosuchuser', 'busybox', 'true']);
    assert.equal(bad.code, 125);
    assert.match(
      bad.stderr,
      /^corral: -u nosuchuser: no user "nosuchuser" in the image's \/etc\/passwd; .*\n$/,
    );
    assert.deepEqual(c.leftovers(), []);
  },
);

test('-v: what the container writes appears on the host; :ro refuses writes', { skip }, async (t) => {
  const c = instance(t);
  const dir = hostDir(t);
  writeFileSync(join(dir, 'from-host'), 'host data\n');
  const r = await c.corral([
    'run',
    '--rm',
    '-v',
    `${dir}:/data`,
    'busybox',
    'sh',
    '-c',
    'cat /data/from-host; echo written > /data/out',
  ]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'host data\n');
  assert.equal(readFileSync(join(dir, 'out'), 'utf8'), 'written\n');
  const ro = await c.corral([
    'run',
    '--rm',
    '-v',
    `${dir}:/data:ro`,
    'busybox',
    'sh',
    '-c',
    'cat /data/out; echo x > /data/out2',
  ]);
  assert.notEqual(ro.code, 0);
  assert.equal(ro.stdout, 'written\n');
  assert.match(ro.stderr, /Read-only file system/);
});

test('--read-only: / is read-only, /tmp and /run are writable tmpfs', { skip }, async (t) => {
  const c = instance(t);
  const r = await c.corral([
    'run',
    '--rm',
    '--read-only',
    'busybox',
    'sh',
    '-c',
    'touch /x 2>/dev/null && echo root-writable; touch /tmp/a /run/b /var/tmp/c && echo scratch-ok',
  ]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'scratch-ok\n');
  const w = await c.corral(['run', '--rm', 'busybox', 'sh', '-c', 'touch /x && echo root-writable']);
  assert.equal(w.stdout, 'root-writable\n');
});

test(
  '-d: logs, ps, exec, stop, rm; the exit code is recorded after corral run returned',
  { skip },
  async (t) => {
    const c = instance(t);
    const d = await c.corral([
      'run',
      '-d',
      '--name',
      'ticker',
      'busybox',
      'sh',
      '-c',
      'echo started; echo to-stderr >&2; while true; do sleep 0.1; done',
    ]);
    assert.equal(d.code, 0, d.stderr);
    const id = d.stdout.trim();
    assert.match(id, /^[0-9a-f]{64}$/);

    await until('the log', async () => (await c.corral(['logs', 'ticker'])).stdout.includes('to-stderr'));
    assert.equal((await c.corral(['logs', 'ticker'])).stdout, 'started\nto-stderr\n');

    const ps = await c.corral(['ps']);
    assert.equal(ps.code, 0);
    assert.match(ps.stdout, new RegExp(`^${id.slice(0, 12)} .*Up .* ticker$`, 'm'));
    // The overlay root is mounted in the container's mount namespace only.
    assert.deepEqual(
      c.leftovers().filter((l) => l.startsWith('mount ')),
      [],
    );
    const root = await c.corral(['exec', 'ticker', 'grep', '^overlay / overlay ', '/proc/mounts']);
    assert.equal(root.code, 0, `the container's / is the overlay: ${root.stdout}${root.stderr}`);
    // -u by name: through the container's /etc/passwd (its root, not mounted on the host).
    const asNobody = await c.corral(['exec', '-u', 'nobody', 'ticker', 'id', '-u']);
    assert.equal(asNobody.stdout, '65534\n', asNobody.stderr);

    const ex = await c.corral([
      'exec',
      '-e',
      'X=1',
      '-w',
      '/tmp',
      'ticker',
      'sh',
      '-c',
      'echo $X; pwd; echo $$; exit 4',
    ]);
    assert.equal(ex.code, 4, ex.stderr);
    const [x, pwd, pid] = ex.stdout.trim().split('\n');
    assert.equal(x, '1');
    assert.equal(pwd, '/tmp');
    assert.ok(Number(pid) > 1, 'exec runs in the container PID namespace, not as its init');
    const nf = await c.corral(['exec', id.slice(0, 8), 'no-such-command']);
    assert.equal(nf.code, 127, nf.stderr);

    const st = await c.corral(['stop', '-t', '1', 'ticker']);
    assert.equal(st.code, 0, st.stderr);
    assert.equal(st.stdout, 'ticker\n');
    const info = await inspect(c, 'ticker');
    assert.equal(info.State.Status, 'exited');
    assert.equal(info.State.ExitCode, 137); // sh as PID 1 ignores SIGTERM: killed after -t 1
    assert.doesNotMatch((await c.corral(['ps'])).stdout, /ticker/);
    assert.match((await c.corral(['ps', '-a'])).stdout, /Exited \(137\).*ticker/);

    const rm = await c.corral(['rm', 'ticker']);
    assert.equal(rm.code, 0, rm.stderr);
    assert.deepEqual(c.leftovers(), []);
  },
);

test(
  '-d: the monitor records the exit code; --rm -d removes the container when it exits',
  { skip },
  async (t) => {
    const c = instance(t);
    const d = await c.corral(['run', '-d', '--name', 'quick', 'busybox', 'sh', '-c', 'echo bye; exit 5']);
    assert.equal(d.code, 0, d.stderr);
    await until('the exit', async () => (await inspect(c, 'quick')).State.Status === 'exited');
    const info = await inspect(c, 'quick');
    assert.equal(info.State.ExitCode, 5);
    assert.equal((await c.corral(['logs', 'quick'])).stdout, 'bye\n');
    assert.equal((await c.corral(['rm', 'quick'])).code, 0);

    const gone = await c.corral(['run', '-d', '--rm', '--name', 'gone', 'busybox', 'true']);
    assert.equal(gone.code, 0, gone.stderr);
    await until('removal', async () => c.leftovers().length === 0);
    assert.equal((await c.corral(['inspect', 'gone'])).code, 125);
  },
);

test('rm refuses a running container without -f; rm -f kills it; names are unique', { skip }, async (t) => {
  const c = instance(t);
  assert.equal((await c.corral(['run', '-d', '--name', 'busy', 'busybox', 'sleep', '1000'])).code, 0);
  const dup = await c.corral(['run', '-d', '--name', 'busy', 'busybox', 'true']);
  assert.equal(dup.code, 125);
  assert.match(dup.stderr, /^corral: the name "busy" is already in use/);
  const rm = await c.corral(['rm', 'busy']);
  assert.equal(rm.code, 125);
  assert.match(rm.stderr, /is running; stop it first/);
  const rmf = await c.corral(['rm', '-f', 'busy']);
  assert.equal(rmf.code, 0, rmf.stderr);
  assert.deepEqual(c.leftovers(), []);
});

test('an OOM kill exits 137 and says so', { skip }, async (t) => {
  const c = instance(t);
  const r = await c.corral([
    'run',
    '--rm',
    '--memory',
    '16Mi',
    'busybox',
    'sh',
    '-c',
    'x=$(head -c 64m /dev/zero | tr "\\0" a); echo survived',
  ]);
  assert.equal(r.code, 137, r.stderr);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, /corral: container \S+ was OOM-killed: .*--memory 16Mi/);
  assert.deepEqual(c.leftovers(), []);
});

test('a detached OOM kill is recorded in inspect', { skip }, async (t) => {
  const c = instance(t);
  const d = await c.corral([
    'run',
    '-d',
    '--name',
    'hog',
    '--memory',
    '16Mi',
    'busybox',
    'sh',
    '-c',
    'head -c 100m /dev/zero | tail',
  ]);
  assert.equal(d.code, 0, d.stderr);
  await until('the exit', async () => (await inspect(c, 'hog')).State.Status === 'exited');
  const info = await inspect(c, 'hog');
  assert.equal(info.State.OOMKilled, true);
  assert.equal(info.State.ExitCode, 137);
});

test('bad input: one line, exit 125 (126/127 for the command), nothing left behind', { skip }, async (t) => {
  const c = instance(t);
  const cases: [string[], number, RegExp][] = [
    [['run', 'no-such-image'], 125, /^corral: image "no-such-image" not found/],
    [['run', 'Not/Valid'], 125, /^corral: invalid image reference "Not\/Valid"/],
    [['run', '-v', '/tmp', 'busybox', 'true'], 125, /^corral: -v \/tmp: expected HOST:CONTAINER/],
    [
      ['run', '-v', '/no/such/dir:/x', 'busybox', 'true'],
      125,
      /^corral: -v .*does not exist; create it first/,
    ],
    [['run', '--bogus', 'busybox', 'true'], 125, /^corral: unknown option '--bogus'; see corral run --help/],
    [['run', '--memory', 'lots', 'busybox', 'true'], 125, /^corral: --memory/],
    [['run', '--network', 'weird', 'busybox', 'true'], 125, /^corral: --network weird: unknown network mode/],
    [
      ['run', '--network', 'host', '-p', '8080:80', 'busybox', 'true'],
      125,
      /^corral: -p 8080:80: publishing ports needs --network bridge/,
    ],
    [['run'], 125, /^corral: missing required argument 'image'/],
    [['run', 'busybox', 'no-such-command'], 127, /^corral: no-such-command: executable file not found/],
    [['run', 'busybox', '/etc/passwd'], 126, /^corral: exec \/etc\/passwd: Permission denied/],
    [['logs', 'nothing'], 125, /^corral: no container named or with id "nothing"/],
    [['stop', 'nothing'], 125, /^corral: no container/],
    [['rm', 'nothing'], 125, /^corral: no container/],
  ];
  for (const [args, code, re] of cases) {
    const r = await c.corral(args);
    assert.equal(r.code, code, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, re, args.join(' '));
    assert.equal(r.stderr.split('\n').filter(Boolean).length, 1, `one line: ${r.stderr}`);
    assert.deepEqual(c.leftovers(), [], args.join(' '));
  }
});

test('a reader that went away (corral ps | head): exit 141 quietly, as podman', { skip }, async (t) => {
  const c = instance(t);
  // The reader (`true`) is gone before corral writes: the write fails with EPIPE.
  const r = await withReaderGone(['--data-dir', c.dataDir, 'ps', '-a'], c.env);
  assert.equal(r.stderr, 'status 141\n');
});
