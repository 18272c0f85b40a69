// cgroup v1 hugetlb: hugetlb.<size>.limit_in_bytes (and .rsvd.limit_in_bytes where present).
import { readdirSync } from 'node:fs';
import { R, type ApplyContext } from '../controller.js';
import { readText, type Tx } from '../fs.js';
import { CgroupError, type LinuxResources } from '../types.js';

export async function apply(tx: Tx, dir: string, r: LinuxResources, _ctx: ApplyContext): Promise<void> {
  for (const [i, h] of (r.hugepageLimits ?? []).entries()) {
    const field = `${R}.hugepageLimits[${i}]`;
    const file = `hugetlb.${h.pageSize}.limit_in_bytes`;
    if ((await readText(dir, file)) === undefined) {
      const sizes = readdirSync(dir)
        .filter((f) => /^hugetlb\.[^.]+\.limit_in_bytes$/.test(f))
        .map((f) => f.split('.')[1]);
      throw new CgroupError(
        `${field}.pageSize: ${h.pageSize}: no such huge page size here (available: ${sizes.join(', ') || 'none'})`,
        `${field}.pageSize`,
        h.pageSize,
      );
    }
    await tx.write(dir, file, String(h.limit), { field: `${field}.limit`, value: h.limit });
    const rsvd = `hugetlb.${h.pageSize}.rsvd.limit_in_bytes`;
    if ((await readText(dir, rsvd)) !== undefined)
      await tx.write(dir, rsvd, String(h.limit), { field: `${field}.limit`, value: h.limit });
  }
}
