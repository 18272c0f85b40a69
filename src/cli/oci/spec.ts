// corral-oci spec [--bundle DIR] [--rootless]: write a default config.json (like `runc spec`,
// with podman's default capabilities and seccomp profile).
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Values } from './args.js';

export async function run(_ctx: unknown, f: Values): Promise<void> {
  const { defaultSpec } = await import('../../oci/defaults/spec-template.js');
  const path = join(f.bundle as string, 'config.json');
  if (existsSync(path)) throw new Error(`${path} exists; remove it first`);
  const spec = defaultSpec(
    f.rootless ? { rootless: { hostUid: process.getuid!(), hostGid: process.getgid!() } } : {},
  );
  writeFileSync(path, JSON.stringify(spec, null, '\t') + '\n');
}
