// The config.json `corral-oci spec` writes: runc's template (`runc spec`) with podman's default
// capabilities and seccomp profile, so `spec` + a rootfs gives what `podman run` would.
import type { Spec } from '../spec.js';
import { OCI_VERSION } from '../spec.js';
import { DEFAULT_CAPS } from './capabilities.js';
import { defaultSeccomp } from './seccomp.js';

export const DEFAULT_MASKED_PATHS = [
  '/proc/acpi',
  '/proc/asound',
  '/proc/interrupts',
  '/proc/kcore',
  '/proc/keys',
  '/proc/latency_stats',
  '/proc/timer_list',
  '/proc/timer_stats',
  '/proc/sched_debug',
  '/proc/scsi',
  '/sys/firmware',
  '/sys/fs/selinux',
  '/sys/dev/block',
];

export const DEFAULT_READONLY_PATHS = [
  '/proc/bus',
  '/proc/fs',
  '/proc/irq',
  '/proc/sys',
  '/proc/sysrq-trigger',
];

export const DEFAULT_ENV = [
  'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
  'TERM=xterm',
];

export interface TemplateOptions {
  args?: string[];
  terminal?: boolean;
  /** Like `runc spec --rootless`: a user namespace mapping root to `hostUid`/`hostGid`, no cgroup limits. */
  rootless?: { hostUid: number; hostGid: number };
  hostname?: string;
}

export function defaultSpec(o: TemplateOptions = {}): Spec {
  const caps = [...DEFAULT_CAPS];
  const spec: Spec = {
    ociVersion: OCI_VERSION,
    process: {
      terminal: o.terminal ?? true,
      user: { uid: 0, gid: 0 },
      args: o.args ?? ['sh'],
      env: [...DEFAULT_ENV],
      cwd: '/',
      capabilities: { bounding: caps, effective: caps, permitted: caps },
      rlimits: [{ type: 'RLIMIT_NOFILE', hard: 1024, soft: 1024 }],
      noNewPrivileges: true,
    },
    root: { path: 'rootfs', readonly: true },
    hostname: o.hostname ?? 'corral',
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
      resources: { devices: [{ allow: false, access: 'rwm' }] },
      namespaces: [{ type: 'pid' }, { type: 'network' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }],
      seccomp: defaultSeccomp(caps),
      maskedPaths: [...DEFAULT_MASKED_PATHS],
      readonlyPaths: [...DEFAULT_READONLY_PATHS],
    },
  };
  if (o.rootless) {
    const l = spec.linux!;
    l.namespaces!.push({ type: 'user' });
    l.uidMappings = [{ containerID: 0, hostID: o.rootless.hostUid, size: 1 }];
    l.gidMappings = [{ containerID: 0, hostID: o.rootless.hostGid, size: 1 }];
    delete l.resources;
    // sysfs cannot be mounted in a user namespace without its own netns ownership; bind it like runc.
    spec.mounts = spec.mounts!.filter((m) => m.type !== 'cgroup' && m.destination !== '/sys');
    spec.mounts.push({
      destination: '/sys',
      type: 'none',
      source: '/sys',
      options: ['rbind', 'nosuid', 'noexec', 'nodev', 'ro'],
    });
    spec.mounts = spec.mounts.map((m) =>
      m.type === 'devpts' ? { ...m, options: (m.options ?? []).filter((x) => x !== 'gid=5') } : m,
    );
  }
  return spec;
}
