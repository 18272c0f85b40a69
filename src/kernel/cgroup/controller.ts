// What every per-controller module of both drivers gets.
import type { Tx } from './fs.js';
import type { CgroupStats, LinuxResources } from './types.js';

export interface ApplyContext {
  /** true when changing a running cgroup (update), false on create. */
  update: boolean;
  /** corral-helper binary. */
  helper: string;
}

export type Apply = (tx: Tx, dir: string, r: LinuxResources, ctx: ApplyContext) => Promise<void>;

export function emptyStats(): CgroupStats {
  return {
    cpu: { usageUsec: 0, userUsec: 0, systemUsec: 0, nrPeriods: 0, nrThrottled: 0, throttledUsec: 0 },
    memory: { current: 0, workingSet: 0, oomKills: 0 },
    io: [],
    pids: { current: 0 },
  };
}

export const R = 'linux.resources';
