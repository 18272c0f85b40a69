// Test fixture: a minimal root filesystem made of the host's busybox-static, with the applets
// linked, /etc/passwd and /etc/group, and the directories a container expects.
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const BUSYBOX = '/bin/busybox';

let applets: string[] | undefined;
function busyboxApplets(): string[] {
  applets ??= execFileSync(BUSYBOX, ['--list'], { encoding: 'utf8' }).split('\n').filter(Boolean);
  return applets;
}

/** Build a busybox rootfs in `dir` (created if missing). */
export function makeBusyboxRootfs(dir: string): string {
  for (const d of [
    'bin',
    'etc',
    'proc',
    'sys',
    'dev',
    'tmp',
    'root',
    'home',
    'var',
    'run',
    'usr/bin',
    'sbin',
  ]) {
    mkdirSync(join(dir, d), { recursive: true });
  }
  chmodSync(join(dir, 'tmp'), 0o1777);
  copyFileSync(BUSYBOX, join(dir, 'bin/busybox'));
  chmodSync(join(dir, 'bin/busybox'), 0o755);
  for (const a of busyboxApplets()) {
    if (a === 'busybox') continue;
    try {
      symlinkSync('busybox', join(dir, 'bin', a));
    } catch {
      /* duplicate applet name */
    }
  }
  writeFileSync(
    join(dir, 'etc/passwd'),
    'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/home:/bin/false\n',
  );
  writeFileSync(join(dir, 'etc/group'), 'root:x:0:\nnogroup:x:65534:\n');
  return dir;
}

/** A temporary directory with `rootfs/` inside, and a function that removes it all. */
export function tempBundleDir(prefix = 'corral-test-'): { dir: string; rootfs: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const rootfs = makeBusyboxRootfs(join(dir, 'rootfs'));
  return { dir, rootfs, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
