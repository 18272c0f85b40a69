// Running corral-helper's cgroup subcommands (bpf-devices, oom-watch-v1).
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** native/corral-helper of this checkout ($CORRAL_HELPER overrides). */
export function defaultHelperPath(): string {
  if (process.env.CORRAL_HELPER) return process.env.CORRAL_HELPER;
  // Walk up from this module (src/... or dist/src/...) to the directory that has native/.
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 8; i++) {
    const p = join(dir, 'native', 'corral-helper');
    if (existsSync(p)) return p;
    dir = dirname(dir);
  }
  return 'corral-helper';
}

export function runHelper(helper: string, args: string[]): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(helper, args, { encoding: 'utf8', timeout: 30000 }, (err, stdout, stderr) => {
      if (err) reject(Object.assign(new Error(stderr.trim() || err.message), { stderr, stdout }));
      else resolve({ stdout, stderr });
    });
  });
}
