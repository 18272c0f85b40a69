// cgroup v2 memory: memory.max (limit), memory.low (reservation), memory.swap.max (swap − limit).
// memory.high, memory.min and memory.oom.group are set through `unified`.
import { formatBytes, swapToV2 } from '../convert.js';
import { R, type ApplyContext } from '../controller.js';
import { parseFlatKeyed, readNumber, readText, type Tx } from '../fs.js';
import { CgroupError, type CgroupStats, type LinuxResources } from '../types.js';

const bytes = (v: number): string => (v === -1 ? 'max' : String(v));

export async function apply(tx: Tx, dir: string, r: LinuxResources, ctx: ApplyContext): Promise<void> {
  const m = r.memory;
  if (!m) return;
  if (m.swappiness !== undefined) {
    throw new CgroupError(
      `${R}.memory.swappiness: ${m.swappiness}: cgroup v2 has no per-cgroup swappiness; remove it`,
      `${R}.memory.swappiness`,
      String(m.swappiness),
    );
  }
  if (m.disableOOMKiller) {
    throw new CgroupError(
      `${R}.memory.disableOOMKiller: true: cgroup v2 cannot disable the OOM killer; remove it`,
      `${R}.memory.disableOOMKiller`,
      'true',
    );
  }
  // kernel / kernelTCP: kernel memory is part of memory.max on v2; nothing separate to set.
  let swap: string | undefined;
  try {
    swap = swapToV2(m.swap, m.limit);
  } catch (e) {
    throw new CgroupError(
      `${R}.memory.swap: ${m.swap}: ${(e as Error).message}`,
      `${R}.memory.swap`,
      String(m.swap),
    );
  }
  if (m.limit !== undefined && m.limit > 0 && ctx.update && m.checkBeforeUpdate) {
    const current = (await readNumber(dir, 'memory.current')) ?? 0;
    if (m.limit < current) {
      throw new CgroupError(
        `${R}.memory.limit: ${m.limit} is below the cgroup's current usage (${formatBytes(current)})`,
        `${R}.memory.limit`,
        String(m.limit),
        'EBUSY',
      );
    }
  }
  if (m.limit !== undefined && m.limit !== 0) {
    await tx.write(dir, 'memory.max', bytes(m.limit), { field: `${R}.memory.limit`, value: m.limit });
  }
  if (swap !== undefined) {
    if ((await readText(dir, 'memory.swap.max')) === undefined) {
      if (swap !== 'max') {
        throw new CgroupError(
          `${R}.memory.swap: ${m.swap}: this kernel has no swap accounting (memory.swap.max is missing)`,
          `${R}.memory.swap`,
          String(m.swap),
        );
      }
    } else {
      await tx.write(dir, 'memory.swap.max', swap, { field: `${R}.memory.swap`, value: m.swap });
    }
  }
  if (m.reservation !== undefined && m.reservation !== 0) {
    await tx.write(dir, 'memory.low', bytes(m.reservation), {
      field: `${R}.memory.reservation`,
      value: m.reservation,
    });
  }
}

export async function stats(dir: string, s: CgroupStats): Promise<void> {
  const current = (await readNumber(dir, 'memory.current')) ?? 0;
  const st = parseFlatKeyed(await readText(dir, 'memory.stat'));
  const ev = parseFlatKeyed(await readText(dir, 'memory.events'));
  s.memory = {
    current,
    peak: await readNumber(dir, 'memory.peak'),
    anon: st.get('anon'),
    file: st.get('file'),
    workingSet: Math.max(0, current - (st.get('inactive_file') ?? 0)),
    limit: await readNumber(dir, 'memory.max'),
    oomKills: ev.get('oom_kill') ?? 0,
  };
}
