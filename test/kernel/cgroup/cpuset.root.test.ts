// cgroup v1 cpusets start empty and take no task until cpus and mems are set: the levels Corral
// makes are filled from their parent, and pass their values on to children the kernel makes later
// (cgroup.clone_children), so a process can join a cgroup made below them with one mkdir.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { openCgroups } from '../../../src/kernel/cgroup/index.js';
import { removeCgroupTree } from '../../support/cgroup-root.js';
import { startIn, uniqueName } from './workload.js';

let mode: string | undefined;
try {
  mode = openCgroups().mode;
} catch {
  mode = undefined;
}
const skip = process.getuid?.() !== 0 ? 'needs root' : mode !== 'v1' ? 'host is not cgroup v1' : false;
const read = (dir: string, f: string): string => readFileSync(join(dir, f), 'utf8').trim();

test('v1: new cpuset levels are filled and clone into the siblings made later', { skip }, async (t) => {
  const root = uniqueName('cpuset');
  const cg = openCgroups({ root });
  const first = cg.manager('pod/a');
  const second = cg.manager('pod/b');
  t.after(() => removeCgroupTree(root));
  await first.create();
  const a = first.dirs().cpuset!;
  const pod = dirname(a);
  const top = dirname(pod);
  const cpus = read(dirname(top), 'cpuset.cpus');
  for (const d of [top, pod, a]) {
    assert.equal(read(d, 'cpuset.cpus'), cpus, `${d} has the CPUs of its parent`);
    assert.notEqual(read(d, 'cpuset.mems'), '', `${d} has memory nodes`);
    assert.equal(read(d, 'cgroup.clone_children'), '1', `${d} passes them on`);
  }
  await second.create();
  const b = second.dirs().cpuset!;
  assert.equal(read(b, 'cpuset.cpus'), cpus);
  assert.equal(read(b, 'cpuset.mems'), read(pod, 'cpuset.mems'));
  // The proof: a process can join it (an empty v1 cpuset refuses tasks with ENOSPC).
  const w = await startIn(second, 'echo joined');
  assert.equal((await w.exited).code, 0, w.stderr());
  assert.equal(w.stdout().trim(), 'joined');
});
