// corral-oci spec [--bundle DIR] [--rootless]: write a default config.json (like `runc spec`,
// with podman's default capabilities and seccomp profile).
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';

export function register(program: Command): void {
  program
    .command('spec')
    .description('write a default config.json into the bundle directory')
    .option('-b, --bundle <dir>', 'bundle directory', '.')
    .option('--rootless', 'map container root to the calling user in a user namespace')
    .action(async (f: { bundle: string; rootless?: boolean }) => {
      const { defaultSpec } = await import('../../oci/defaults/spec-template.js');
      const { OciError } = await import('../../oci/errors.js');
      const path = join(f.bundle, 'config.json');
      if (existsSync(path)) throw new OciError(`${path} exists; remove it first`);
      const spec = defaultSpec(
        f.rootless ? { rootless: { hostUid: process.getuid!(), hostGid: process.getgid!() } } : {},
      );
      writeFileSync(path, JSON.stringify(spec, null, '\t') + '\n');
    });
}
