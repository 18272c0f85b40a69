// crun 1.8 on this machine's hybrid cgroup layout fails with "cgroups in hybrid mode not
// supported, drop all controllers from cgroupv2" (hugetlb is attached to the cgroup2 mount at
// /sys/fs/cgroup/unified). crun decides the mode from what is mounted, so it works (in legacy v1
// mode, like runc's view of the controllers) when /sys/fs/cgroup/unified is unmounted in a
// private mount namespace. Two ways, both measured by the bench so their cost can be subtracted:
//  - per call: `unshare -m sh -c 'umount /sys/fs/cgroup/unified && exec crun "$@"'`; what podman
//    gets as --runtime (conmon needs one executable path), and it sees mounts made after start
//    (podman's overlay rootfs);
//  - a held namespace: one `unshare -m` process keeps a namespace without the cgroup2 mount, and
//    each crun call is `nsenter --mount=/proc/<pid>/ns/mnt crun ...` (cheaper: no namespace copy,
//    no shell). nsenter chdirs to the namespace root, so pass absolute paths.
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { crunNeedsUnifiedUnmounted } from './cgroup.js';

export const CRUN = '/usr/bin/crun';
export const RUNC = '/usr/sbin/runc';
const UNIFIED = '/sys/fs/cgroup/unified';

/** Write an executable that runs crun with the workaround when this host needs it. */
export function writeCrunWrapper(path: string, crun = CRUN): string {
  const body = crunNeedsUnifiedUnmounted()
    ? `exec unshare -m --propagation private sh -c 'umount ${UNIFIED} && exec ${crun} "$@"' crun "$@"`
    : `exec ${crun} "$@"`;
  writeFileSync(path, `#!/bin/sh\n# crun; see test/peers/crun.ts for why\n${body}\n`, { mode: 0o755 });
  return path;
}

/** A process holding a mount namespace where /sys/fs/cgroup/unified is not mounted. */
export class UnifiedlessMountNs {
  private constructor(private readonly child: ChildProcess) {}

  get pid(): number {
    return this.child.pid!;
  }

  /** argv prefix that runs a program inside the namespace. */
  enterArgv(): string[] {
    return ['nsenter', `--mount=/proc/${this.pid}/ns/mnt`, '--'];
  }

  static async start(): Promise<UnifiedlessMountNs> {
    // `cat` ends when our end of its stdin closes, so the holder cannot outlive this process.
    const child = spawn(
      'unshare',
      [
        '-m',
        '--propagation',
        'private',
        'sh',
        '-c',
        `umount ${UNIFIED} && echo ready && exec cat >/dev/null`,
      ],
      { stdio: ['pipe', 'pipe', 'pipe'] },
    );
    let out = '';
    let err = '';
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
    await new Promise<void>((resolve, reject) => {
      child.stdout!.setEncoding('utf8').on('data', (d: string) => {
        out += d;
        if (out.includes('ready')) resolve();
      });
      child.on('error', reject);
      child.on('exit', (code) => reject(new Error(`mount namespace holder exited ${code}: ${err.trim()}`)));
    });
    return new UnifiedlessMountNs(child);
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((r) => this.child.once('exit', r));
    this.child.stdin!.end();
    const t = setTimeout(() => this.child.kill('SIGKILL'), 2000);
    await exited;
    clearTimeout(t);
  }
}

/** argv to run crun directly here: via a held namespace when the host needs the workaround. */
export function crunArgv(ns: UnifiedlessMountNs | undefined, crun = CRUN): string[] {
  return ns ? [...ns.enterArgv(), crun] : [crun];
}
