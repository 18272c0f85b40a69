// An OCI bundle that every runtime (corral-oci, crun, runc) accepts: the config `runc spec`
// writes (runc 1.1.5), with no terminal, the given args and a cgroupsPath below our own cgroup
// (see cgroup.ts). Written out in full rather than generated so it is the same wherever runc is
// missing or another version.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeBusyboxRootfs } from '../support/busybox-rootfs.js';

export interface BenchBundleOptions {
  /** Absolute linux.cgroupsPath; must be below our own cgroup in every hierarchy. */
  cgroupsPath: string;
  /** process.args; default ['true']. */
  args?: string[];
  /** root.path; default `<dir>/rootfs`, made from busybox when missing. Share one between bundles. */
  rootfs?: string;
  hostname?: string;
  /** Namespaces to create; default runc spec's: pid, network, ipc, uts, mount. */
  namespaces?: string[];
  /**
   * Include runc spec's ambient capabilities (default true). They are not in the inheritable
   * set, so the kernel refuses to raise them; runc and crun go on, a stricter runtime may not.
   */
  ambient?: boolean;
}

const CAPS = ['CAP_AUDIT_WRITE', 'CAP_KILL', 'CAP_NET_BIND_SERVICE'];

export function benchConfig(opts: BenchBundleOptions & { rootfs: string }): object {
  return {
    ociVersion: '1.0.2-dev',
    process: {
      terminal: false,
      user: { uid: 0, gid: 0 },
      args: opts.args ?? ['true'],
      env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'TERM=xterm'],
      cwd: '/',
      capabilities: {
        bounding: CAPS,
        effective: CAPS,
        permitted: CAPS,
        ...(opts.ambient === false ? {} : { ambient: CAPS }),
      },
      rlimits: [{ type: 'RLIMIT_NOFILE', hard: 1024, soft: 1024 }],
      noNewPrivileges: true,
    },
    root: { path: opts.rootfs, readonly: true },
    hostname: opts.hostname ?? 'bench',
    mounts: [
      { destination: '/proc', type: 'proc', source: 'proc' },
      {
        destination: '/dev',
        type: 'tmpfs',
        source: 'tmpfs',
        options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'],
      },
      {
        destination: '/dev/pts',
        type: 'devpts',
        source: 'devpts',
        options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'],
      },
      {
        destination: '/dev/shm',
        type: 'tmpfs',
        source: 'shm',
        options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=65536k'],
      },
      {
        destination: '/dev/mqueue',
        type: 'mqueue',
        source: 'mqueue',
        options: ['nosuid', 'noexec', 'nodev'],
      },
      { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
      {
        destination: '/sys/fs/cgroup',
        type: 'cgroup',
        source: 'cgroup',
        options: ['nosuid', 'noexec', 'nodev', 'relatime', 'ro'],
      },
    ],
    linux: {
      cgroupsPath: opts.cgroupsPath,
      resources: { devices: [{ allow: false, access: 'rwm' }] },
      namespaces: (opts.namespaces ?? ['pid', 'network', 'ipc', 'uts', 'mount']).map((type) => ({ type })),
      maskedPaths: [
        '/proc/acpi',
        '/proc/asound',
        '/proc/kcore',
        '/proc/keys',
        '/proc/latency_stats',
        '/proc/timer_list',
        '/proc/timer_stats',
        '/proc/sched_debug',
        '/sys/firmware',
        '/proc/scsi',
      ],
      readonlyPaths: ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'],
    },
  };
}

/** Write `<dir>/config.json` (and `<dir>/rootfs` unless opts.rootfs is given). Returns dir. */
export function makeBenchBundle(dir: string, opts: BenchBundleOptions): string {
  mkdirSync(dir, { recursive: true });
  const rootfs = opts.rootfs ?? join(dir, 'rootfs');
  if (!existsSync(join(rootfs, 'bin/busybox'))) makeBusyboxRootfs(rootfs);
  writeFileSync(join(dir, 'config.json'), JSON.stringify(benchConfig({ ...opts, rootfs }), null, 2) + '\n');
  return dir;
}
