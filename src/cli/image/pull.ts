// `corral image pull REF`: with a one-line progress bar when stderr is a terminal.
import { ImageStore, familiarName, type PullProgress } from '../../image/index.js';
import { humanSize } from './format.js';

export async function imagePull(
  dataDir: string,
  ref: string,
  o: { insecure?: boolean; username?: string; password?: string; authfile?: string; quiet?: boolean },
): Promise<void> {
  const tty = !o.quiet && process.stderr.isTTY;
  let last = 0;
  const onProgress = (p: PullProgress): void => {
    const now = Date.now();
    if (now - last < 100 && p.layersDone < p.layers) return;
    last = now;
    const frac = p.totalBytes ? Math.min(1, p.bytes / p.totalBytes) : 1;
    const width = 30;
    const bar = '#'.repeat(Math.round(frac * width)).padEnd(width, '.');
    process.stderr.write(
      `\r${familiarName(ref)} [${bar}] ${humanSize(Math.min(p.bytes, p.totalBytes))}/${humanSize(p.totalBytes)} layers ${p.layersDone}/${p.layers}\x1b[K`,
    );
  };
  try {
    const img = await new ImageStore(dataDir).pull(ref, {
      insecure: o.insecure,
      username: o.username,
      password: o.password,
      authFile: o.authfile,
      onProgress: tty ? onProgress : undefined,
    });
    if (tty) process.stderr.write('\n');
    process.stdout.write(`${familiarName(img.ref)}: ${img.digest}\n`);
  } catch (e) {
    if (tty) process.stderr.write('\n');
    throw e;
  }
}
