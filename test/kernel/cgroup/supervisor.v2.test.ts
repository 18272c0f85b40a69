// cgroup v2 no-internal-processes rule: a supervisor started in a cgroup of its own moves itself
// into <own>/corral/supervisor so controllers can be enabled for the containers' cgroups. When
// that cannot work (other processes in its cgroup, a controller its parent does not delegate),
// the error says why and what to do.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test, type TestContext } from 'node:test';
import { openCgroups, type LinuxResources } from '../../../src/kernel/cgroup/index.js';
import { removeTree } from '../../../src/kernel/cgroup/lifecycle.js';

const index = fileURLToPath(new URL('../../../src/kernel/cgroup/index.js', import.meta.url));
const MNT = '/sys/fs/cgroup';
let mode: string | undefined;
try {
  mode = openCgroups().mode;
} catch {
  mode = undefined;
}
const opts = {
  skip: mode !== 'v2' || process.getuid?.() !== 0 ? 'needs root on cgroup v2' : false,
  timeout: 300000,
};

interface Outcome {
  ok: boolean;
  path?: string;
  self?: string;
  error?: string;
}

/** A fresh cgroup below the mount (removed after the test, once what the test started is dead). */
function freshCgroup(t: TestContext, name: string, kill: ChildProcess[]): string {
  const dir = join(MNT, `${name}-${process.pid}`);
  mkdirSync(dir);
  t.after(async () => {
    for (const c of kill) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    await Promise.all(
      kill.map((c) =>
        c.exitCode !== null || c.signalCode !== null ? undefined : new Promise((r) => c.once('exit', r)),
      ),
    );
    await removeTree(dir);
  });
  return dir;
}

/** A node process put into cgroup `dir` before it opens the driver and creates `c1`. */
async function createFrom(dir: string, resources: LinuxResources, kill: ChildProcess[]): Promise<Outcome> {
  const script =
    `import { openCgroups } from ${JSON.stringify(index)};` +
    `import { readFileSync } from 'node:fs';` +
    `process.stdin.once('data', async () => {` +
    ` const m = openCgroups().manager('c1');` +
    ` try { await m.create(${JSON.stringify(resources)});` +
    `  console.log(JSON.stringify({ ok: true, path: m.path, self: readFileSync('/proc/self/cgroup', 'utf8').trim() })); }` +
    ` catch (e) { console.log(JSON.stringify({ ok: false, error: e.message })); }` +
    ` process.exit(0); });`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  kill.push(child);
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
  writeFileSync(join(dir, 'cgroup.procs'), String(child.pid));
  child.stdin.write('go\n');
  assert.equal(await exited, 0, err);
  return JSON.parse(out) as Outcome;
}

test(
  'v2: a supervisor in its own cgroup moves into a leaf and enables controllers below it',
  opts,
  async (t) => {
    const kill: ChildProcess[] = [];
    const own = freshCgroup(t, 'suptest', kill);
    const res = await createFrom(own, { pids: { limit: 5 } }, kill);
    assert.ok(res.ok, res.error);
    const rel = `/suptest-${process.pid}`;
    assert.equal(res.path, `${rel}/corral/c1`);
    assert.equal(res.self, `0::${rel}/corral/supervisor`);
    assert.equal(readFileSync(join(own, 'corral/c1/pids.max'), 'utf8').trim(), '5');
    assert.match(readFileSync(join(own, 'cgroup.subtree_control'), 'utf8'), /pids/);
    // Enabled in the ancestors, never in the leaves.
    assert.equal(readFileSync(join(own, 'corral/c1/cgroup.subtree_control'), 'utf8').trim(), '');
    assert.equal(readFileSync(join(own, 'corral/supervisor/cgroup.subtree_control'), 'utf8').trim(), '');
    assert.equal(readFileSync(join(own, 'corral/c1/cgroup.type'), 'utf8').trim(), 'domain');
  },
);

test(
  "v2: other processes in the supervisor's cgroup: a clear error naming them, nothing moved",
  opts,
  async (t) => {
    const kill: ChildProcess[] = [];
    const own = freshCgroup(t, 'supother', kill);
    const shell = spawn('sleep', ['300'], { stdio: 'ignore' });
    kill.push(shell);
    writeFileSync(join(own, 'cgroup.procs'), String(shell.pid));
    const res = await createFrom(own, { pids: { limit: 5 } }, kill);
    assert.equal(res.ok, false);
    assert.match(
      res.error ?? '',
      new RegExp(
        `^cgroup v2: /supother-${process.pid} has other processes \\(pids ${shell.pid}\\), so controllers cannot be enabled below it; ` +
          'start corral in its own cgroup \\(e\\.g\\. systemd-run --scope -p Delegate=yes …\\) or pass --cgroup-root$',
      ),
    );
    assert.match(readFileSync(join(own, 'cgroup.procs'), 'utf8'), new RegExp(`^${shell.pid}$`, 'm'));
  },
);

test(
  'v2: a controller the parent does not delegate: the error names it and how to delegate it',
  opts,
  async (t) => {
    const kill: ChildProcess[] = [];
    const parent = freshCgroup(t, 'supdeleg', kill);
    writeFileSync(join(parent, 'cgroup.subtree_control'), '+memory');
    const own = join(parent, 'own');
    mkdirSync(own);
    const res = await createFrom(own, { memory: { limit: 64 * 1024 * 1024 }, pids: { limit: 5 } }, kill);
    assert.equal(res.ok, false);
    const rel = `/supdeleg-${process.pid}`;
    assert.equal(
      res.error,
      `linux.resources.pids.limit: 5: pids.max does not exist: the pids controller is not delegated to ${rel}/own ` +
        `(${rel}/cgroup.subtree_control lacks it); enable it there (echo +pids > ${MNT}${rel}/cgroup.subtree_control) ` +
        'or start corral with controllers delegated (e.g. systemd-run --scope -p Delegate=yes …)',
    );
  },
);
