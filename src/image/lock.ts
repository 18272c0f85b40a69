// Cross-process locks on a file, held through flock(2) by a small `flock` child (util-linux):
// the kernel drops the lock when the holder dies, so a crash never leaves a stale lock behind.
import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { ImageError } from './errors.js';

/** Run `fn` while holding an exclusive lock on `path` (created if missing). */
export async function withLock<T>(path: string, fn: () => Promise<T>): Promise<T> {
  closeSync(openSync(path, 'a'));
  const child = spawn('flock', ['-x', path, 'sh', '-c', 'echo locked; exec cat >/dev/null'], {
    stdio: ['pipe', 'pipe', 'ignore'],
  });
  const ended = new Promise<void>((res) => child.once('close', () => res()));
  await new Promise<void>((resolve, reject) => {
    child.once('error', (e) =>
      reject(new ImageError(`cannot lock ${path}: ${e.message} (is util-linux installed?)`)),
    );
    child.stdout.once('data', () => resolve());
    child.once('exit', (code) => reject(new ImageError(`cannot lock ${path}: flock exited with ${code}`)));
  });
  try {
    return await fn();
  } finally {
    child.stdin.end();
    await ended;
  }
}
