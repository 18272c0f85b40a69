// Layout detection from mount tables, placement of Corral's root, device rule programs.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { deviceFilterProgram, detectLayout, openCgroups } from '../../../src/kernel/cgroup/index.js';
import { normalizeRules } from '../../../src/kernel/cgroup/devices-rules.js';
import { emulate, parseList, transition } from '../../../src/kernel/cgroup/v1/devices.js';

const HYBRID = `30 22 0:27 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
31 30 0:28 / /sys/fs/cgroup/cpu,cpuacct rw,relatime - cgroup cgroup rw,cpu,cpuacct
34 30 0:31 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
38 30 0:35 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids
39 30 0:36 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,xattr,name=systemd
40 30 0:37 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw,nsdelegate
`;
const HYBRID_SELF =
  '4:memory:/process_api/abc\n3:pids:/\n2:cpu,cpuacct:/user.slice\n1:name=systemd:/\n0::/\n';
const UNIFIED =
  '37 31 0:32 / /sys/fs/cgroup rw,relatime - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot\n';

test('hybrid mount table → v1 driver, root below the caller per hierarchy', () => {
  const layout = detectLayout(HYBRID, HYBRID_SELF);
  assert.equal(layout.mode, 'v1');
  assert.equal(layout.v1.get('cpuacct')?.mountPoint, '/sys/fs/cgroup/cpu,cpuacct');
  const d = openCgroups({ layout, helper: '/bin/false' });
  assert.equal(d.root, '/process_api/abc/corral');
  const dirs = d.manager('pod1/ctr').dirs();
  assert.equal(dirs.memory, '/sys/fs/cgroup/memory/process_api/abc/corral/pod1/ctr');
  assert.equal(dirs.cpu, '/sys/fs/cgroup/cpu,cpuacct/user.slice/corral/pod1/ctr');
  assert.equal(dirs.pids, '/sys/fs/cgroup/pids/corral/pod1/ctr');
  assert.equal(dirs.unified, '/sys/fs/cgroup/unified/corral/pod1/ctr');
  assert.equal(dirs['name=systemd'], undefined);
  // An absolute cgroupsPath is taken from the mount point; an absolute root likewise.
  assert.equal(d.manager('/abs/x').dirs().memory, '/sys/fs/cgroup/memory/abs/x');
  assert.equal(
    openCgroups({ layout, root: '/k8s', helper: '' }).manager('p').dirs().pids,
    '/sys/fs/cgroup/pids/k8s/p',
  );
});

test('unified mount table → v2 driver; the supervisor leaf is seen through', () => {
  const a = openCgroups({ layout: detectLayout(UNIFIED, '0::/\n'), helper: '' });
  assert.equal(a.mode, 'v2');
  assert.equal(a.root, '/corral');
  assert.deepEqual(a.manager('c1').dirs(), { unified: '/sys/fs/cgroup/corral/c1' });
  const b = openCgroups({
    layout: detectLayout(UNIFIED, '0::/user.slice/x/corral/supervisor\n'),
    helper: '',
  });
  assert.equal(b.root, '/user.slice/x/corral');
  assert.throws(() => b.manager('../escape'), /without \.\./);
});

