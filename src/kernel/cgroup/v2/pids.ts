// cgroup v2 pids: pids.max.
import { R, type ApplyContext } from '../controller.js';
import { readNumber, type Tx } from '../fs.js';
import type { CgroupStats, LinuxResources } from '../types.js';

export async function apply(tx: Tx, dir: string, r: LinuxResources, _ctx: ApplyContext): Promise<void> {
  if (!r.pids) return;
  const v = r.pids.limit > 0 ? String(r.pids.limit) : 'max';
  await tx.write(dir, 'pids.max', v, { field: `${R}.pids.limit`, value: r.pids.limit });
}

export async function stats(dir: string, s: CgroupStats): Promise<void> {
  s.pids = {
    current: (await readNumber(dir, 'pids.current')) ?? 0,
    limit: await readNumber(dir, 'pids.max'),
  };
}
