// cgroup v2 hugetlb: hugetlb.<size>.max (and .rsvd.max where the kernel has it).
import { readdirSync } from 'node:fs';
import { R, type ApplyContext } from '../controller.js';
import { readText, type Tx } from '../fs.js';
import { CgroupError, type LinuxResources } from '../types.js';

export async function apply(tx: Tx, dir: string, r: LinuxResources, _ctx: ApplyContext): Promise<void> {
  for (const [i, h] of (r.hugepageLimits ?? []).entries()) {
    const field = `${R}.hugepageLimits[${i}]`;
    const file = `hugetlb.${h.pageSize}.max`;
    if ((await readText(dir, file)) === undefined) {
      const sizes = readdirSync(dir)
        .filter((f) => /^hugetlb\.[^.]+\.max$/.test(f))
        .map((f) => f.split('.')[1]);
      throw new CgroupError(
        `${field}.pageSize: ${h.pageSize}: no such huge page size here (available: ${sizes.join(', ') || 'none, hugetlb controller not enabled'})`,
        `${field}.pageSize`,
        h.pageSize,
      );
    }
    await tx.write(dir, file, String(h.limit), { field: `${field}.limit`, value: h.limit });
    if ((await readText(dir, `hugetlb.${h.pageSize}.rsvd.max`)) !== undefined) {
      await tx.write(dir, `hugetlb.${h.pageSize}.rsvd.max`, String(h.limit), {
        field: `${field}.limit`,
        value: h.limit,
      });
    }
  }
}
