// The kernel-layer services the runtime uses besides the helper driver (src/kernel/plan/helper.ts,
// imported by create.ts and exec.ts): the seccomp compiler (src/kernel/seccomp) and the cgroup
// driver (src/kernel/cgroup). Both are imported on first use so that `state`/`start` start fast.
import type { CgroupDriver } from '../kernel/cgroup/types.js';
import { OciError } from './errors.js';
import type { Seccomp } from './spec.js';

export type { StartPlanOptions, StartedPlan, StdioSpec } from '../kernel/plan/helper.js';

/** Compile an OCI seccomp section to a BPF file (cached by content hash in `cacheDir`); its path. */
export async function compileSeccomp(seccomp: Seccomp, cacheDir: string, helper?: string): Promise<string> {
  const { compileSeccomp: compile } = await import('../kernel/seccomp/compile.js');
  try {
    return (await compile(seccomp, { cacheDir, helper })).path;
  } catch (e) {
    throw new OciError((e as Error).message);
  }
}

export async function openCgroupDriver(root?: string, helper?: string): Promise<CgroupDriver> {
  const { openCgroups } = await import('../kernel/cgroup/index.js');
  return openCgroups({ ...(root ? { root } : {}), ...(helper ? { helper } : {}) });
}
