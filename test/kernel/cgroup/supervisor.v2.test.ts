// cgroup v2 no-internal-processes rule: a supervisor started in a cgroup of its own moves itself
// into <own>/corral/supervisor so controllers can be enabled for the containers' cgroups.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { openCgroups } from '../../../src/kernel/cgroup/index.js';
import { removeTree } from '../../../src/kernel/cgroup/lifecycle.js';

const index = fileURLToPath(new URL('../../../src/kernel/cgroup/index.js', import.meta.url));
let mode: string | undefined;
try {
  mode = openCgroups().mode;
} catch {
  mode = undefined;
}

test(
  'v2: a supervisor in its own cgroup moves into a leaf and enables controllers below it',
  {
    skip: mode !== 'v2' || process.getuid?.() !== 0 ? 'needs root on cgroup v2' : false,
    // Known failure: after the move, pids.max is missing in <own>/corral/c1 (controllers not enabled below own).
    todo: 'supervisor move: controllers do not reach the container cgroup yet',
    timeout: 300000,
  },
  async (t) => {
    const own = join('/sys/fs/cgroup', `suptest-${process.pid}`);
    mkdirSync(own);
    t.after(() => removeTree(own));
    const script =
      `import { openCgroups } from ${JSON.stringify(index)};` +
      `process.stdin.once('data', async () => {` +
      ` const m = openCgroups().manager('c1'); await m.create({ pids: { limit: 5 } });` +
      ` console.log(JSON.stringify({ path: m.path, self: (await import('node:fs')).readFileSync('/proc/self/cgroup', 'utf8').trim() }));` +
      ` process.exit(0); });`;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const exited = new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
    t.after(() => child.kill('SIGKILL'));
    writeFileSync(join(own, 'cgroup.procs'), String(child.pid));
    child.stdin.write('go\n');
    assert.equal(await exited, 0, err);
    const res = JSON.parse(out) as { path: string; self: string };
    const rel = `/suptest-${process.pid}`;
    assert.equal(res.path, `${rel}/corral/c1`);
    assert.equal(res.self, `0::${rel}/corral/supervisor`);
    assert.equal(readFileSync(join(own, 'corral/c1/pids.max'), 'utf8').trim(), '5');
    assert.match(readFileSync(join(own, 'cgroup.subtree_control'), 'utf8'), /pids/);
  },
);
