// cgroup v1 freezer: freezer.state FROZEN / THAWED (FREEZING while in progress).

import { kernelError, readText, waitFor, writeCg } from '../fs.js';
import { CgroupError } from '../types.js';
import { joinClean } from '../../../util/join-clean.js';

export async function setFrozen(dir: string, frozen: boolean, timeoutMs = 30000): Promise<void> {
  const want = frozen ? 'FROZEN' : 'THAWED';
  const path = joinClean(dir, 'freezer.state');
  const ok = await waitFor(
    async () => {
      // Writing again while FREEZING retries tasks that could not be frozen yet.
      try {
        await writeCg(path, want);
      } catch (e) {
        throw kernelError(path, want, { field: frozen ? 'freeze' : 'thaw' }, e);
      }
      return ((await readText(dir, 'freezer.state')) ?? '').trim() === want;
    },
    timeoutMs,
    5,
  );
  if (!ok)
    throw new CgroupError(
      `${frozen ? 'freeze' : 'thaw'}: ${dir} did not reach ${want} within ${timeoutMs} ms`,
    );
}

export async function isFrozen(dir: string): Promise<boolean> {
  return ((await readText(dir, 'freezer.state')) ?? '').trim() === 'FROZEN';
}
