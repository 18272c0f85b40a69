// `corral image rm REF…`: untag; the blobs and layers are freed by `corral image prune`.
import { ImageStore } from '../../image/index.js';

export async function imageRm(dataDir: string, refs: string[]): Promise<void> {
  const store = new ImageStore(dataDir);
  for (const ref of refs) {
    await store.remove(ref);
    process.stdout.write(`Untagged: ${ref}\n`);
  }
}
