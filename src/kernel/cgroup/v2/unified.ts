// cgroup v2 raw keys (linux.resources.unified): memory.high, memory.min, memory.oom.group, ...
import { R, type ApplyContext } from '../controller.js';
import { readText, type Tx } from '../fs.js';
import { CgroupError, type LinuxResources } from '../types.js';

export async function apply(tx: Tx, dir: string, r: LinuxResources, _ctx: ApplyContext): Promise<void> {
  for (const [key, value] of Object.entries(r.unified ?? {})) {
    const field = `${R}.unified["${key}"]`;
    if ((await readText(dir, key)) === undefined) {
      const ctrl = key.split('.')[0];
      throw new CgroupError(
        `${field}: no such cgroup file (is the ${ctrl} controller available? see cgroup.controllers)`,
        field,
        value,
        'ENOENT',
      );
    }
    await tx.write(dir, key, value, { field, value });
  }
}