test('open(dirs): another process, placed elsewhere, reopens the same cgroup from its dirs', () => {
  const a = openCgroups({ layout: detectLayout(HYBRID, HYBRID_SELF), helper: '' });
  const made = a.manager('pod1/ctr');
  // The other process sits in other cgroups: manager() of the same cgroupsPath lands elsewhere.
  const b = openCgroups({
    layout: detectLayout(HYBRID, '4:memory:/other\n3:pids:/x\n2:cpu,cpuacct:/\n1:name=systemd:/\n0::/y\n'),
    helper: '',
  });
  assert.notDeepEqual(b.manager('pod1/ctr').dirs(), made.dirs());
  const reopened = b.open(made.dirs());
  assert.deepEqual(reopened.dirs(), made.dirs());
  assert.equal(reopened.path, made.path);
  // A directory outside the hierarchy (or a missing one) is refused, naming the key.
  assert.throws(() => b.open({ memory: '/tmp/x' }), /cgroup dirs: memory: \/tmp\/x: not a directory below/);
  assert.throws(() => b.open({ memory: '/sys/fs/cgroup/memory/../pids/x' }), /cgroup dirs: memory/);
  assert.throws(() => b.open({ rdma: '/sys/fs/cgroup/rdma/x' }), /cgroup dirs: rdma/);
  assert.throws(() => b.open({}), /none recorded/);

  const v2a = openCgroups({ layout: detectLayout(UNIFIED, '0::/user.slice/x\n'), helper: '' });
  const v2b = openCgroups({ layout: detectLayout(UNIFIED, '0::/\n'), helper: '' });
  const c = v2a.manager('c1');
  assert.equal(v2b.open(c.dirs()).path, '/user.slice/x/corral/c1');
  assert.deepEqual(v2b.open(c.dirs()).dirs(), c.dirs());
  assert.throws(
    () => v2b.open({ memory: '/sys/fs/cgroup/memory/x' }),
    /a v1 hierarchy, but this host is cgroup v2/,
  );
});

test('device program: prelude, one block per rule in reverse, default deny', () => {
  const rules = normalizeRules([
    { allow: false, access: 'rwm' },
    { allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' },
    { allow: true, type: 'c', major: 136, access: 'rw' },
  ]);
  const p = deviceFilterProgram(rules);
  // 6 prelude + (type, 3 access, major, mov, exit = 7) + (type, major, minor, mov, exit = 5) + deny-all (mov, exit);
  // no default after the catch-all (the verifier rejects unreachable instructions).
  assert.equal(p.length, 6 + 7 + 5 + 2);
  assert.equal(p.filter((i) => i.code === 0x95).length, 3);
  assert.deepEqual(p.at(-2), { code: 0xb4, dst: 0, src: 0, off: 0, imm: 0 });
  // Without a catch-all rule, no match denies.
  const q = deviceFilterProgram(normalizeRules([{ allow: true, type: 'b', access: 'r' }]));
  assert.deepEqual(q.at(-2), { code: 0xb4, dst: 0, src: 0, off: 0, imm: 0 });
  assert.equal(q.length, 6 + 6 + 2); // type, 3 access tests, mov, exit
  // Every jump lands inside the program, on the first instruction of a later block.
  p.forEach((ins, i) => {
    if (ins.code === 0x55 || ins.code === 0x5d) {
      const target = i + 1 + ins.off;
      assert.ok(target < p.length && target > i);
      assert.ok(p[target - 1]!.code === 0x95, `jump at ${i} lands after an exit`);
    }
  });
  // The last rule comes first: after the prelude, a char-device test.
  assert.deepEqual(p[6], { code: 0x55, dst: 2, src: 0, off: 6, imm: 2 });
});

test('v1 device rules: emulated like the kernel, applied as a difference', () => {
  const rules = normalizeRules([
    { allow: false, access: 'rwm' },
    { allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' },
    { allow: true, type: 'c', major: 1, minor: 5, access: 'rwm' },
    { allow: false, type: 'c', major: 1, minor: 5, access: 'w' },
  ]);
  const target = emulate(rules, { defaultAllow: true, exceptions: new Map() });
  assert.equal(target.defaultAllow, false);
  assert.deepEqual(
    [...target.exceptions],
    [
      ['c 1:3', 'rwm'],
      ['c 1:5', 'rm'],
    ],
  );
  // From allow-all: reset to deny first.
  assert.deepEqual(transition(undefined, target)[0], { file: 'devices.deny', line: 'a' });
  // From a known deny state: only the difference, no global deny.
  const cur = parseList('c 1:3 rwm\nc 1:7 rwm\n')!;
  assert.deepEqual(transition(cur, target), [
    { file: 'devices.deny', line: 'c 1:7 rwm' },
    { file: 'devices.allow', line: 'c 1:5 rm' },
  ]);
});
