// `corral image prune`: delete what no image, pull in progress or container uses.
import { ImageStore } from '../../image/index.js';
import { humanSize } from './format.js';

export async function imagePrune(dataDir: string): Promise<void> {
  const r = await new ImageStore(dataDir).prune();
  process.stdout.write(
    `Deleted ${r.blobs} blobs and ${r.layers} unpacked layers, ${humanSize(r.bytes)} freed\n`,
  );
}
