// The runtime library driving real containers (root, real kernel). Each test cleans up its
// containers, cgroups, bundles and state root, also on failure (support.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, readlinkSync, writeFileSync, chmodSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { bundle, capture, isRoot, runIn, runtime, uniqueId } from './support.js';
import type { Spec } from '../../src/oci/spec.js';
import { Runtime } from '../../src/oci/runtime.js';

const skip = !isRoot && 'needs root';

test('the process is PID 1 and sees only its own processes', { skip }, async (t) => {
  const r = await runIn(t, [
    'sh',
    '-c',
    'echo pid=$$; ps -o pid,comm > /dev/shm/ps; tail -n +2 /dev/shm/ps; ls /proc | grep -c "^[0-9]"',
  ]);
  assert.equal(r.code, 0, r.out);
  const lines = r.out.trim().split('\n');
  assert.equal(lines[0], 'pid=1');
  const procs = lines.slice(1, -1).map((l) => l.trim().split(/\s+/));
  assert.deepEqual(procs.map((p) => p[0]).sort(), ['1', String(procs.find((p) => p[1] === 'ps')![0])].sort());
  assert.ok(Number(lines.at(-1)) <= 3, `few processes in /proc: ${r.out}`);
});

test("hostname and domainname are the spec's", { skip }, async (t) => {
  const r = await runIn(t, ['sh', '-c', 'hostname; cat /proc/sys/kernel/domainname'], (s) => {
    s.hostname = 'box1';
    s.domainname = 'example.test';
  });
  assert.equal(r.out, 'box1\nexample.test\n');
});

test('the mount table shows the rootfs, not the host', { skip }, async (t) => {
  const rt = runtime(t);
  const b = bundle(t, ['sh', '-c', 'test -f /i-am-the-rootfs && echo marker; cat /proc/self/mountinfo']);
  writeFileSync(join(b.rootfs, 'i-am-the-rootfs'), '');
  const out = capture(t);
  assert.equal(await rt.run(uniqueId(), b.dir, { stdio: ['ignore', out.fd, out.fd] }), 0);
  const text = out.read();
  assert.match(text, /^marker\n/);
  const mountPoints = text
    .split('\n')
    .slice(1)
    .filter(Boolean)
    .map((l) => l.split(' ')[4]);
  assert.ok(mountPoints.includes('/'));
  assert.ok(
    !mountPoints.some((m) => m!.startsWith('/work') || m!.startsWith('/home') || m === '/boot'),
    text,
  );
  assert.ok(!mountPoints.some((m) => m!.includes(b.dir)), 'no host mount point of the bundle is visible');
});

test('SysV IPC objects of the host are invisible', { skip }, async (t) => {
  const id = execFileSync('ipcmk', ['-M', '4096'], { encoding: 'utf8' }).match(/(\d+)/)![1]!;
  t.after(() => execFileSync('ipcrm', ['-m', id]));
  assert.match(readFileSync('/proc/sysvipc/shm', 'utf8'), new RegExp(`\\s${id}\\s`));
  const r = await runIn(t, ['sh', '-c', 'tail -n +2 /proc/sysvipc/shm | wc -l']);
  assert.equal(r.out.trim(), '0');
});

test(
  'user namespace: root inside is the configured host uid, host-owned files are read-only',
  { skip },
  async (t) => {
    const rt = runtime(t);
    const b = bundle(
      t,
      [
        'sh',
        '-c',
        'cat /proc/self/uid_map /proc/self/gid_map; id -u; echo x >> /host-owned && echo WROTE; echo x > /tmp/ok && echo tmp-ok',
      ],
      (s) => {
        s.linux!.namespaces!.push({ type: 'user' });
        s.linux!.uidMappings = [{ containerID: 0, hostID: 200000, size: 65536 }];
        s.linux!.gidMappings = [{ containerID: 0, hostID: 200000, size: 65536 }];
        s.root!.readonly = false;
        s.mounts = s.mounts!.filter((m) => m.type !== 'cgroup');
        s.mounts!.push({ destination: '/tmp', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'nodev'] });
      },
    );
    chmodSync(b.dir, 0o755); // the mapped root must reach the rootfs (as with runc)
    writeFileSync(join(b.rootfs, 'host-owned'), 'host\n');
    chmodSync(join(b.rootfs, 'host-owned'), 0o644);
    const out = capture(t);
    const code = await rt.run(uniqueId(), b.dir, { stdio: ['ignore', out.fd, out.fd] });
    const text = out.read();
    assert.match(text, /^\s+0\s+200000\s+65536\n\s+0\s+200000\s+65536\n0\n/, text);
    assert.doesNotMatch(text, /WROTE/);
    assert.match(text, /tmp-ok/);
    assert.equal(readFileSync(join(b.rootfs, 'host-owned'), 'utf8'), 'host\n');
    assert.equal(code, 0);
  },
);

