// `corral sandbox [CMD...]`: the quick start. A container from the built-in busybox rootfs with
// every namespace, the default capabilities and seccomp profile, masked /proc paths and cgroup
// limits; stdio attached; exits with the container's status.
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeBusyboxRootfs } from '../image/busybox-rootfs.js';
import { defaultSpec } from '../oci/defaults/spec-template.js';
import { Runtime } from '../oci/runtime.js';
import { parseBytes } from '../util/quantity.js';
import { resolveDataDir } from './data-dir.js';

export async function sandbox(
  dataDirFlag: string | undefined,
  cmd: string[],
  opts: { memory: string; pidsLimit: string },
): Promise<number> {
  const memory = parseBytes(opts.memory, '--memory');
  const pids = Number(opts.pidsLimit);
  if (!Number.isInteger(pids) || pids < 1)
    throw new Error(`--pids-limit: "${opts.pidsLimit}" must be a whole number ≥ 1`);

  const dataDir = resolveDataDir(dataDirFlag);
  // One shared read-only rootfs, built once; each sandbox writes only to its own tmpfs mounts.
  const rootfs = join(dataDir, 'rootfs', 'busybox');
  if (!existsSync(join(rootfs, 'bin', 'busybox'))) {
    const tmp = `${rootfs}.tmp-${process.pid}`;
    makeBusyboxRootfs(tmp);
    mkdirSync(join(dataDir, 'rootfs'), { recursive: true });
    const { renameSync } = await import('node:fs');
    renameSync(tmp, rootfs);
  }

  const id = `sandbox-${process.pid}`;
  const bundle = join(dataDir, 'sandboxes', id);
  mkdirSync(bundle, { recursive: true });
  const spec = defaultSpec({ args: cmd.length ? cmd : ['sh'], terminal: false, hostname: id });
  spec.root = { path: rootfs, readonly: true };
  spec.mounts = [
    ...(spec.mounts ?? []),
    { destination: '/tmp', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'nodev', 'size=64m'] },
    { destination: '/root', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'nodev', 'size=64m'] },
  ];
  spec.linux = {
    ...spec.linux,
    resources: { ...spec.linux?.resources, memory: { limit: memory }, pids: { limit: pids } },
  };
  writeFileSync(join(bundle, 'config.json'), JSON.stringify(spec, null, 2));

  const runtime = new Runtime({ root: join(dataDir, 'runtime') });
  try {
    return (await runtime.run(id, bundle, { detached: false })) ?? 1;
  } finally {
    rmSync(bundle, { recursive: true, force: true });
  }
}
