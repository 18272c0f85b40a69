// Removing a test's private cgroup root (CORRAL_CGROUP_ROOT below our own cgroup): kill what is
// still in it, then rmdir leaves first, with retries, in every hierarchy.
import { existsSync, readFileSync, readdirSync, rmdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { openCgroups } from '../../src/kernel/cgroup/index.js';

/** The per-hierarchy directories of a cgroup root (they may not exist yet). */
export function cgroupRootDirs(root: string): string[] {
  const probe = openCgroups({ root }).manager('probe');
  return [...new Set(Object.values(probe.dirs()).map((d) => dirname(d)))];
}

function procsIn(dir: string): number[] {
  try {
    return readFileSync(join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

export async function removeCgroupTree(root: string): Promise<void> {
  for (const top of cgroupRootDirs(root)) {
    if (!existsSync(top)) continue;
    const order: string[] = [];
    const walk = (d: string): void => {
      for (const e of readdirSync(d, { withFileTypes: true })) if (e.isDirectory()) walk(join(d, e.name));
      order.push(d);
    };
    walk(top);
    for (const d of order) {
      for (let i = 0; i < 100; i++) {
        for (const pid of procsIn(d)) {
          try {
            process.kill(pid, 'SIGKILL'); // only the test's own containers live below its root
          } catch {
            /* gone */
          }
        }
        try {
          rmdirSync(d);
          break;
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code === 'ENOENT') break;
          await new Promise((r) => setTimeout(r, 20));
        }
      }
    }
  }
}
