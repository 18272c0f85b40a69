// Content digests: every blob and layer is named by the sha256 of its bytes, and every byte the
// store keeps has been hashed on the way in.
import { crypto } from './crypto.js';
import { ImageError } from './errors.js';

const DIGEST = /^sha256:[a-f0-9]{64}$/;

export function isDigest(s: string): boolean {
  return DIGEST.test(s);
}

/** The hex part of a sha256 digest; refuses anything else (it becomes a file name). */
export function digestHex(d: string, what = 'digest'): string {
  if (!DIGEST.test(d)) throw new ImageError(`${what} "${d}" is not a sha256 digest (sha256:<64 hex digits>)`);
  return d.slice(7);
}

export function sha256(data: Buffer | string): string {
  return 'sha256:' + crypto().createHash('sha256').update(data).digest('hex');
}
