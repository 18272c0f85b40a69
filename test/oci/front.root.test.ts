// corral-oci's C front (native/front/corral-oci.c): `start` and `delete` in their plain case
// without Node, from the `fast` record create wrote; everything else handed to the Node CLI.
// CORRAL_OCI_NODE=/nonexistent makes any hand-over fail loudly, so a verb that succeeds under it
// was done by the front alone.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { removeCgroupTree } from '../support/cgroup-root.js';
import { bundle, isRoot, privateCgroupRoot, uniqueId } from './support.js';

const FRONT = resolve(import.meta.dirname, '../../../native/corral-oci');
const skip = (!isRoot && 'needs root') || (!existsSync(FRONT) && 'native/corral-oci is not built');
const NO_NODE = { ...process.env, CORRAL_OCI_NODE: '/nonexistent/node' };

interface Result {
  code: number | null;
  out: string;
  err: string;
}

function cli(t: { after: (fn: () => Promise<void>) => void }) {
  const root = mkdtempSync(join(tmpdir(), 'corral-oci-front-'));
  const cgroupRoot = privateCgroupRoot();
  const ids: string[] = [];
  const run = (args: string[], env: NodeJS.ProcessEnv = process.env) =>
    new Promise<Result>((res) => {
      const c = spawn(FRONT, ['--root', root, '--cgroup-root', cgroupRoot, ...args], {
        stdio: ['ignore', 'pipe', 'pipe'],
        env,
      });
      let out = '';
      let err = '';
      c.stdout.on('data', (d) => (out += d));
      c.stderr.on('data', (d) => (err += d));
      c.on('exit', (code) => setTimeout(() => res({ code, out, err }), 20));
    });
  t.after(async () => {
    for (const id of ids) await run(['delete', '--force', id]);
    rmSync(root, { recursive: true, force: true });
    await removeCgroupTree(cgroupRoot);
  });
  const state = (id: string) => JSON.parse(readFileSync(join(root, id, 'state.json'), 'utf8'));
  return { root, run, state, track: (id: string) => (ids.push(id), id) };
}

const handedToNode = /cannot run node .*CORRAL_OCI_NODE/;

async function waitStopped(c: ReturnType<typeof cli>, id: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const st = JSON.parse((await c.run(['state', id])).out);
    if (st.status === 'stopped') return;
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.fail(`${id} did not stop`);
}

test('front: start and delete of a plain container never reach Node', { skip }, async (t) => {
  const c = cli(t);
  // Runs until the test creates /stop in its rootfs.
  const b = bundle(t, ['sh', '-c', 'until [ -e /stop ]; do sleep 0.05; done']);
  const id = c.track(uniqueId('front'));
  let r = await c.run(['create', '--bundle', b.dir, id]);
  assert.equal(r.code, 0, r.err);
  const dirs: string[] = c.state(id).cgroupDirs;
  assert.ok(dirs.length > 0 && dirs.every((d) => existsSync(d)), 'the container has its cgroups');

  r = await c.run(['start', id], NO_NODE);
  assert.equal(r.code, 0, r.err);
  assert.equal(JSON.parse((await c.run(['state', id])).out).status, 'running');
  // Started: a second start is Node's to refuse (here: the hand-over itself shows).
  r = await c.run(['start', id], NO_NODE);
  assert.equal(r.code, 1);
  assert.match(r.err, handedToNode);
  // Running: delete without --force is Node's to refuse.
  r = await c.run(['delete', id], NO_NODE);
  assert.match(r.err, handedToNode);
  assert.ok(existsSync(join(c.root, id, 'state.json')), 'nothing removed before the hand-over');

  writeFileSync(join(b.rootfs, 'stop'), '');
  await waitStopped(c, id);
  r = await c.run(['delete', id], NO_NODE);
  assert.equal(r.code, 0, r.err);
  assert.ok(!existsSync(join(c.root, id)), 'state directory removed');
  for (const d of dirs) assert.ok(!existsSync(d), `cgroup ${d} removed`);
  assert.match((await c.run(['state', id])).err, /does not exist/);
});

test(
  'front: hooks, a held lock, global flags it does not know and bad ids go to Node',
  { skip },
  async (t) => {
    const c = cli(t);
    const mark = join(mkdtempSync(join(tmpdir(), 'corral-front-hook-')), 'poststart');
    t.after(() => rmSync(join(mark, '..'), { recursive: true, force: true }));
    const b = bundle(t, ['sleep', '100'], (s) => {
      s.hooks = { poststart: [{ path: '/bin/sh', args: ['sh', '-c', `echo done > ${mark}`] }] };
    });
    const id = c.track(uniqueId('front-hook'));
    assert.equal((await c.run(['create', '--bundle', b.dir, id])).code, 0);
    // A poststart hook: start is Node's (the record does not allow it), and Node runs the hook.
    assert.match((await c.run(['start', id], NO_NODE)).err, handedToNode);
    assert.equal(JSON.parse((await c.run(['state', id])).out).status, 'created', 'the init still waits');
    assert.equal((await c.run(['start', id])).code, 0);
    assert.equal(readFileSync(mark, 'utf8'), 'done\n');

    const plain = bundle(t, ['sleep', '100']);
    const id2 = c.track(uniqueId('front-lock'));
    assert.equal((await c.run(['create', '--bundle', plain.dir, id2])).code, 0);
    // A lock held by a live process (ours): the front does not wait or take it over, Node does.
    const { unlinkSync } = await import('node:fs');
    writeFileSync(join(c.root, id2, 'lock'), String(process.pid));
    assert.match((await c.run(['start', id2], NO_NODE)).err, handedToNode);
    unlinkSync(join(c.root, id2, 'lock'));
    assert.match((await c.run(['--debug', 'start', id2], NO_NODE)).err, handedToNode);
    assert.match((await c.run(['start', '--bogus', id2], NO_NODE)).err, handedToNode);
    assert.match((await c.run(['start', '-bad-id'], NO_NODE)).err, handedToNode);
    // And through Node, the real errors.
    const bad = await c.run(['start', 'no-such-container']);
    assert.equal(bad.code, 1);
    assert.match(bad.err, /container "no-such-container" does not exist/);
    assert.equal((await c.run(['start', id2])).code, 0);
  },
);
