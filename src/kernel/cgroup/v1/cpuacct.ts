// cgroup v1 cpuacct: usage (ns) and the user/system split (USER_HZ ticks).
import { parseFlatKeyed, readNumber, readText } from '../fs.js';
import type { CgroupStats } from '../types.js';

const USER_HZ = 100; // the ABI value of cpuacct.stat's clock ticks on every architecture Linux runs

export async function stats(dir: string, s: CgroupStats): Promise<void> {
  s.cpu.usageUsec = Math.round(((await readNumber(dir, 'cpuacct.usage')) ?? 0) / 1000);
  const st = parseFlatKeyed(await readText(dir, 'cpuacct.stat'));
  s.cpu.userUsec = ((st.get('user') ?? 0) * 1e6) / USER_HZ;
  s.cpu.systemUsec = ((st.get('system') ?? 0) * 1e6) / USER_HZ;
}
