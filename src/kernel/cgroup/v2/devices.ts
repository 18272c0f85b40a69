// cgroup v2 devices: there are no device files on v2; an eBPF program attached to the cgroup
// decides (generated in ./devices-ebpf.ts, loaded and attached by corral-helper bpf-devices).
import { tmpdir } from 'node:os';

import { R, type ApplyContext } from '../controller.js';
import { normalizeRules } from '../devices-rules.js';
import type { Tx } from '../fs.js';
import { runHelper } from '../helper.js';
import { CgroupError, type LinuxResources } from '../types.js';
import { deviceFilterProgram, encodeProgram } from './devices-ebpf.js';
import { joinClean } from '../../../util/join-clean.js';

export async function apply(_tx: Tx, dir: string, r: LinuxResources, ctx: ApplyContext): Promise<void> {
  if (!r.devices) return;
  const rules = normalizeRules(r.devices);
  try {
    if (rules.length === 0) {
      await runHelper(ctx.helper, ['bpf-devices', 'detach', dir]);
      return;
    }
    // Loaded here: node's promise API is start-up time of every short command otherwise.
    const { mkdtemp, rm, writeFile } = process.getBuiltinModule('node:fs/promises');
    const tmp = await mkdtemp(joinClean(tmpdir(), 'corral-devfilter-'));
    try {
      const file = joinClean(tmp, 'prog.bpf');
      await writeFile(file, encodeProgram(deviceFilterProgram(rules)));
      // Attach-then-detach-old in the helper: the cgroup is never left without a filter.
      await runHelper(ctx.helper, ['bpf-devices', 'attach', dir, file]);
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  } catch (e) {
    throw new CgroupError(
      `${R}.devices: could not install the device filter: ${(e as Error).message}`,
      `${R}.devices`,
    );
  }
}
