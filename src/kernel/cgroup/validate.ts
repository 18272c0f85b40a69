// Checks done before anything is written, so a bad value never leaves a half-applied update.
import { existsSync } from 'node:fs';
import { MIN_QUOTA_USEC } from './convert.js';
import { CgroupError, type LinuxResources, type ThrottleDevice } from './types.js';

const R = 'linux.resources';

function bad(field: string, value: unknown, why: string): CgroupError {
  return new CgroupError(`${field}: ${String(value)}: ${why}`, field, String(value));
}

function int(field: string, v: number | undefined, min: number, max = Number.MAX_SAFE_INTEGER): void {
  if (v === undefined) return;
  if (!Number.isInteger(v)) throw bad(field, v, 'must be an integer');
  if (v < min || v > max) throw bad(field, v, `must be between ${min} and ${max}`);
}

/** A block device the kernel knows, as `major:minor`. */
export function checkBlockDevice(field: string, major: number, minor: number): void {
  if (!Number.isInteger(major) || !Number.isInteger(minor) || major < 0 || minor < 0) {
    throw bad(field, `${major}:${minor}`, 'not a device number');
  }
  if (!existsSync(`/sys/dev/block/${major}:${minor}`)) {
    throw bad(field, `${major}:${minor}`, 'no such block device on this host (see /sys/dev/block)');
  }
}

export function validateResources(r: LinuxResources): void {
  const m = r.memory;
  if (m) {
    for (const k of ['limit', 'reservation', 'swap', 'kernel', 'kernelTCP'] as const) {
      int(`${R}.memory.${k}`, m[k], -1);
    }
    int(`${R}.memory.swappiness`, m.swappiness, 0, 100);
  }
  const c = r.cpu;
  if (c) {
    int(`${R}.cpu.shares`, c.shares, 0);
    int(`${R}.cpu.quota`, c.quota, -1);
    if (c.quota !== undefined && c.quota > 0 && c.quota < MIN_QUOTA_USEC) {
      throw bad(`${R}.cpu.quota`, c.quota, `below the kernel's minimum of ${MIN_QUOTA_USEC} µs (1 ms)`);
    }
    if (c.period !== undefined && c.period !== 0) int(`${R}.cpu.period`, c.period, 1000, 1000000);
    int(`${R}.cpu.burst`, c.burst, 0);
    if (c.burst !== undefined && c.burst > 0 && c.quota !== undefined && c.quota > 0 && c.burst > c.quota) {
      throw bad(`${R}.cpu.burst`, c.burst, `must not exceed cpu.quota (${c.quota})`);
    }
    int(`${R}.cpu.realtimeRuntime`, c.realtimeRuntime, -1);
    int(`${R}.cpu.realtimePeriod`, c.realtimePeriod, 0);
    int(`${R}.cpu.idle`, c.idle, 0, 1);
    for (const k of ['cpus', 'mems'] as const) {
      const v = c[k];
      if (v !== undefined && !/^\s*(\d+(-\d+)?)?(\s*,\s*\d+(-\d+)?)*\s*$/.test(v)) {
        throw bad(`${R}.cpu.${k}`, v, 'must be a list like 0-2,4');
      }
    }
  }
  if (r.pids) int(`${R}.pids.limit`, r.pids.limit, -1);
  const b = r.blockIO;
  if (b) {
    int(`${R}.blockIO.weight`, b.weight, 0, 1000);
    int(`${R}.blockIO.leafWeight`, b.leafWeight, 0, 1000);
    (b.weightDevice ?? []).forEach((d, i) => {
      const f = `${R}.blockIO.weightDevice[${i}]`;
      checkBlockDevice(f, d.major, d.minor);
      int(`${f}.weight`, d.weight, 0, 1000);
    });
    const throttles: [string, ThrottleDevice[] | undefined][] = [
      ['throttleReadBpsDevice', b.throttleReadBpsDevice],
      ['throttleWriteBpsDevice', b.throttleWriteBpsDevice],
      ['throttleReadIOPSDevice', b.throttleReadIOPSDevice],
      ['throttleWriteIOPSDevice', b.throttleWriteIOPSDevice],
    ];
    for (const [name, list] of throttles) {
      (list ?? []).forEach((d, i) => {
        const f = `${R}.blockIO.${name}[${i}]`;
        checkBlockDevice(f, d.major, d.minor);
        int(`${f}.rate`, d.rate, 0);
      });
    }
  }
  (r.hugepageLimits ?? []).forEach((h, i) => {
    const f = `${R}.hugepageLimits[${i}]`;
    if (!/^\d+(KB|MB|GB)$/.test(h.pageSize))
      throw bad(`${f}.pageSize`, h.pageSize, 'must look like 2MB or 1GB');
    int(`${f}.limit`, h.limit, 0);
  });
  for (const key of Object.keys(r.unified ?? {})) {
    if (!/^[a-z0-9_]+\.[a-z0-9_.]+$/.test(key) || key.includes('..')) {
      throw bad(`${R}.unified`, key, 'not a cgroup file name (like memory.high)');
    }
  }
}
