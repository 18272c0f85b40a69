// cgroup v1 cpu: cpu.shares, cpu.cfs_period_us / cfs_quota_us / cfs_burst_us, cpu.rt_*, cpu.idle.
import { R, type ApplyContext } from '../controller.js';
import { parseFlatKeyed, readNumber, readText, type Tx } from '../fs.js';
import type { CgroupStats, LinuxResources } from '../types.js';

export async function apply(tx: Tx, dir: string, r: LinuxResources, _ctx: ApplyContext): Promise<void> {
  const c = r.cpu;
  if (!c) return;
  if (c.shares !== undefined && c.shares !== 0) {
    await tx.write(dir, 'cpu.shares', String(c.shares), { field: `${R}.cpu.shares` });
  }
  if (c.period !== undefined && c.period !== 0) {
    await tx.write(dir, 'cpu.cfs_period_us', String(c.period), { field: `${R}.cpu.period` });
  }
  const curBurst = (await readNumber(dir, 'cpu.cfs_burst_us')) ?? 0;
  const burst = async (): Promise<void> => {
    if (c.burst === undefined) return;
    await tx.write(dir, 'cpu.cfs_burst_us', String(c.burst), {
      field: `${R}.cpu.burst`,
      explain: (e) => (e === 'EINVAL' ? 'must not exceed the cpu quota' : undefined),
    });
  };
  // The burst must stay within the quota at every step: shrink it first, grow it last.
  const burstFirst = c.burst !== undefined && c.burst < curBurst;
  if (burstFirst) await burst();
  if (c.quota !== undefined && c.quota !== 0) {
    await tx.write(dir, 'cpu.cfs_quota_us', String(c.quota > 0 ? c.quota : -1), {
      field: `${R}.cpu.quota`,
      value: c.quota,
    });
  }
  if (!burstFirst) await burst();
  // rt_runtime must fit in rt_period: grow the period first.
  if (c.realtimePeriod)
    await tx.write(dir, 'cpu.rt_period_us', String(c.realtimePeriod), { field: `${R}.cpu.realtimePeriod` });
  if (c.realtimeRuntime !== undefined && c.realtimeRuntime !== 0) {
    await tx.write(dir, 'cpu.rt_runtime_us', String(c.realtimeRuntime), {
      field: `${R}.cpu.realtimeRuntime`,
      explain: (e) =>
        e === 'EINVAL' || e === 'EBUSY'
          ? "exceeds the parent cgroup's real-time budget (cpu.rt_runtime_us)"
          : undefined,
    });
  }
  if (c.idle !== undefined) await tx.write(dir, 'cpu.idle', String(c.idle), { field: `${R}.cpu.idle` });
}

export async function stats(dir: string, s: CgroupStats): Promise<void> {
  const st = parseFlatKeyed(await readText(dir, 'cpu.stat'));
  s.cpu.nrPeriods = st.get('nr_periods') ?? 0;
  s.cpu.nrThrottled = st.get('nr_throttled') ?? 0;
  s.cpu.throttledUsec = st.get('throttled_usec') ?? Math.round((st.get('throttled_time') ?? 0) / 1000);
}
