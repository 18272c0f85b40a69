// `corral run -t` through a real pty: util-linux `script` gives the CLI a terminal; the container
// must get a pty of its own (its /dev/pts/N), this terminal's size, later resizes, and keys typed
// in raw mode; without a terminal -t still allocates one (podman's behaviour) and -i alone is a pipe.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { execProgram } from '../peers/exec.js';
import { instance, isRoot } from './support.js';

// This build's CLI (dist-*/src/cli/main.js next to dist-*/test/cli).
const MAIN = join(dirname(fileURLToPath(import.meta.url)), '../../src/cli/main.js');
const opts = {
  skip: (!isRoot && 'needs root') || (!existsSync('/usr/bin/script') && 'util-linux script is not installed'),
  timeout: 120_000,
};
const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** Run `shell` in a fresh pty (script -q -e -c), typing what the shell snippet `feed` prints;
 *  returns its output with \r removed. */
async function inPty(shell: string, env: NodeJS.ProcessEnv, feed = 'sleep 0') {
  const outer = `(${feed}) | script -q -e -c ${q(shell)} /dev/null`;
  const r = await execProgram('sh', ['-c', outer], { env, timeoutMs: 60_000 });
  return { ...r, stdout: r.stdout.replace(/\r/g, '') };
}

test('run -it: own pty, the caller terminal size, exit code', opts, async (t) => {
  const c = instance(t);
  const corral = `${process.execPath} ${MAIN} --data-dir ${c.dataDir}`;
  const cmd = `stty rows 40 cols 100; ${corral} run --rm -it busybox sh -c ${q('tty; stty size; exit 7')}`;
  const r = await inPty(cmd, c.env);
  assert.equal(r.code, 7, r.stderr + r.stdout);
  assert.match(r.stdout, /(?:^|\^@)\/dev\/pts\/\d+$/m); // script may echo its ^@ first
  assert.match(r.stdout, /^(?:\^@)?40 100$/m);
  assert.deepEqual(c.leftovers(), []);
});

test('run -it: a resize of the caller terminal reaches the container', opts, async (t) => {
  const c = instance(t);
  const corral = `${process.execPath} ${MAIN} --data-dir ${c.dataDir}`;
  // The background stty changes our terminal while the container sleeps (same process group, so
  // corral gets the SIGWINCH, as from a terminal emulator).
  const inner = q('trap "echo winch" WINCH; sleep 4; stty size');
  const cmd = `stty rows 40 cols 100; (sleep 2; stty rows 33 cols 77 </dev/tty) & ${corral} run --rm -it busybox sh -c ${inner}`;
  const r = await inPty(cmd, c.env);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  assert.match(r.stdout, /^(?:\^@)?33 77$/m);
});

test('run -it: typed input goes through the pty in raw mode', opts, async (t) => {
  const c = instance(t);
  const corral = `${process.execPath} ${MAIN} --data-dir ${c.dataDir}`;
  // The shell reads one line through its terminal, whose line discipline echoes it; ^D then ends `cat`.
  const inner = q('read -r line; echo "got:$line"; cat; echo "cat ended"');
  const feed = `sleep 3; printf 'hello tty\\r'; sleep 1; printf 'x\\004'; sleep 1`;
  const r = await inPty(`${corral} run --rm -it busybox sh -c ${inner}`, c.env, feed);
  assert.match(r.stdout, /^got:hello tty$/m, r.stderr + r.stdout);
  assert.match(r.stdout, /cat ended/);
});

test('run -t without a terminal still allocates a pty; -i alone stays a pipe', opts, async (t) => {
  const c = instance(t);
  const corral = (args: string[], input: string) =>
    execProgram(process.execPath, [MAIN, '--data-dir', c.dataDir, ...args], {
      env: c.env,
      input,
      timeoutMs: 60_000,
    });
  const t1 = await corral(['run', '--rm', '-t', 'busybox', 'sh', '-c', 'tty; echo out'], '');
  assert.equal(t1.code, 0, t1.stderr);
  assert.match(t1.stdout, /^(?:\^@)?\/dev\/pts\/\d+\r?$/m);
  assert.match(t1.stdout, /^(?:\^@)?out\r$/m); // the pty's ONLCR: output came through a terminal
  const it = await corral(['run', '--rm', '-it', 'busybox', 'sh', '-c', 'tty; cat'], 'piped\n');
  assert.match(it.stderr, /input device is not a TTY/);
  assert.match(it.stdout, /piped/);
  const i = await corral(['run', '--rm', '-i', 'busybox', 'sh', '-c', 'tty; cat'], 'through stdin\n');
  assert.equal(i.stdout, 'not a tty\nthrough stdin\n');
  assert.equal(i.code, 0, i.stderr);
  assert.deepEqual(c.leftovers(), []);
});

test('run -t without --rm: what the pty printed is in corral logs, as podman keeps it', opts, async (t) => {
  const c = instance(t);
  const corral = (args: string[]) =>
    execProgram(process.execPath, [MAIN, '--data-dir', c.dataDir, ...args], {
      env: c.env,
      input: '',
      timeoutMs: 60_000,
    });
  const r = await corral(['run', '-t', '--name', 'kept', 'busybox', 'sh', '-c', 'echo one; tty; exit 4']);
  assert.equal(r.code, 4, r.stderr);
  assert.match(r.stdout, /^one\r$/m);
  const logs = await corral(['logs', 'kept']);
  assert.equal(logs.code, 0, logs.stderr);
  // The terminal's own line endings (ONLCR), as the caller saw them.
  assert.match(logs.stdout, /^one\r\n\/dev\/pts\/\d+\r\n$/);
  assert.equal((await corral(['rm', 'kept'])).code, 0);
  assert.deepEqual(c.leftovers(), []);
});