test('capability sets in /proc/self/status are the configured ones', { skip }, async (t) => {
  const r = await runIn(t, ['sh', '-c', 'grep ^Cap /proc/self/status'], (s) => {
    s.process!.capabilities = {
      bounding: ['CAP_CHOWN', 'CAP_KILL', 'CAP_NET_RAW'],
      effective: ['CAP_KILL', 'CAP_NET_RAW'],
      permitted: ['CAP_KILL', 'CAP_NET_RAW'],
      inheritable: ['CAP_KILL'],
      ambient: ['CAP_KILL'],
    };
  });
  assert.equal(
    r.out,
    'CapInh:\t0000000000000020\nCapPrm:\t0000000000002020\nCapEff:\t0000000000002020\nCapBnd:\t0000000000002021\nCapAmb:\t0000000000000020\n',
  );
});

test('a syscall blocked by seccomp fails with EPERM; the default profile is loaded', { skip }, async (t) => {
  const r = await runIn(
    t,
    ['sh', '-c', 'mkdir /tmp/d; echo status=$?; grep ^Seccomp: /proc/self/status'],
    (s) => {
      s.linux!.seccomp = {
        defaultAction: 'SCMP_ACT_ALLOW',
        syscalls: [{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO', errnoRet: 1 }],
      };
      s.root!.readonly = false;
    },
  );
  assert.match(r.out, /Operation not permitted/);
  assert.match(r.out, /status=1\nSeccomp:\t2\n/);
  // The default (podman) profile: swapoff is denied with EPERM even with CAP_SYS_ADMIN, which
  // without the filter gets as far as the path lookup.
  const withSysAdmin = (s: Spec) => {
    for (const set of ['bounding', 'effective', 'permitted'] as const)
      s.process!.capabilities![set]!.push('CAP_SYS_ADMIN');
  };
  const d = await runIn(
    t,
    ['sh', '-c', 'swapoff /nonexistent; grep ^Seccomp: /proc/self/status'],
    withSysAdmin,
  );
  assert.match(d.out, /swapoff: \/nonexistent: Operation not permitted/);
  assert.match(d.out, /Seccomp:\t2/);
  const n = await runIn(t, ['sh', '-c', 'swapoff /nonexistent'], (s) => {
    withSysAdmin(s);
    delete s.linux!.seccomp;
  });
  assert.match(n.out, /No such file or directory/);
});

test('masked paths read empty; /proc/sys is read-only', { skip }, async (t) => {
  const r = await runIn(
    t,
    [
      'sh',
      '-c',
      'wc -c < /proc/version; ls /sys/firmware | wc -l; echo x > /proc/sys/kernel/hostname; echo status=$?',
    ],
    (s) => s.linux!.maskedPaths!.push('/proc/version'),
  );
  assert.match(r.out, /^0\n0\n/);
  assert.match(r.out, /Read-only file system\nstatus=1\n$/);
});

test('no host fd leaks into the container; cwd stays inside the rootfs', { skip }, async (t) => {
  const r = await runIn(t, ['sh', '-c', 'ls /proc/self/fd | sort -n | tr "\\n" " "; echo; pwd'], (s) => {
    s.process!.cwd = '/../../../tmp';
  });
  // 0,1,2 and the fd ls uses to read the directory.
  assert.match(r.out, /^0 1 2 3 \n\/tmp\n$/);
});

test('exit codes and signals pass through', { skip }, async (t) => {
  assert.equal((await runIn(t, ['sh', '-c', 'exit 42'])).code, 42);
  const rt = runtime(t);
  const b = bundle(t, ['sleep', '100']);
  const id = uniqueId();
  const run = rt.run(id, b.dir, { stdio: ['ignore', 'ignore', 'ignore'] });
  for (let i = 0; i < 500 && (await rt.state(id).catch(() => undefined))?.status !== 'running'; i++) {
    await new Promise((r) => setTimeout(r, 10));
  }
  await rt.kill(id, 'KILL');
  assert.equal(await run, 137);
  assert.equal(rt.store.ids().includes(id), false, 'run deletes the container');
});

test(
  'lifecycle: create → created → start → running → kill → stopped → delete, with hooks',
  { skip },
  async (t) => {
    const rt = runtime(t);
    const b = bundle(t, ['sleep', '100']);
    const hookDir = b.dir;
    const hook = (name: string) => ({ path: '/bin/sh', args: ['sh', '-c', `cat > ${hookDir}/${name}.json`] });
    b.spec.hooks = {
      createRuntime: [hook('createRuntime')],
      poststart: [hook('poststart')],
      poststop: [hook('poststop')],
    };
    b.write();
    const id = uniqueId();
    const pidFile = join(b.dir, 'pid');
    const { pid } = await rt.create(id, b.dir, { pidFile, stdio: ['ignore', 'ignore', 'ignore'] });
    assert.equal(readFileSync(pidFile, 'utf8'), String(pid));
    let st = await rt.state(id);
    assert.deepEqual(
      { status: st.status, pid: st.pid, id: st.id, bundle: st.bundle },
      { status: 'created', pid, id, bundle: b.dir },
    );
    const cr = JSON.parse(readFileSync(join(hookDir, 'createRuntime.json'), 'utf8'));
    assert.equal(cr.id, id);
    assert.equal(cr.status, 'creating');
    await assert.rejects(rt.delete(uniqueId('missing')), /does not exist/);
    await rt.start(id);
    st = await rt.state(id);
    assert.equal(st.status, 'running');
    assert.equal(JSON.parse(readFileSync(join(hookDir, 'poststart.json'), 'utf8')).status, 'running');
    assert.equal(readFileSync(`/proc/${pid}/comm`, 'utf8'), 'sleep\n');
    await assert.rejects(rt.start(id), /cannot start container ".*": it is running, not created/);
    await assert.rejects(rt.delete(id), /cannot delete container ".*" that is not stopped: running/);
    await rt.pause(id);
    assert.equal((await rt.state(id)).status, 'paused');
    await rt.resume(id);
    assert.equal((await rt.state(id)).status, 'running');
    await rt.kill(id, 'SIGKILL');
    for (let i = 0; i < 100 && (await rt.state(id)).status !== 'stopped'; i++)
      await new Promise((r) => setTimeout(r, 10));
    st = await rt.state(id);
    assert.equal(st.status, 'stopped');
    assert.equal(st.pid, undefined);
    await assert.rejects(rt.kill(id, 'TERM'), /it is stopped/);
    await rt.delete(id);
    assert.equal(JSON.parse(readFileSync(join(hookDir, 'poststop.json'), 'utf8')).status, 'stopped');
    await assert.rejects(rt.state(id), /does not exist/);
    assert.equal(existsSync(rt.store.dir(id)), false);
  },
);

test(
  'another runtime instance, whose cgroup root differs, pauses and deletes from the noted dirs',
  { skip },
  async (t) => {
    const rt = runtime(t);
    const b = bundle(t, ['sleep', '100']);
    const id = uniqueId();
    await rt.create(id, b.dir, { stdio: ['ignore', 'ignore', 'ignore'] });
    await rt.start(id);
    const dirs = rt.store.load(id).cgroupDirMap!;
    assert.ok(dirs && Object.keys(dirs).length > 0, 'create notes the cgroup directories by hierarchy');
    for (const d of Object.values(dirs)) assert.ok(existsSync(d), d);
    // As another process would be: its own cgroup (here: its root) resolves cgroupsPath elsewhere.
    const other = new Runtime({ root: rt.root, cgroupRoot: `corral-other-${process.pid}` });
    await other.pause(id);
    assert.equal((await rt.state(id)).status, 'paused');
    await other.resume(id);
    assert.equal((await rt.state(id)).status, 'running');
    await other.delete(id, { force: true });
    for (const d of Object.values(dirs)) assert.equal(existsSync(d), false, `${d} left behind`);
  },
);

test('exec joins every namespace and the cgroup of the running container', { skip }, async (t) => {
  const rt = runtime(t);
  const b = bundle(t, ['sleep', '100'], (s) => s.linux!.namespaces!.push({ type: 'cgroup' }));
  const id = uniqueId();
  await rt.create(id, b.dir, { stdio: ['ignore', 'ignore', 'ignore'] });
  await rt.start(id);
  const { pid } = await rt.state(id).then((s) => ({ pid: s.pid! }));
  const out = capture(t);
  const ex = await rt.exec(
    id,
    {
      user: { uid: 0, gid: 0 },
      args: [
        'sh',
        '-c',
        'for n in ipc mnt net pid uts cgroup; do readlink /proc/self/ns/$n; done; echo pid=$$; hostname; exit 7',
      ],
      cwd: '/',
      env: ['PATH=/bin'],
    },
    { stdio: ['ignore', out.fd, out.fd] },
  );
  assert.equal(await ex.exited, 7);
  const text = out.read().trim().split('\n');
  const want = ['ipc', 'mnt', 'net', 'pid', 'uts', 'cgroup'].map((n) => readlinkSync(`/proc/${pid}/ns/${n}`));
  assert.deepEqual(text.slice(0, 6), want);
  assert.match(text[6]!, /^pid=\d+$/);
  assert.notEqual(text[6], `pid=${ex.pid}`, 'the exec process has a PID of the container namespace');
  assert.equal(text[7], 'corral');
  const ps = await rt.ps(id);
  assert.ok(ps.includes(pid));
  await rt.delete(id, { force: true });
});
