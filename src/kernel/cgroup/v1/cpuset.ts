// cgroup v1 cpuset: cpuset.cpus, cpuset.mems. A new v1 cpuset starts empty and takes no tasks
// until both are set, so creation copies them from the parent, or the kernel does (clone_children).
import { dirname } from 'node:path';
import { R, type ApplyContext } from '../controller.js';
import { readTextSync, writeCgSync, type Tx } from '../fs.js';
import type { LinuxResources } from '../types.js';

const FILES = ['cpuset.cpus', 'cpuset.mems'];
const CLONE = 'cgroup.clone_children';
const value = (dir: string, f: string): string => (readTextSync(dir, f) ?? '').trim();

/**
 * Cpusets whose new children the kernel fills from them at mkdir (cgroup.clone_children is 1; a
 * child inherits the flag), by directory: read once per process. Levels filled here get the flag,
 * so below them a mkdir is all a new cgroup needs.
 */
const cloning = new Map<string, boolean>();
function clones(dir: string): boolean {
  let v = cloning.get(dir);
  if (v === undefined) cloning.set(dir, (v = value(dir, CLONE) === '1'));
  return v;
}

/**
 * Fill the cpuset levels of `leaf` below `mount` that have no CPUs or memory nodes yet with their
 * parent's. `firstNew` is the first level this process just made (mkdir -p's answer): the levels
 * above it were there, and when the deepest of those has values so have all above it (a child's
 * set is within its parent's), so only the new ones are written, without reading them; and when
 * that one clones its values into new children, the kernel has done it. An empty level above (a
 * run stopped between its mkdir and its fill): every level from the mount.
 */
export function fillLevels(mount: string, leaf: string, firstNew: string | undefined): void {
  const levels: string[] = [];
  for (let d = leaf; d.length > mount.length; d = dirname(d)) levels.unshift(d);
  const start = firstNew ? levels.indexOf(firstNew) : levels.length - 1;
  const above = start > 0 ? levels[start - 1]! : mount;
  if (firstNew && start > 0 && clones(above)) {
    for (const d of levels.slice(start)) cloning.set(d, true);
    return;
  }
  const parent = FILES.map((f) => value(above, f));
  if (start < 0 || parent.includes('')) {
    for (const d of levels) inheritFromParent(d);
    return;
  }
  for (const d of levels.slice(start)) {
    let wrote = false;
    FILES.forEach((f, i) => {
      if (!firstNew && value(d, f) !== '') return;
      writeCgSync(`${d}/${f}`, parent[i]!);
      wrote = true;
    });
    if (wrote) setCloning(d);
  }
}

/** A level made here (ours: never a cgroup we were started in) passes its cpuset on to the
 *  children made later. */
function setCloning(dir: string): void {
  if (cloning.get(dir)) return;
  try {
    writeCgSync(`${dir}/${CLONE}`, '1');
    cloning.set(dir, true);
  } catch {
    /* without the flag, a child is filled by fillLevels */
  }
}

function inheritFromParent(dir: string): void {
  let wrote = false;
  for (const f of FILES) {
    if (value(dir, f) !== '') continue;
    const parent = value(dirname(dir), f);
    if (!parent) continue;
    writeCgSync(`${dir}/${f}`, parent);
    wrote = true;
  }
  if (wrote) setCloning(dir); // it was empty: no process of anyone's in it, so one of ours
}

export async function apply(tx: Tx, dir: string, r: LinuxResources, _ctx: ApplyContext): Promise<void> {
  const explain = (e: string): string | undefined =>
    e === 'EINVAL' ? "not within the parent cgroup's cpuset.cpus / cpuset.mems" : undefined;
  if (r.cpu?.cpus) await tx.write(dir, 'cpuset.cpus', r.cpu.cpus, { field: `${R}.cpu.cpus`, explain });
  if (r.cpu?.mems) await tx.write(dir, 'cpuset.mems', r.cpu.mems, { field: `${R}.cpu.mems`, explain });
}
