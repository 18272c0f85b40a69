// Where a container's output stays: a foreground run without --rm keeps a log as podman does
// (`corral logs` after it exited); `run -d -t` gets a terminal of its own whose output is the log.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { instance, isRoot } from './support.js';

const skip = !isRoot && 'needs root';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test(
  'foreground without --rm: the output also goes to corral logs; with --rm none is kept',
  { skip },
  async (t) => {
    const c = instance(t);
    const r = await c.corral([
      'run',
      '--name',
      'fg',
      'busybox',
      'sh',
      '-c',
      'echo out; echo err >&2; exit 3',
    ]);
    assert.equal(r.code, 3, r.stderr);
    assert.equal(r.stdout, 'out\n');
    assert.equal(r.stderr, 'err\n');
    const logs = await c.corral(['logs', 'fg']);
    assert.equal(logs.code, 0, logs.stderr);
    // stdout and stderr are interleaved as they arrived: the order between the two is not fixed.
    assert.deepEqual(logs.stdout.split('\n').sort(), ['', 'err', 'out']);
    assert.equal((await c.corral(['rm', 'fg'])).code, 0);
    assert.deepEqual(c.leftovers(), []);

    const rm = await c.corral(['run', '--rm', 'busybox', 'echo', 'gone']);
    assert.equal(rm.stdout, 'gone\n');
    assert.deepEqual(c.leftovers(), []);
  },
);

test('-d -t: a pty of its own (80x24), its output in corral logs; -d -i is refused', { skip }, async (t) => {
  const c = instance(t);
  const d = await c.corral([
    'run',
    '-d',
    '-t',
    '--name',
    'tty',
    'busybox',
    'sh',
    '-c',
    'tty; stty size; echo done',
  ]);
  assert.equal(d.code, 0, d.stderr);
  for (const end = Date.now() + 15_000; ;) {
    const s = JSON.parse((await c.corral(['inspect', 'tty'])).stdout) as { State: { Status: string } }[];
    if (s[0]!.State.Status === 'exited') break;
    if (Date.now() > end) throw new Error('timed out waiting for the exit');
    await sleep(50);
  }
  const logs = await c.corral(['logs', 'tty']);
  assert.equal(logs.stdout, '/dev/pts/0\r\n24 80\r\ndone\r\n');
  assert.equal((await c.corral(['rm', 'tty'])).code, 0);

  const dit = await c.corral(['run', '-d', '-i', '-t', 'busybox', 'sh']);
  assert.equal(dit.code, 125);
  assert.match(dit.stderr, /^corral: -d with -i: .*drop -i/);
  assert.deepEqual(c.leftovers(), []);
});
