// corral-oci update [--resources FILE|-] [--memory ...] ID: change a container's cgroup limits.
import { readFileSync } from 'node:fs';
import type { LinuxResources } from '../../kernel/cgroup/types.js';
import type { Values } from './args.js';
import { intArg, type Context } from './context.js';

interface UpdateFlags {
  resources?: string;
  memory?: string;
  memorySwap?: string;
  memoryReservation?: string;
  cpuQuota?: string;
  cpuPeriod?: string;
  cpuShares?: string;
  cpusetCpus?: string;
  cpusetMems?: string;
  pidsLimit?: string;
}

/** 64m, 1g, 512k, plain bytes; -1 = unlimited (runc's units). */
function bytes(v: string, flag: string): number {
  const m = /^(-1|\d+)([kmgt]?)b?$/i.exec(v.trim());
  if (!m) throw new Error(`${flag}: "${v}" is not a size (e.g. 64m, 1g, 1048576, -1)`);
  const mult = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 }[m[2]!.toLowerCase()]!;
  return Number(m[1]) * mult;
}

export async function run(ctx: Context, values: Values, [id]: string[]): Promise<void> {
  const f = values as UpdateFlags;
  let r: LinuxResources = {};
  if (f.resources) {
    const text = readFileSync(f.resources === '-' ? 0 : f.resources, 'utf8');
    try {
      r = JSON.parse(text) as LinuxResources;
    } catch (e) {
      throw new Error(`--resources: invalid JSON: ${(e as Error).message}`, { cause: e });
    }
  }
  const mem = { ...r.memory };
  if (f.memory) mem.limit = bytes(f.memory, '--memory');
  if (f.memorySwap) mem.swap = bytes(f.memorySwap, '--memory-swap');
  if (f.memoryReservation) mem.reservation = bytes(f.memoryReservation, '--memory-reservation');
  if (Object.keys(mem).length) r.memory = mem;
  const cpu = { ...r.cpu };
  if (f.cpuQuota) cpu.quota = intArg(f.cpuQuota, '--cpu-quota');
  if (f.cpuPeriod) cpu.period = intArg(f.cpuPeriod, '--cpu-period');
  if (f.cpuShares) cpu.shares = intArg(f.cpuShares, '--cpu-shares');
  if (f.cpusetCpus) cpu.cpus = f.cpusetCpus;
  if (f.cpusetMems) cpu.mems = f.cpusetMems;
  if (Object.keys(cpu).length) r.cpu = cpu;
  if (f.pidsLimit) r.pids = { limit: intArg(f.pidsLimit, '--pids-limit') };
  await (await ctx.runtime()).update(id!, r);
}
