// Test fixture: a temporary bundle directory whose rootfs is the built-in busybox rootfs.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeBusyboxRootfs } from '../../src/image/busybox-rootfs.js';

export { makeBusyboxRootfs };

/** A temporary directory with `rootfs/` inside, and a function that removes it all. */
export function tempBundleDir(prefix = 'corral-test-'): { dir: string; rootfs: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const rootfs = makeBusyboxRootfs(join(dir, 'rootfs'));
  return { dir, rootfs, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
