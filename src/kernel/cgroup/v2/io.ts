// cgroup v2 io: io.max (per-device rbps/wbps/riops/wiops), io.bfq.weight or io.weight.
import { R, type ApplyContext } from '../controller.js';
import { parseNestedKeyed, readText, type Tx } from '../fs.js';
import type { CgroupStats, LinuxResources, ThrottleDevice } from '../types.js';

/** blkio weight (10..1000) → io.weight (1..10000), as runc converts it. */
export function blkioWeightToIoWeight(w: number): number {
  return 1 + Math.floor(((w - 10) * 9999) / 990);
}

export async function apply(tx: Tx, dir: string, r: LinuxResources, _ctx: ApplyContext): Promise<void> {
  const b = r.blockIO;
  if (!b) return;
  const bfq = (await readText(dir, 'io.bfq.weight')) !== undefined;
  const weightFile = bfq ? 'io.bfq.weight' : 'io.weight';
  const conv = (w: number): number => (bfq ? w : blkioWeightToIoWeight(w));
  if (b.weight !== undefined && b.weight !== 0) {
    await tx.write(dir, weightFile, `default ${conv(b.weight)}`, {
      field: `${R}.blockIO.weight`,
      value: b.weight,
    });
  }
  for (const [i, d] of (b.weightDevice ?? []).entries()) {
    if (d.weight === undefined || d.weight === 0) continue;
    const cur = (await readText(dir, weightFile)) ?? '';
    const old = cur.split('\n').find((l) => l.startsWith(`${d.major}:${d.minor} `));
    await tx.write(dir, weightFile, `${d.major}:${d.minor} ${conv(d.weight)}`, {
      field: `${R}.blockIO.weightDevice[${i}].weight`,
      value: d.weight,
      restore: old ?? `${d.major}:${d.minor} default`,
    });
  }
  // One io.max line per device with every limit given for it; 0 removes a limit (as on v1).
  const perDev = new Map<string, { fields: string[]; kv: string[] }>();
  const add = (list: ThrottleDevice[] | undefined, key: string, name: string): void =>
    (list ?? []).forEach((d, i) => {
      const dev = `${d.major}:${d.minor}`;
      const e = perDev.get(dev) ?? { fields: [], kv: [] };
      e.fields.push(`${R}.blockIO.${name}[${i}]`);
      e.kv.push(`${key}=${d.rate > 0 ? d.rate : 'max'}`);
      perDev.set(dev, e);
    });
  add(b.throttleReadBpsDevice, 'rbps', 'throttleReadBpsDevice');
  add(b.throttleWriteBpsDevice, 'wbps', 'throttleWriteBpsDevice');
  add(b.throttleReadIOPSDevice, 'riops', 'throttleReadIOPSDevice');
  add(b.throttleWriteIOPSDevice, 'wiops', 'throttleWriteIOPSDevice');
  if (perDev.size === 0) return;
  const current = parseNestedKeyed(await readText(dir, 'io.max'));
  for (const [dev, e] of perDev) {
    const old = current.get(dev);
    const restore = ['rbps', 'wbps', 'riops', 'wiops'].map((k) => `${k}=${old?.get(k) ?? 'max'}`).join(' ');
    await tx.write(dir, 'io.max', `${dev} ${e.kv.join(' ')}`, {
      field: e.fields.join(', '),
      value: `${dev} ${e.kv.join(' ')}`,
      restore: `${dev} ${restore}`,
      explain: (errno) => (errno === 'ENODEV' ? `no block device ${dev} (see /sys/dev/block)` : undefined),
    });
  }
}

export async function stats(dir: string, s: CgroupStats): Promise<void> {
  for (const [dev, kv] of parseNestedKeyed(await readText(dir, 'io.stat'))) {
    const [major, minor] = dev.split(':').map(Number);
    s.io.push({
      major: major ?? 0,
      minor: minor ?? 0,
      rbytes: Number(kv.get('rbytes') ?? 0),
      wbytes: Number(kv.get('wbytes') ?? 0),
      rios: Number(kv.get('rios') ?? 0),
      wios: Number(kv.get('wios') ?? 0),
    });
  }
}
