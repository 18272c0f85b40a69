// `corral image import FILE`: OCI archives and docker archives.
import { ImageStore, familiarName } from '../../image/index.js';
import { shortId } from './format.js';

export async function imageImport(dataDir: string, file: string): Promise<void> {
  const images = await new ImageStore(dataDir).import(file);
  for (const img of images)
    process.stdout.write(
      `Imported ${img.names.length ? img.names.map(familiarName).join(', ') : '<none>'} (${shortId(img.configDigest)})\n`,
    );
}
