// kubectl exec -it and kubectl attach against `corral up` (API server + node agent), with the real
// kubectl under a real pty (util-linux script): the command gets its own /dev/pts/N, the size kubectl
// sends on channel 4, later resizes; attach streams output until the container ends and refuses -i.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { test } from 'node:test';
import { execProgram } from '../../peers/exec.js';
import { startCorralUp, waitUntil as waitFor } from '../../support/corral-up.js';

const isRoot = process.getuid?.() === 0;
const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

test(
  'kubectl exec -it and attach through corral up',
  {
    skip:
      (!isRoot && 'needs root') ||
      (!existsSync('/usr/bin/kubectl') && 'kubectl is not installed') ||
      (!existsSync('/usr/bin/script') && 'util-linux script is not installed'),
    timeout: 240_000,
  },
  async (t) => {
    const { env, kubectl } = await startCorralUp(t, {
      name: 'tty',
      nodeName: 'tty-node',
      args: ['--network', 'none'],
    });
    /** kubectl in a pty of `rows`x`cols`, typing what `feed` prints; output without \r. */
    const inPty = async (args: string, feed = 'sleep 0') => {
      const inner = `stty rows 40 cols 100; kubectl ${args}`;
      const r = await execProgram('sh', ['-c', `(${feed}) | script -q -e -c ${q(inner)} /dev/null`], {
        env,
        timeoutMs: 90_000,
      });
      return { ...r, stdout: r.stdout.replace(/\r/g, '') };
    };
    const run = await kubectl(['run', 'p', '--image=busybox', '--restart=Never', '--', 'sleep', '3600']);
    assert.equal(run.code, 0, run.stderr);
    await waitFor('pod p Running', async () => /Running/.test((await kubectl(['get', 'pod', 'p'])).stdout));

    await t.test('exec -it: own pty, the terminal size from channel 4, exit code', async () => {
      const r = await inPty(`exec -it p -- sh -c ${q('tty; stty size; exit 3')}`);
      assert.equal(r.code, 3, r.stderr + r.stdout);
      assert.match(r.stdout, /(?:^|\^@)\/dev\/pts\/\d+$/m);
      assert.match(r.stdout, /^(?:\^@)?40 100$/m);
    });

    await t.test('exec -it: a resize of the terminal arrives as a resize event', async () => {
      const script = `stty rows 40 cols 100; (sleep 3; stty rows 33 cols 77 </dev/tty) & kubectl exec -it p -- sh -c ${q('sleep 6; stty size')}`;
      const r = await execProgram('sh', ['-c', `true | script -q -e -c ${q(script)} /dev/null`], {
        env,
        timeoutMs: 90_000,
      });
      assert.equal(r.code, 0, r.stderr + r.stdout);
      assert.match(r.stdout.replace(/\r/g, ''), /(?:^|\^@)33 77$/m); // script may echo its ^@ first
    });

    await t.test('exec -it: typed input reaches the shell through its terminal', async () => {
      const r = await inPty(
        `exec -it p -- sh -c ${q('read -r l; echo "got:$l"')}`,
        `sleep 3; printf 'typed line\\r'; sleep 2`,
      );
      assert.equal(r.code, 0, r.stderr + r.stdout);
      assert.match(r.stdout, /^got:typed line$/m);
    });

    await t.test('attach: output from now on until the container ends; -i refused', async () => {
      const mk = await kubectl([
        'run',
        'talk',
        '--image=busybox',
        '--restart=Never',
        '--',
        'sh',
        '-c',
        'echo early; sleep 6; echo late-out; echo late-err >&2; exit 4',
      ]);
      assert.equal(mk.code, 0, mk.stderr);
      await waitFor('pod talk Running', async () =>
        /Running/.test((await kubectl(['get', 'pod', 'talk'])).stdout),
      );
      const refused = await kubectl(['attach', '-i', 'talk']);
      assert.notEqual(refused.code, 0);
      assert.match(refused.stderr, /stdin open.*attach without -i/);
      const r = await kubectl(['attach', 'talk']);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^late-out$/m);
      assert.doesNotMatch(r.stdout, /early/);
      assert.match(r.stderr, /late-err/);
    });
  },
);
