// `corral image …`: the image store's commands. Each action lives in its own file, imported only
// when it runs. Errors surface as one line through main's handler (`corral: …`, exit 125).
import type { Command } from 'commander';

export function registerImageCommands(program: Command, dataDir: () => string): void {
  const image = program
    .command('image')
    .description('manage images: the built-in busybox, pulled and imported ones');

  image
    .command('ls')
    .alias('list')
    .description('list images')
    .option('-q, --quiet', 'print image IDs only')
    .option('--digests', 'show manifest digests')
    .allowExcessArguments(false)
    .action(async (o: { quiet?: boolean; digests?: boolean }) => {
      const { imageLs } = await import('./ls.js');
      await imageLs(dataDir(), o);
    });

  image
    .command('inspect')
    .description("show an image's record and config as JSON")
    .argument('<ref...>', 'image name or ID')
    .action(async (refs: string[]) => {
      const { imageInspect } = await import('./inspect.js');
      await imageInspect(dataDir(), refs);
    });

  image
    .command('rm')
    .alias('remove')
    .description('remove image names (by ID: every name of it); `prune` then frees the space')
    .argument('<ref...>', 'image name or ID')
    .action(async (refs: string[]) => {
      const { imageRm } = await import('./rm.js');
      await imageRm(dataDir(), refs);
    });

  image
    .command('prune')
    .description('delete blobs and unpacked layers no image or container uses')
    .allowExcessArguments(false)
    .action(async () => {
      const { imagePrune } = await import('./prune.js');
      await imagePrune(dataDir());
    });

  image
    .command('import')
    .description('import images from an OCI archive or a docker archive (docker save, skopeo copy)')
    .argument('<file>', 'archive (.tar, or .tar.gz)')
    .allowExcessArguments(false)
    .action(async (file: string) => {
      const { imageImport } = await import('./import.js');
      await imageImport(dataDir(), file);
    });

  image
    .command('pull')
    .description('pull an image from a registry (OCI distribution API)')
    .argument('<ref>', 'image reference, e.g. docker.io/library/alpine:3.20 or 127.0.0.1:5000/x:1')
    .option('--insecure', 'use plain http (loopback registries always may)')
    .option('-u, --username <user>', 'registry user (env CORRAL_REGISTRY_USER)')
    .option('-p, --password <password>', 'registry password (env CORRAL_REGISTRY_PASSWORD)')
    .option(
      '--authfile <file>',
      'Docker-style auth file (default ~/.docker/config.json, env CORRAL_AUTH_FILE)',
    )
    .option('-q, --quiet', 'no progress output')
    .allowExcessArguments(false)
    .action(
      async (
        ref: string,
        o: { insecure?: boolean; username?: string; password?: string; authfile?: string; quiet?: boolean },
      ) => {
        const { imagePull } = await import('./pull.js');
        await imagePull(dataDir(), ref, o);
      },
    );
}
