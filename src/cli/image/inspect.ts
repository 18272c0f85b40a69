// `corral image inspect REF…`: the image records (names, digests, layers, config) as a JSON array.
import { ImageStore } from '../../image/index.js';

export async function imageInspect(dataDir: string, refs: string[]): Promise<void> {
  const store = new ImageStore(dataDir);
  const out = [];
  for (const ref of refs) {
    const img = await store.resolve(ref);
    out.push({
      Id: img.configDigest,
      Digest: img.digest,
      Names: img.names,
      Created: img.created,
      Size: img.size,
      Architecture: img.config.architecture,
      Os: img.config.os,
      Config: img.config.config ?? {},
      RootFS: img.config.rootfs,
      History: img.config.history,
      Manifest: store.manifestOf(img),
    });
  }
  process.stdout.write(JSON.stringify(out, null, 2) + '\n');
}
