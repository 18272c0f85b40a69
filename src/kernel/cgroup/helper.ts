// Running corral-helper's cgroup subcommands (bpf-devices, oom-watch-v1).
import { execFile } from 'node:child_process';

export function runHelper(helper: string, args: string[]): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(helper, args, { encoding: 'utf8', timeout: 30000 }, (err, stdout, stderr) => {
      if (err) reject(Object.assign(new Error(stderr.trim() || err.message), { stderr, stdout }));
      else resolve({ stdout, stderr });
    });
  });
}
