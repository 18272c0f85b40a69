// The built-in root filesystem: the host's busybox-static with its applets linked, plus the
// files a container expects (/etc/passwd, /etc/group, empty mount points). The image store will
// package this as a real OCI layer; the runtime's quick start and tests use it as a bundle rootfs.
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { joinClean } from '../util/join-clean.js';

export const HOST_BUSYBOX = '/bin/busybox';

const DIRS = ['bin', 'etc', 'proc', 'sys', 'dev', 'tmp', 'root', 'home', 'var', 'run', 'usr/bin', 'sbin'];

export class BusyboxMissingError extends Error {
  constructor(path: string) {
    super(`${path} not found: install Debian's busybox-static (npm run setup does it)`);
  }
}

/** Build a busybox rootfs in `dir` (created if missing) and return `dir`. */
export function makeBusyboxRootfs(dir: string, busybox = HOST_BUSYBOX): string {
  if (!existsSync(busybox)) throw new BusyboxMissingError(busybox);
  for (const d of DIRS) mkdirSync(joinClean(dir, d), { recursive: true });
  chmodSync(joinClean(dir, 'tmp'), 0o1777);
  copyFileSync(busybox, joinClean(dir, 'bin/busybox'));
  chmodSync(joinClean(dir, 'bin/busybox'), 0o755);
  const applets = execFileSync(busybox, ['--list'], { encoding: 'utf8' }).split('\n');
  for (const a of applets) {
    if (!a || a === 'busybox' || existsSync(joinClean(dir, 'bin', a))) continue;
    symlinkSync('busybox', joinClean(dir, 'bin', a));
  }
  writeFileSync(
    joinClean(dir, 'etc/passwd'),
    'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/home:/bin/false\n',
  );
  writeFileSync(joinClean(dir, 'etc/group'), 'root:x:0:\nnogroup:x:65534:\n');
  return dir;
}
