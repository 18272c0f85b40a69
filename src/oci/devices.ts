// Default devices every container gets (runtime-spec config-linux.md "Default Devices") and the
// device-cgroup rules that let the container use them (like runc's AllowedDevices).
import type { DeviceRule } from '../kernel/cgroup/types.js';
import type { Device } from './spec.js';

export const DEFAULT_DEVICES: Required<Device>[] = [
  { path: '/dev/null', type: 'c', major: 1, minor: 3, fileMode: 0o666, uid: 0, gid: 0 },
  { path: '/dev/zero', type: 'c', major: 1, minor: 5, fileMode: 0o666, uid: 0, gid: 0 },
  { path: '/dev/full', type: 'c', major: 1, minor: 7, fileMode: 0o666, uid: 0, gid: 0 },
  { path: '/dev/random', type: 'c', major: 1, minor: 8, fileMode: 0o666, uid: 0, gid: 0 },
  { path: '/dev/urandom', type: 'c', major: 1, minor: 9, fileMode: 0o666, uid: 0, gid: 0 },
  { path: '/dev/tty', type: 'c', major: 5, minor: 0, fileMode: 0o666, uid: 0, gid: 0 },
];

/** [target, linkpath] */
export const DEFAULT_DEV_SYMLINKS: [string, string][] = [
  ['/proc/self/fd', '/dev/fd'],
  ['/proc/self/fd/0', '/dev/stdin'],
  ['/proc/self/fd/1', '/dev/stdout'],
  ['/proc/self/fd/2', '/dev/stderr'],
  ['pts/ptmx', '/dev/ptmx'],
];

/** Always-allowed device rules, appended after the spec's own rules (last match wins). */
export const DEFAULT_DEVICE_RULES: DeviceRule[] = [
  { allow: true, type: 'c', major: -1, minor: -1, access: 'm' },
  { allow: true, type: 'b', major: -1, minor: -1, access: 'm' },
  ...DEFAULT_DEVICES.map((d) => ({
    allow: true,
    type: 'c' as const,
    major: d.major,
    minor: d.minor,
    access: 'rwm',
  })),
  { allow: true, type: 'c', major: 5, minor: 2, access: 'rwm' }, // /dev/ptmx
  { allow: true, type: 'c', major: 136, minor: -1, access: 'rwm' }, // /dev/pts/*
  { allow: true, type: 'c', major: 5, minor: 1, access: 'rwm' }, // /dev/console
];

/** The spec's devices merged over the defaults (a spec entry for the same path wins). */
export function containerDevices(spec: Device[] | undefined): Device[] {
  const byPath = new Map<string, Device>();
  for (const d of DEFAULT_DEVICES) byPath.set(d.path, d);
  for (const d of spec ?? []) byPath.set(d.path, d);
  return [...byPath.values()];
}

/** The device cgroup rules for a container: spec rules, then defaults and the spec's devices allowed. */
export function deviceRules(
  specRules: DeviceRule[] | undefined,
  devices: Device[] | undefined,
): DeviceRule[] {
  const extra = (devices ?? [])
    .filter((d) => d.type === 'c' || d.type === 'b' || d.type === 'u')
    .map((d) => ({
      allow: true,
      type: (d.type === 'b' ? 'b' : 'c') as 'b' | 'c',
      major: d.major,
      minor: d.minor,
      access: 'rwm',
    }));
  return [...(specRules ?? []), ...DEFAULT_DEVICE_RULES, ...extra];
}
