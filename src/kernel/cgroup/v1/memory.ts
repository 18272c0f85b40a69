// cgroup v1 memory: memory.limit_in_bytes, memory.memsw.limit_in_bytes (memory+swap),
// memory.soft_limit_in_bytes (reservation), memory.kmem.tcp.limit_in_bytes, memory.swappiness,
// memory.oom_control (disable the OOM killer).
import { formatBytes } from '../convert.js';
import { R, type ApplyContext } from '../controller.js';
import { parseFlatKeyed, readNumber, readText, type Tx } from '../fs.js';
import { CgroupError, type CgroupStats, type LinuxResources } from '../types.js';

/** v1 reports "no limit" as a huge page-aligned number. */
const UNLIMITED = 2 ** 62;

async function belowUsage(dir: string, limit: number): Promise<string> {
  const usage = (await readNumber(dir, 'memory.usage_in_bytes')) ?? 0;
  return limit < usage
    ? `is below the cgroup's current usage (${formatBytes(usage)})`
    : `the kernel cannot reclaim enough to get under it (usage ${formatBytes(usage)})`;
}

export async function apply(tx: Tx, dir: string, r: LinuxResources, ctx: ApplyContext): Promise<void> {
  const m = r.memory;
  if (!m) return;
  const limit = m.limit ?? 0;
  let swap = m.swap ?? 0;
  if (limit === -1 && swap === 0) swap = -1; // unlimited memory: unlimited memory+swap too
  if (limit > 0 && swap > 0 && swap < limit) {
    throw new CgroupError(
      `${R}.memory.swap: ${swap}: memory+swap must be at least the memory limit (${limit})`,
      `${R}.memory.swap`,
      String(swap),
    );
  }
  if (limit > 0 && ctx.update && m.checkBeforeUpdate) {
    const usage = (await readNumber(dir, 'memory.usage_in_bytes')) ?? 0;
    if (limit < usage) {
      throw new CgroupError(
        `${R}.memory.limit: ${limit} ${await belowUsage(dir, limit)}`,
        `${R}.memory.limit`,
        String(limit),
        'EBUSY',
      );
    }
  }
  const hasMemsw = (await readText(dir, 'memory.memsw.limit_in_bytes')) !== undefined;
  if (swap !== 0 && !hasMemsw && swap !== -1) {
    throw new CgroupError(
      `${R}.memory.swap: ${swap}: this kernel has no swap accounting (memory.memsw.* missing; boot with swapaccount=1)`,
      `${R}.memory.swap`,
      String(swap),
    );
  }
  const writeLimit = async (): Promise<void> => {
    if (limit === 0) return;
    await tx.write(dir, 'memory.limit_in_bytes', String(limit), {
      field: `${R}.memory.limit`,
      explain: async (e) => (e === 'EBUSY' ? belowUsage(dir, limit) : undefined),
    });
  };
  const writeSwap = async (): Promise<void> => {
    if (swap === 0 || !hasMemsw) return;
    await tx.write(dir, 'memory.memsw.limit_in_bytes', String(swap), {
      field: `${R}.memory.swap`,
      explain: async (e) =>
        e === 'EINVAL'
          ? 'memory+swap must be at least the memory limit'
          : e === 'EBUSY'
            ? belowUsage(dir, swap)
            : undefined,
    });
  };
  // memsw.limit must stay ≥ limit at every step: raise memsw first when it grows.
  const curSwap = (await readNumber(dir, 'memory.memsw.limit_in_bytes')) ?? UNLIMITED;
  if (swap !== 0 && (swap === -1 || curSwap < swap)) {
    await writeSwap();
    await writeLimit();
  } else {
    await writeLimit();
    await writeSwap();
  }
  if (m.reservation !== undefined && m.reservation !== 0) {
    await tx.write(dir, 'memory.soft_limit_in_bytes', String(m.reservation), {
      field: `${R}.memory.reservation`,
    });
  }
  if (m.kernelTCP !== undefined && m.kernelTCP !== 0) {
    await tx.write(dir, 'memory.kmem.tcp.limit_in_bytes', String(m.kernelTCP), {
      field: `${R}.memory.kernelTCP`,
    });
  }
  // memory.kernel: kernel memory limits are gone from current kernels (runc ignores them too).
  if (m.swappiness !== undefined) {
    await tx.write(dir, 'memory.swappiness', String(m.swappiness), { field: `${R}.memory.swappiness` });
  }
  if (m.disableOOMKiller !== undefined) {
    await tx.write(dir, 'memory.oom_control', m.disableOOMKiller ? '1' : '0', {
      field: `${R}.memory.disableOOMKiller`,
      value: String(m.disableOOMKiller),
      restore: null,
    });
  }
}

export async function stats(dir: string, s: CgroupStats): Promise<void> {
  const current = (await readNumber(dir, 'memory.usage_in_bytes')) ?? 0;
  const st = parseFlatKeyed(await readText(dir, 'memory.stat'));
  const oc = parseFlatKeyed(await readText(dir, 'memory.oom_control'));
  const limit = await readNumber(dir, 'memory.limit_in_bytes');
  s.memory = {
    current,
    peak: await readNumber(dir, 'memory.max_usage_in_bytes'),
    anon: st.get('total_rss') ?? st.get('rss'),
    file: st.get('total_cache') ?? st.get('cache'),
    workingSet: Math.max(0, current - (st.get('total_inactive_file') ?? st.get('inactive_file') ?? 0)),
    limit: limit !== undefined && limit < UNLIMITED ? limit : undefined,
    oomKills: oc.get('oom_kill') ?? 0,
  };
}
