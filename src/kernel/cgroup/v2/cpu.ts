// cgroup v2 cpu: cpu.weight (from shares), cpu.max (quota period), cpu.max.burst, cpu.idle.
import { QUOTA_PERIOD_USEC, sharesToWeight } from '../convert.js';
import { R, type ApplyContext } from '../controller.js';
import { parseFlatKeyed, readText, type Tx } from '../fs.js';
import { CgroupError, type CgroupStats, type LinuxResources } from '../types.js';

export async function apply(tx: Tx, dir: string, r: LinuxResources, _ctx: ApplyContext): Promise<void> {
  const c = r.cpu;
  if (!c) return;
  if ((c.realtimeRuntime ?? 0) !== 0 || (c.realtimePeriod ?? 0) !== 0) {
    throw new CgroupError(
      `${R}.cpu.realtimeRuntime: cgroup v2 has no real-time CPU budget; remove realtimeRuntime/realtimePeriod`,
      `${R}.cpu.realtimeRuntime`,
      String(c.realtimeRuntime ?? c.realtimePeriod),
    );
  }
  if (c.shares !== undefined && c.shares !== 0) {
    await tx.write(dir, 'cpu.weight', String(sharesToWeight(c.shares)), {
      field: `${R}.cpu.shares`,
      value: c.shares,
    });
  }
  if (c.idle !== undefined) await tx.write(dir, 'cpu.idle', String(c.idle), { field: `${R}.cpu.idle` });

  const hasMax = c.quota !== undefined || (c.period !== undefined && c.period !== 0);
  const writeBurst = async (): Promise<void> => {
    if (c.burst === undefined) return;
    await tx.write(dir, 'cpu.max.burst', String(c.burst), {
      field: `${R}.cpu.burst`,
      explain: (e) => (e === 'EINVAL' ? 'must not exceed the cpu quota' : undefined),
    });
  };
  if (!hasMax) return writeBurst();
  // cpu.max reads "QUOTA PERIOD"; keep the half that is not given.
  const [curQuota = 'max', curPeriod = String(QUOTA_PERIOD_USEC)] = ((await readText(dir, 'cpu.max')) ?? '')
    .trim()
    .split(/\s+/);
  const quota = c.quota === undefined ? curQuota : c.quota > 0 ? String(c.quota) : 'max';
  const period = c.period !== undefined && c.period !== 0 ? String(c.period) : curPeriod;
  const curBurst = Number(((await readText(dir, 'cpu.max.burst')) ?? '0').trim());
  // The burst must stay within the quota at every step: shrink it first, grow it last.
  const burstFirst = c.burst !== undefined && c.burst < curBurst;
  if (burstFirst) await writeBurst();
  await tx.write(dir, 'cpu.max', `${quota} ${period}`, {
    field: c.quota !== undefined ? `${R}.cpu.quota` : `${R}.cpu.period`,
    value: c.quota !== undefined ? c.quota : c.period,
    explain: (e) =>
      e === 'EINVAL'
        ? `the kernel rejects cpu.max "${quota} ${period}" (quota ≥ 1000 µs, period 1000..1000000 µs, quota ≥ burst)`
        : undefined,
  });
  if (!burstFirst) await writeBurst();
}

export async function stats(dir: string, s: CgroupStats): Promise<void> {
  const st = parseFlatKeyed(await readText(dir, 'cpu.stat'));
  s.cpu.usageUsec = st.get('usage_usec') ?? 0;
  s.cpu.userUsec = st.get('user_usec') ?? 0;
  s.cpu.systemUsec = st.get('system_usec') ?? 0;
  s.cpu.nrPeriods = st.get('nr_periods') ?? 0;
  s.cpu.nrThrottled = st.get('nr_throttled') ?? 0;
  s.cpu.throttledUsec = st.get('throttled_usec') ?? 0;
}
