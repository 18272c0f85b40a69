// cgroup v2 cpuset: cpuset.cpus, cpuset.mems.
import { R, type ApplyContext } from '../controller.js';
import type { Tx } from '../fs.js';
import type { LinuxResources } from '../types.js';

export async function apply(tx: Tx, dir: string, r: LinuxResources, _ctx: ApplyContext): Promise<void> {
  const explain = (e: string): string | undefined =>
    e === 'EINVAL'
      ? 'not within the CPUs/memory nodes this cgroup may use (see cpuset.*.effective of the parent)'
      : undefined;
  if (r.cpu?.cpus) await tx.write(dir, 'cpuset.cpus', r.cpu.cpus, { field: `${R}.cpu.cpus`, explain });
  if (r.cpu?.mems) await tx.write(dir, 'cpuset.mems', r.cpu.mems, { field: `${R}.cpu.mems`, explain });
}
