// cgroup v1 cpuset: cpuset.cpus, cpuset.mems. A new v1 cpuset starts empty and takes no tasks
// until both are set, so creation copies them from the parent.
import { dirname } from 'node:path';
import { R, type ApplyContext } from '../controller.js';
import { readTextSync, writeCgSync, type Tx } from '../fs.js';
import type { LinuxResources } from '../types.js';

const FILES = ['cpuset.cpus', 'cpuset.mems'];
const value = (dir: string, f: string): string => (readTextSync(dir, f) ?? '').trim();

/**
 * Fill the cpuset levels of `leaf` below `mount` that have no CPUs or memory nodes yet with their
 * parent's. `firstNew` is the first level this process just made (mkdir -p's answer): the levels
 * above it were there, and when the deepest of those has values so have all above it (a child's
 * set is within its parent's), so only the new ones are written, without reading them. An empty
 * level above (a run stopped between its mkdir and its fill): every level from the mount.
 */
export function fillLevels(mount: string, leaf: string, firstNew: string | undefined): void {
  const levels: string[] = [];
  for (let d = leaf; d.length > mount.length; d = dirname(d)) levels.unshift(d);
  const start = firstNew ? levels.indexOf(firstNew) : levels.length - 1;
  const above = start > 0 ? levels[start - 1]! : mount;
  const parent = FILES.map((f) => value(above, f));
  if (start < 0 || parent.includes('')) {
    for (const d of levels) inheritFromParent(d);
    return;
  }
  for (const d of levels.slice(start))
    FILES.forEach((f, i) => {
      if (firstNew || value(d, f) === '') writeCgSync(`${d}/${f}`, parent[i]!);
    });
}

function inheritFromParent(dir: string): void {
  for (const f of FILES) {
    if (value(dir, f) !== '') continue;
    const parent = value(dirname(dir), f);
    if (parent) writeCgSync(`${dir}/${f}`, parent);
  }
}

export async function apply(tx: Tx, dir: string, r: LinuxResources, _ctx: ApplyContext): Promise<void> {
  const explain = (e: string): string | undefined =>
    e === 'EINVAL' ? "not within the parent cgroup's cpuset.cpus / cpuset.mems" : undefined;
  if (r.cpu?.cpus) await tx.write(dir, 'cpuset.cpus', r.cpu.cpus, { field: `${R}.cpu.cpus`, explain });
  if (r.cpu?.mems) await tx.write(dir, 'cpuset.mems', r.cpu.mems, { field: `${R}.cpu.mems`, explain });
}
