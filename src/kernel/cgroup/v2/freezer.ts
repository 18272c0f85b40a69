// cgroup v2 freezer: cgroup.freeze, completion reported by cgroup.events "frozen 1".

import { kernelError, parseFlatKeyed, readText, writeCg } from '../fs.js';
import { CgroupError } from '../types.js';
import { waitEvents } from './events-file.js';
import { joinClean } from '../../../util/join-clean.js';

export async function setFrozen(dir: string, frozen: boolean, timeoutMs = 30000): Promise<void> {
  const v = frozen ? '1' : '0';
  try {
    await writeCg(joinClean(dir, 'cgroup.freeze'), v);
  } catch (e) {
    throw kernelError(joinClean(dir, 'cgroup.freeze'), v, { field: frozen ? 'freeze' : 'thaw' }, e);
  }
  if (!(await waitEvents(dir, 'frozen', frozen ? 1 : 0, timeoutMs))) {
    throw new CgroupError(
      `${frozen ? 'freeze' : 'thaw'}: ${dir} did not reach frozen=${v} within ${timeoutMs} ms`,
    );
  }
}

export async function isFrozen(dir: string): Promise<boolean> {
  return parseFlatKeyed(await readText(dir, 'cgroup.events')).get('frozen') === 1;
}
