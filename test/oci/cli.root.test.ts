// corral-oci driving real containers as podman/conmon would: spawn the CLI per verb.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { openCgroups } from '../../src/kernel/cgroup/index.js';
import { removeCgroupTree } from '../support/cgroup-root.js';
import { bundle, isRoot, privateCgroupRoot, uniqueId } from './support.js';

// The command engines run: the C front (start/delete itself when plain), which runs the Node CLI
// (bin/corral-oci.js) for the rest; test/oci/front.root.test.ts tells the two apart.
const BIN = resolve(import.meta.dirname, '../../../native/corral-oci');
const skip = !isRoot && 'needs root';

function cli(t: { after: (fn: () => void | Promise<void>) => void }) {
  const root = mkdtempSync(join(tmpdir(), 'corral-oci-cliroot-'));
  const cgroupRoot = privateCgroupRoot();
  const ids: string[] = [];
  const run = (args: string[], input?: string) =>
    new Promise<{ code: number | null; out: string; err: string }>((res) => {
      const c = spawn(BIN, ['--root', root, '--cgroup-root', cgroupRoot, ...args], {
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      let out = '';
      let err = '';
      c.stdout.on('data', (d) => (out += d));
      c.stderr.on('data', (d) => (err += d));
      // A verb the front does itself may be over before its stdin is written to.
      c.stdin.on('error', () => undefined);
      c.stdin.end(input ?? '');
      // Wait for 'exit' (not 'close'): a detached container may keep inherited pipes open.
      c.on('exit', (code) => setTimeout(() => res({ code, out, err }), 20));
    });
  t.after(async () => {
    for (const id of ids) await run(['delete', '--force', id]);
    rmSync(root, { recursive: true, force: true });
    await removeCgroupTree(cgroupRoot);
  });
  return { root, cgroupRoot, run, track: (id: string) => (ids.push(id), id) };
}

test(
  'cli: create → state created → start → running → exec → kill → stopped → delete',
  { skip },
  async (t) => {
    const c = cli(t);
    const b = bundle(t, ['sleep', '100']);
    const id = c.track(uniqueId('cli'));
    const pidFile = join(b.dir, 'pid');
    let r = await c.run(['create', '--bundle', b.dir, '--pid-file', pidFile, '--no-new-keyring', id]);
    assert.equal(r.code, 0, r.err);
    let st = JSON.parse((await c.run(['state', id])).out);
    assert.equal(st.status, 'created');
    assert.equal(String(st.pid), readFileSync(pidFile, 'utf8'));
    r = await c.run(['start', id]);
    assert.equal(r.code, 0, r.err);
    assert.equal(JSON.parse((await c.run(['state', id])).out).status, 'running');
    r = await c.run(['start', id]);
    assert.equal(r.code, 1);
    assert.match(r.err, /^corral-oci: cannot start container .* it is running, not created\n$/);
    r = await c.run(['exec', id, 'sh', '-c', 'echo in $(hostname); exit 5']);
    assert.equal(r.code, 5);
    assert.equal(r.out, 'in corral\n');
    r = await c.run(['exec', '--env', 'FOO=bar', '--cwd', '/tmp', id, 'sh', '-c', 'echo $FOO $(pwd)']);
    assert.equal(r.out, 'bar /tmp\n');
    r = await c.run(['ps', '--format', 'json', id]);
    assert.deepEqual(JSON.parse(r.out), [st.pid]);
    r = await c.run(['list', '--format', 'json']);
    assert.deepEqual(
      JSON.parse(r.out).map((e: { id: string; status: string }) => [e.id, e.status]),
      [[id, 'running']],
    );
    assert.equal((await c.run(['list', '-q'])).out, `${id}\n`);
    r = await c.run(['delete', id]);
    assert.equal(r.code, 1);
    assert.match(r.err, /not stopped: running/);
    r = await c.run(['kill', id, 'KILL']);
    assert.equal(r.code, 0, r.err);
    for (let i = 0; i < 100; i++) {
      st = JSON.parse((await c.run(['state', id])).out);
      if (st.status === 'stopped') break;
      await new Promise((res) => setTimeout(res, 20));
    }
    assert.equal(st.status, 'stopped');
    r = await c.run(['delete', id]);
    assert.equal(r.code, 0, r.err);
    assert.match((await c.run(['state', id])).err, /does not exist/);
  },
);

test('cli: run in the foreground exits with the container status; -d detaches', { skip }, async (t) => {
  const c = cli(t);
  const b = bundle(t, ['sh', '-c', 'echo hello from $$; exit 3']);
  const r = await c.run(['run', '-b', b.dir, uniqueId('cli')]);
  assert.equal(r.code, 3);
  assert.equal(r.out, 'hello from 1\n');
  assert.equal((await c.run(['list', '-q'])).out, '', 'run removes the container');
  const d = bundle(t, ['sleep', '100']);
  const id = c.track(uniqueId('cli'));
  const rd = await c.run(['run', '-d', '-b', d.dir, id]);
  assert.equal(rd.code, 0, rd.err);
  assert.equal(JSON.parse((await c.run(['state', id])).out).status, 'running');
  assert.equal((await c.run(['pause', id])).code, 0);
  assert.equal(JSON.parse((await c.run(['state', id])).out).status, 'paused');
  assert.equal((await c.run(['resume', id])).code, 0);
  const up = await c.run(['update', '--pids-limit', '42', '--memory', '64m', id]);
  assert.equal(up.code, 0, up.err);
  assert.equal((await c.run(['delete', '--force', id])).code, 0);
  assert.equal((await c.run(['list', '-q'])).out, '');
});

test(
  'delete --force after a create that died half-way removes the cgroup it had made',
  { skip },
  async (t) => {
    const c = cli(t);
    const { cgroupRoot } = c;
    // No seccomp: its compiler is the helper too, which here never answers.
    const b = bundle(t, ['true'], (s) => delete s.linux!.seccomp);
    const id = c.track(uniqueId('crash'));
    const helper = join(b.dir, 'stuck-helper');
    writeFileSync(helper, '#!/bin/sh\nexec sleep 60\n', { mode: 0o755 });
    // create makes the cgroup and waits for the helper's pid report, which never comes.
    const child = spawn(
      BIN,
      ['--root', c.root, '--cgroup-root', cgroupRoot, 'create', '--bundle', b.dir, id],
      {
        env: { ...process.env, CORRAL_HELPER: helper },
        stdio: 'ignore',
      },
    );
    const dirs = Object.values(openCgroups({ root: cgroupRoot }).manager(id).dirs());
    const end = Date.now() + 15_000;
    while (!dirs.every((d) => existsSync(d))) {
      assert.ok(Date.now() < end, `the cgroup is made: ${dirs.join(' ')}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    // The create dies (as by the OOM killer), its helper with it.
    const kids = readFileSync(`/proc/${child.pid}/task/${child.pid}/children`, 'utf8').trim().split(/\s+/);
    for (const pid of [child.pid!, ...kids.filter(Boolean).map(Number)]) process.kill(pid, 'SIGKILL');
    const r = await c.run(['delete', '--force', id]);
    assert.equal(r.code, 0, r.err);
    assert.deepEqual(
      dirs.filter((d) => existsSync(d)),
      [],
    );
  },
);
