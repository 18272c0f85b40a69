// cgroup v1 cpuset: cpuset.cpus, cpuset.mems. A new v1 cpuset starts empty and takes no tasks
// until both are set, so creation copies them from the parent.
import { dirname } from 'node:path';
import { R, type ApplyContext } from '../controller.js';
import { readText, writeCg, type Tx } from '../fs.js';
import type { LinuxResources } from '../types.js';

export async function inheritFromParent(dir: string): Promise<void> {
  for (const f of ['cpuset.cpus', 'cpuset.mems']) {
    if (((await readText(dir, f)) ?? '').trim() !== '') continue;
    const parent = ((await readText(dirname(dir), f)) ?? '').trim();
    if (parent) await writeCg(`${dir}/${f}`, parent);
  }
}

export async function apply(tx: Tx, dir: string, r: LinuxResources, _ctx: ApplyContext): Promise<void> {
  const explain = (e: string): string | undefined =>
    e === 'EINVAL' ? "not within the parent cgroup's cpuset.cpus / cpuset.mems" : undefined;
  if (r.cpu?.cpus) await tx.write(dir, 'cpuset.cpus', r.cpu.cpus, { field: `${R}.cpu.cpus`, explain });
  if (r.cpu?.mems) await tx.write(dir, 'cpuset.mems', r.cpu.mems, { field: `${R}.cpu.mems`, explain });
}
