// cgroup v1 blkio: blkio.weight / blkio.bfq.weight, weight_device, blkio.throttle.*_device.
import { R, type ApplyContext } from '../controller.js';
import { readText, type Tx } from '../fs.js';
import { CgroupError, type CgroupStats, type LinuxResources, type ThrottleDevice } from '../types.js';

async function weightFile(dir: string, base: string): Promise<string | undefined> {
  for (const f of [`blkio.${base}`, `blkio.bfq.${base}`])
    if ((await readText(dir, f)) !== undefined) return f;
  return undefined;
}

function noWeight(field: string, value: number): CgroupError {
  return new CgroupError(
    `${field}: ${value}: this host has no blkio weight files (no CFQ/BFQ scheduler in use); remove the weight`,
    field,
    String(value),
    'ENOENT',
  );
}

export async function apply(tx: Tx, dir: string, r: LinuxResources, _ctx: ApplyContext): Promise<void> {
  const b = r.blockIO;
  if (!b) return;
  if (b.weight !== undefined && b.weight !== 0) {
    const f = await weightFile(dir, 'weight');
    if (!f) throw noWeight(`${R}.blockIO.weight`, b.weight);
    await tx.write(dir, f, String(b.weight), { field: `${R}.blockIO.weight` });
  }
  if (b.leafWeight !== undefined && b.leafWeight !== 0) {
    const f = await weightFile(dir, 'leaf_weight');
    if (!f) throw noWeight(`${R}.blockIO.leafWeight`, b.leafWeight);
    await tx.write(dir, f, String(b.leafWeight), { field: `${R}.blockIO.leafWeight` });
  }
  for (const [i, d] of (b.weightDevice ?? []).entries()) {
    for (const k of ['weight', 'leafWeight'] as const) {
      const v = d[k];
      if (v === undefined || v === 0) continue;
      const field = `${R}.blockIO.weightDevice[${i}].${k}`;
      const f = await weightFile(dir, k === 'weight' ? 'weight_device' : 'leaf_weight_device');
      if (!f) throw noWeight(field, v);
      const old = ((await readText(dir, f)) ?? '')
        .split('\n')
        .find((l) => l.startsWith(`${d.major}:${d.minor} `));
      await tx.write(dir, f, `${d.major}:${d.minor} ${v}`, {
        field,
        value: v,
        restore: old ?? `${d.major}:${d.minor} 0`,
      });
    }
  }
  const throttle = async (list: ThrottleDevice[] | undefined, file: string, name: string): Promise<void> => {
    const cur = (await readText(dir, file)) ?? '';
    for (const [i, d] of (list ?? []).entries()) {
      const dev = `${d.major}:${d.minor}`;
      const old = cur.split('\n').find((l) => l.startsWith(`${dev} `));
      // 0 removes the device's limit; so does restoring to 0.
      await tx.write(dir, file, `${dev} ${d.rate}`, {
        field: `${R}.blockIO.${name}[${i}]`,
        value: `${dev} ${d.rate}`,
        restore: old ?? `${dev} 0`,
        explain: (e) => (e === 'ENODEV' ? `no block device ${dev} (see /sys/dev/block)` : undefined),
      });
    }
  };
  await throttle(b.throttleReadBpsDevice, 'blkio.throttle.read_bps_device', 'throttleReadBpsDevice');
  await throttle(b.throttleWriteBpsDevice, 'blkio.throttle.write_bps_device', 'throttleWriteBpsDevice');
  await throttle(b.throttleReadIOPSDevice, 'blkio.throttle.read_iops_device', 'throttleReadIOPSDevice');
  await throttle(b.throttleWriteIOPSDevice, 'blkio.throttle.write_iops_device', 'throttleWriteIOPSDevice');
}

/** "MAJ:MIN Read N" lines → per-device totals. */
function parseRecursive(text: string | undefined): Map<string, { read: number; write: number }> {
  const m = new Map<string, { read: number; write: number }>();
  for (const line of (text ?? '').split('\n')) {
    const [dev, op, v] = line.trim().split(/\s+/);
    if (!dev || !dev.includes(':') || v === undefined) continue;
    const e = m.get(dev) ?? { read: 0, write: 0 };
    if (op === 'Read') e.read = Number(v);
    if (op === 'Write') e.write = Number(v);
    m.set(dev, e);
  }
  return m;
}

export async function stats(dir: string, s: CgroupStats): Promise<void> {
  const bytes = parseRecursive(await readText(dir, 'blkio.throttle.io_service_bytes_recursive'));
  const ops = parseRecursive(await readText(dir, 'blkio.throttle.io_serviced_recursive'));
  for (const dev of new Set([...bytes.keys(), ...ops.keys()])) {
    const [major, minor] = dev.split(':').map(Number);
    const b = bytes.get(dev);
    const o = ops.get(dev);
    s.io.push({
      major: major ?? 0,
      minor: minor ?? 0,
      rbytes: b?.read ?? 0,
      wbytes: b?.write ?? 0,
      rios: o?.read ?? 0,
      wios: o?.write ?? 0,
    });
  }
}
