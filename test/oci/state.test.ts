import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StateStore, type ContainerRecord } from '../../src/oci/state.js';
import { procStat } from '../../src/oci/proc.js';
import { parseSignal } from '../../src/oci/signals.js';

function tmpStore(t: { after: (fn: () => void) => void }): StateStore {
  const root = mkdtempSync(join(tmpdir(), 'corral-oci-state-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  return new StateStore(join(root, 'state'));
}

test('reserve is exclusive and ids are checked', (t) => {
  const s = tmpStore(t);
  s.reserve('c1');
  assert.throws(() => s.reserve('c1'), /container "c1" already exists/);
  assert.throws(() => s.reserve('../x'), /invalid container id/);
  assert.throws(() => s.load('nope'), /container "nope" does not exist/);
  assert.deepEqual(s.ids(), ['c1']);
});

test('a record saved with its config serialized ahead reads back the same', (t) => {
  const s = tmpStore(t);
  s.reserve('c');
  const config = {
    ociVersion: '1.2.0',
    process: { user: { uid: 0, gid: 0 }, args: ['sh', '-c', 'echo "hi"'], cwd: '/' },
  };
  const r: ContainerRecord = { id: 'c', bundle: '/b', created: 'now', config, pid: 42, ready: true };
  s.save(r, JSON.stringify(config));
  assert.deepEqual(s.load('c'), r);
  s.save(r);
  assert.deepEqual(s.load('c'), r);
});

test('status is derived: creating, created (fifo), running, stopped (gone, zombie or reused pid)', async (t) => {
  const s = tmpStore(t);
  s.reserve('c');
  const r: ContainerRecord = {
    id: 'c',
    bundle: '/b',
    created: new Date().toISOString(),
    config: { ociVersion: '1.2.0' },
  };
  s.save(r);
  assert.equal(s.baseStatus(s.load('c')), 'creating');
  const child = spawn('sleep', ['30'], { stdio: 'ignore' });
  t.after(() => child.kill('SIGKILL'));
  await new Promise((res) => child.once('spawn', res));
  r.pid = child.pid!;
  r.pidStartTime = procStat(child.pid!)!.startTime;
  spawnSync('mkfifo', [s.fifo('c')]);
  s.save(r);
  assert.equal(s.baseStatus(s.load('c')), 'creating', 'pid known, helper not done yet');
  r.ready = true;
  s.save(r);
  assert.equal(s.baseStatus(s.load('c')), 'created');
  assert.deepEqual(s.ociState(r, 'created'), {
    ociVersion: '1.2.0',
    id: 'c',
    status: 'created',
    pid: child.pid,
    bundle: '/b',
  });
  rmSync(s.fifo('c'));
  assert.equal(s.baseStatus(s.load('c')), 'running');
  assert.equal(s.baseStatus({ ...r, pidStartTime: '1' }), 'stopped', 'a reused PID is not our process');
  // A zombie (killed, not yet reaped) is stopped.
  const exited = new Promise((res) => child.once('exit', res));
  process.kill(child.pid!, 'SIGKILL');
  await exited;
  assert.equal(s.baseStatus(r), 'stopped');
  assert.equal(s.ociState(r, 'stopped').pid, undefined);
});

test('the lock serialises callers in this process and takes over a dead holder', async (t) => {
  const s = tmpStore(t);
  s.reserve('c');
  const order: string[] = [];
  await Promise.all([
    s.withLock('c', async () => {
      order.push('a1');
      await new Promise((r) => setTimeout(r, 20));
      order.push('a2');
    }),
    s.withLock('c', async () => {
      order.push('b');
    }),
  ]);
  assert.deepEqual(order, ['a1', 'a2', 'b']);
  writeFileSync(join(s.dir('c'), 'lock'), '999999999');
  assert.equal(await s.withLock('c', async () => 7), 7);
});

test('signals by name or number', () => {
  assert.equal(parseSignal('KILL'), 9);
  assert.equal(parseSignal('SIGTERM'), 15);
  assert.equal(parseSignal('9'), 9);
  assert.equal(parseSignal('usr1'), 10);
  assert.equal(parseSignal(undefined), 15);
  assert.equal(parseSignal('RTMIN+2'), 36);
  assert.throws(() => parseSignal('SIGNOPE'), /unknown signal "SIGNOPE"/);
});
