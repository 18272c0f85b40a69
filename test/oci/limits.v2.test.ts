// Containers get their limits through the cgroup driver (linux.cgroupsPath), checked under pure
// cgroup v2 (this file runs inside ../shared/vm/cgroup2-vm): the container sees its own cgroup
// through its cgroup namespace with the configured limits, and a memory hog is OOM-killed (137).
// (The fork bomb and the other enforcement scenarios run at the cgroup level: test/kernel/cgroup.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { isRoot, runIn } from './support.js';

// Pure v2: /sys/fs/cgroup itself is the unified hierarchy.
const v2 = readFileSync('/proc/self/mountinfo', 'utf8')
  .split('\n')
  .some((l) => l.split(' ')[4] === '/sys/fs/cgroup' && l.includes(' - cgroup2 '));
const skip = (!isRoot && 'needs root') || (!v2 && 'needs pure cgroup v2 (run in cgroup2-vm)');

test('v2: the container sees its cgroup with the configured limits', { skip }, async (t) => {
  const r = await runIn(
    t,
    [
      'sh',
      '-c',
      'cat /proc/self/cgroup; cat /sys/fs/cgroup/memory.max /sys/fs/cgroup/pids.max /sys/fs/cgroup/cpu.max',
    ],
    (s) => {
      s.linux!.resources = {
        memory: { limit: 32 * 1024 * 1024 },
        pids: { limit: 20 },
        cpu: { quota: 50000, period: 100000 },
      };
      // The default spec's cgroup mount shows the container's own cgroup through a cgroup namespace.
      s.linux!.namespaces!.push({ type: 'cgroup' });
    },
  );
  assert.equal(r.code, 0, r.out);
  assert.equal(r.out, '0::/\n33554432\n20\n50000 100000\n');
});

test('v2: a memory hog in a container is OOM-killed (137)', { skip }, async (t) => {
  const oom = await runIn(t, ['sh', '-c', 'x=$(head -c 64m /dev/zero | tr "\\0" a); echo survived'], (s) => {
    s.linux!.resources = { memory: { limit: 16 * 1024 * 1024, swap: 16 * 1024 * 1024 } };
  });
  assert.equal(oom.code, 137, oom.out);
  assert.doesNotMatch(oom.out, /survived/);
});
