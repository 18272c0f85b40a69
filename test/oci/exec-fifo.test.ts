// `start` reads the init's byte from the exec fifo (readExecFifo). A short command can write its
// byte, exec and exit between start's read and its look at the process: that init did start, and
// start must say so (it once reported "exited before start", seen under load in bench:runtime).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readExecFifo } from '../../src/oci/lifecycle.js';

/** A zombie (our unreaped child that exited) or gone: what processAlive says of an ended init. */
function ended(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.startsWith('Z');
  } catch {
    return true;
  }
}

/** start's look at the init, for a writer `pid` that start's first read found silent: the look
 *  waits until that process ended, then says so. */
function endedBy(pid: number): () => boolean {
  return () => {
    while (!ended(pid)) execFileSync('sleep', ['0.02']);
    return false;
  };
}

function fifoDir(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'corral-exec-fifo-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  execFileSync('mkfifo', [join(dir, 'exec.fifo')]);
  return join(dir, 'exec.fifo');
}

test('the init wrote its byte and ended before start looked: it started', async (t) => {
  const fifo = fifoDir(t);
  // The writer holds the fifo open (it returns once start opens the read end), waits, then
  // writes its byte and exits: start's first read finds nothing, its look finds the writer gone.
  const w = spawn('sh', ['-c', 'exec 3>"$1"; sleep 0.2; printf 0 >&3', 'sh', fifo], { stdio: 'ignore' });
  await readExecFifo(fifo, endedBy(w.pid!), 'c1');
  assert.throws(() => readFileSync(fifo), /ENOENT/, 'the fifo is removed once read');
});

test('an init that ended without its byte did not start', async (t) => {
  const fifo = fifoDir(t);
  const w = spawn('sh', ['-c', 'exec 3>"$1"; sleep 0.1', 'sh', fifo], { stdio: 'ignore' });
  await assert.rejects(
    readExecFifo(fifo, endedBy(w.pid!), 'c2'),
    /cannot start container "c2": its process exited before start/,
  );
});
