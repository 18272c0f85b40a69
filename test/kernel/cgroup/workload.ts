// Test support: processes put into a cgroup before they start their work, and loop devices.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CgroupManager } from '../../../src/kernel/cgroup/index.js';

export interface Workload {
  child: ChildProcess;
  pid: number;
  stdout: () => string;
  stderr: () => string;
  /** Resolves with the exit code or the signal name. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  kill: () => void;
}

/** `sh -c 'read x; SCRIPT'` added to the cgroup, then released: the script runs inside it. */
export async function startIn(m: CgroupManager, script: string): Promise<Workload> {
  const child = spawn('sh', ['-c', `read x; ${script}`], { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  const pid = child.pid!;
  const kill = (): void => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
  try {
    await m.addProcess(pid);
  } catch (e) {
    kill();
    throw e;
  }
  child.stdin!.write('go\n');
  return { child, pid, stdout: () => out, stderr: () => err, exited, kill };
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function until(
  check: () => Promise<boolean> | boolean,
  timeoutMs: number,
  what: string,
): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(20);
  }
}

let seq = 0;
/** A cgroup name unique to this process (other test runs share the host's corral root). */
export function uniqueName(what: string): string {
  return `test-${what}-${process.pid}-${++seq}`;
}

/** A loop device over a sparse file in /tmp. */
export function makeLoopDevice(sizeMiB = 64): {
  dev: string;
  major: number;
  minor: number;
  cleanup: () => void;
} {
  if (!existsSync('/dev/loop-control')) {
    try {
      execFileSync('modprobe', ['loop'], { stdio: 'ignore' });
    } catch {
      /* built in, or not available: losetup says so */
    }
  }
  const dir = mkdtempSync(join(tmpdir(), 'corral-loop-'));
  const file = join(dir, 'disk.img');
  execFileSync('truncate', ['-s', `${sizeMiB}M`, file]);
  let dev: string;
  try {
    dev = execFileSync('losetup', ['-f', '--show', file], { encoding: 'utf8' }).trim();
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  const rdev = statSync(dev).rdev;
  // glibc's encoding of dev_t.
  const major = ((rdev >> 8) & 0xfff) | ((rdev / 2 ** 32) & ~0xfff);
  const minor = (rdev & 0xff) | ((rdev >> 12) & ~0xff);
  return {
    dev,
    major,
    minor,
    cleanup: () => {
      try {
        execFileSync('losetup', ['-d', dev], { stdio: 'ignore' });
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
