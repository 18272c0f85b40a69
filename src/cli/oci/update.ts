// corral-oci update [--resources FILE|-] [--memory ...] ID: change a container's cgroup limits.
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import type { LinuxResources } from '../../kernel/cgroup/types.js';
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

export function register(program: Command, ctx: Context): void {
  program
    .command('update')
    .description("change a running container's resource limits")
    .option('-r, --resources <file>', 'linux.resources JSON file, - for stdin')
    .option('--memory <size>', 'memory limit')
    .option('--memory-swap <size>', 'memory+swap limit')
    .option('--memory-reservation <size>', 'memory soft limit')
    .option('--cpu-quota <us>', 'CFS quota per period (-1: none)')
    .option('--cpu-period <us>', 'CFS period')
    .option('--cpu-shares <n>', 'CPU shares (relative weight)')
    .option('--cpuset-cpus <list>', 'CPUs to use (0-3,5)')
    .option('--cpuset-mems <list>', 'memory nodes to use')
    .option('--pids-limit <n>', 'maximum number of processes (-1: none)')
    .argument('<id>', 'container id')
    .action(async (id: string, f: UpdateFlags) => {
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
      await (await ctx.runtime()).update(id, r);
    });
}
