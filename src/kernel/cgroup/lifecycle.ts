// Shared by both drivers: listing processes of a subtree, killing them all, removing directories.
// The directory calls are synchronous, as fs.ts's reads and writes: short cgroupfs kernel calls.
import { readdirSync, rmdirSync } from 'node:fs';

import { errnoOf, readText, sleep } from './fs.js';
import { CgroupError } from './types.js';
import { joinClean } from '../../util/join-clean.js';

/** Sub-cgroup directories of dir, deepest first (then dir itself last). */
export async function subtreeDirs(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string): Promise<void> => {
    let entries;
    try {
      entries = readdirSync(d, { withFileTypes: true });
    } catch (e) {
      if (errnoOf(e) === 'ENOENT') return;
      throw e;
    }
    for (const e of entries) if (e.isDirectory()) await walk(joinClean(d, e.name));
    out.push(d);
  };
  await walk(dir);
  return out;
}

/** PIDs in dir and every sub-cgroup (`procsFile`: cgroup.procs, or tasks for threads on v1). */
export async function subtreePids(dir: string, procsFile = 'cgroup.procs'): Promise<number[]> {
  const pids = new Set<number>();
  for (const d of await subtreeDirs(dir)) {
    const t = (await readText(d, procsFile).catch(() => undefined)) ?? '';
    for (const l of t.split('\n')) if (l.trim()) pids.add(Number(l));
  }
  return [...pids];
}

export function killPids(pids: number[]): void {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }
}

/**
 * SIGKILL until `list()` is empty. Each round freezes first (when `freeze` is given) so a process
 * cannot fork between the listing and the signal, then thaws so the killed ones can die.
 */
export async function killUntilEmpty(
  list: () => Promise<number[]>,
  freeze?: (on: boolean) => Promise<void>,
  timeoutMs = 30000,
): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (let round = 0; ; round++) {
    let pids = await list();
    if (pids.length === 0) return;
    if (Date.now() > end)
      throw new CgroupError(`processes ${pids.join(' ')} survived SIGKILL for ${timeoutMs} ms`);
    if (freeze) {
      try {
        await freeze(true);
        pids = await list();
      } catch {
        /* freezing is an optimisation against forks; kill anyway */
      }
    }
    killPids(pids);
    if (freeze) await freeze(false).catch(() => undefined);
    // Exiting takes a moment (and zombies leave the cgroup when they exit, not when reaped).
    for (let i = 0; i < 20 && (await list()).length > 0; i++) await sleep(round < 3 ? 5 : 25);
  }
}

/** rmdir the subtree, deepest first, retrying while the kernel still says EBUSY. Missing is fine. */
export async function removeTree(dir: string, timeoutMs = 10000): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (const d of await subtreeDirs(dir)) {
    for (;;) {
      try {
        rmdirSync(d);
        break;
      } catch (e) {
        const errno = errnoOf(e);
        if (errno === 'ENOENT') break;
        if (errno !== 'EBUSY' || Date.now() > end) {
          throw new CgroupError(`remove ${d}: ${(e as Error).message}`, undefined, undefined, errno);
        }
        await sleep(20);
      }
    }
  }
}
