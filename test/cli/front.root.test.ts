// The `corral` front (native/corral, native/front.c): for `corral run` it runs the Node CLI as its
// child, spawns the container's helper itself, passes on signals sent to it and exits with the
// code the CLI reports; every other command is node in its place.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { CORRAL_FRONT, instance, isRoot, type Instance } from './support.js';

const skip = (!isRoot && 'needs root') || (!existsSync(CORRAL_FRONT) && 'native/corral is not built');

const children = (pid: number): number[] =>
  readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
const comm = (pid: number): string => readFileSync(`/proc/${pid}/comm`, 'utf8').trim();

/** `corral --data-dir D ARGS` through the front, stdout and stderr piped; killed if a test fails. */
function spawnFront(t: { after: (fn: () => void) => void }, c: Instance, args: string[]) {
  const child = spawn(CORRAL_FRONT, ['--data-dir', c.dataDir, ...args], {
    env: c.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  return child;
}

test("run: the container's stdout, stderr and exit code; --rm leaves nothing", { skip }, async (t) => {
  const c = instance(t);
  const r = await c.front(['run', '--rm', 'busybox', 'sh', '-c', 'echo out; echo err >&2; exit 7']);
  assert.equal(r.code, 7, r.stderr);
  assert.equal(r.stdout, 'out\n');
  assert.equal(r.stderr, 'err\n');
  assert.deepEqual(c.leftovers(), []);
});

test('run: stdin reaches the container with -i only', { skip }, async (t) => {
  const c = instance(t);
  const withI = await c.front(['run', '--rm', '-i', 'busybox', 'cat'], { input: 'hello\n' });
  assert.equal(withI.code, 0, withI.stderr);
  assert.equal(withI.stdout, 'hello\n');
  const without = await c.front(['run', '--rm', 'busybox', 'cat'], { input: 'hello\n' });
  assert.equal(without.code, 0, without.stderr);
  assert.equal(without.stdout, '');
});

test(
  "run: the helper is the front's child; a signal sent to the front reaches the container",
  { skip },
  async (t) => {
    const c = instance(t);
    const child = spawnFront(t, c, [
      ...['run', '--rm', 'busybox', 'sh', '-c'],
      'trap "exit 42" TERM; echo ready; while :; do sleep 0.1; done',
    ]);
    let out = '';
    let err = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    const exited = new Promise<number | null>((res) => child.on('close', (code) => res(code)));
    await new Promise<void>((res, rej) => {
      child.stdout.setEncoding('utf8').on('data', (d: string) => {
        out += d;
        if (out.includes('ready')) res();
      });
      child.on('exit', () => rej(new Error(`exited before the container was ready: ${err}`)));
    });
    // The front's children: the Node CLI and the helper it spawned, which waits for the init.
    const kids = children(child.pid!);
    assert.equal(kids.length, 2, `children of the front: ${kids.join(' ')}`);
    const helper = kids.find((p) => comm(p) !== 'node');
    assert.ok(helper, `a helper among ${kids.map(comm).join(', ')}`);
    assert.equal(children(helper).length, 1, 'the helper waits for the container init');

    process.kill(child.pid!, 'SIGTERM'); // as kill(1) or a supervisor would: passed on
    assert.equal(await exited, 42, err);
    assert.deepEqual(c.leftovers(), []);
  },
);

test('bad input through the front: one line, 125, nothing left', { skip }, async (t) => {
  const c = instance(t);
  const r = await c.front(['run', '--bogus', 'busybox', 'true']);
  assert.equal(r.code, 125);
  assert.match(r.stderr, /^corral: unknown option '--bogus'; see corral run --help\n$/);
  const img = await c.front(['run', '--rm', 'no-such-image:1', 'true']);
  assert.equal(img.code, 125);
  assert.equal(img.stderr.split('\n').filter(Boolean).length, 1, img.stderr);
  assert.deepEqual(c.leftovers(), []);
});

test("other commands are node in the front's place; a missing node is one line", { skip }, async (t) => {
  const c = instance(t);
  const ps = await c.front(['ps', '-a']);
  assert.equal(ps.code, 0, ps.stderr);
  assert.match(ps.stdout, /^CONTAINER ID/);
  for (const args of [['ps'], ['run', '--rm', 'busybox', 'true']]) {
    const r = await c.front(args, { env: { CORRAL_NODE: '/nonexistent/node' } });
    assert.equal(r.code, 125, args.join(' '));
    assert.match(r.stderr, /^corral: cannot run node \(No such file or directory\): .*CORRAL_NODE\n$/);
  }
});

test(
  'a front killed (SIGKILL) mid-run: the CLI still finishes the container when it exits',
  { skip },
  async (t) => {
    const c = instance(t);
    const child = spawnFront(t, c, [
      'run',
      '--name',
      'orphan',
      'busybox',
      'sh',
      '-c',
      'echo ready; sleep 1; exit 3',
    ]);
    await new Promise<void>((res) => child.stdout.once('data', () => res()));
    const cli = children(child.pid!).find((p) => comm(p) === 'node');
    assert.ok(cli, 'the Node CLI runs under the front');
    process.kill(child.pid!, 'SIGKILL');
    // The CLI notices the helper's end without the front and records the exit from its status file.
    const end = Date.now() + 15_000;
    for (;;) {
      let alive = true;
      try {
        process.kill(cli, 0);
      } catch {
        alive = false;
      }
      if (!alive) break;
      assert.ok(Date.now() < end, 'the CLI ended after its container');
      await new Promise((r) => setTimeout(r, 100));
    }
    const r = await c.corral(['inspect', 'orphan']);
    assert.equal(r.code, 0, r.stderr);
    const [state] = JSON.parse(r.stdout) as { State: { Status: string; ExitCode: number } }[];
    assert.deepEqual([state!.State.Status, state!.State.ExitCode], ['exited', 3]);
  },
);
