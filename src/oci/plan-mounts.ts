// The mount part of a create plan (native/PLAN.md): the config's mounts (cgroup mounts per
// cgroup version, binds relative to the bundle), a root filesystem given as a mount, and the
// default device nodes. Pure, like plan-builder.ts.
import { isAbsolute, resolve } from 'node:path';
import type { PlanRecord } from '../kernel/plan/plan.js';
import { OciError } from './errors.js';
import { MS, parseMountOptions } from './mappings/mount-options.js';
import { DEFAULT_DEV_SYMLINKS, containerDevices } from './devices.js';
import type { Mount, NamespaceKind, Spec } from './spec.js';
import { joinClean } from '../util/join-clean.js';

export interface CgroupMountInfo {
  mode: 'v1' | 'v2';
  /** Controller name (`memory`, `cpu,cpuacct`, `unified`...) → the container's host cgroup directory. */
  dirs: Record<string, string>;
}

export interface MountPlanOptions {
  /** Absolute bundle directory (relative bind sources are relative to it). */
  bundle: string;
  cgroup?: CgroupMountInfo;
}

export function hasNs(spec: Spec, kind: NamespaceKind): { path?: string } | undefined {
  return spec.linux?.namespaces?.find((n) => n.type === kind);
}

function cgroupMountRecords(m: Mount, i: number, o: MountPlanOptions, newCgroupNs: boolean): PlanRecord[] {
  const { flags, propagation } = parseMountOptions(m.options);
  const base = flags & ~(MS.BIND | MS.REC);
  if (!o.cgroup)
    throw new OciError('a cgroup mount needs the container cgroup (no cgroup driver)', `mounts[${i}]`);
  if (o.cgroup.mode === 'v2') {
    if (newCgroupNs) {
      return [
        {
          op: 'mount',
          source: 'cgroup2',
          target: m.destination,
          fstype: 'cgroup2',
          flags: base,
          propagation,
          data: '',
        },
      ];
    }
    const dir = Object.values(o.cgroup.dirs)[0]!;
    return [
      {
        op: 'mount',
        source: dir,
        target: m.destination,
        fstype: 'bind',
        flags: base | MS.BIND | MS.REC,
        propagation,
        data: '',
      },
    ];
  }
  // v1: a tmpfs with one bind per hierarchy of the container's own cgroup (like runc without cgroupns).
  const out: PlanRecord[] = [
    {
      op: 'mount',
      source: 'tmpfs',
      target: m.destination,
      fstype: 'tmpfs',
      flags: MS.NOSUID | MS.NODEV | MS.NOEXEC,
      propagation: 0,
      data: 'mode=755',
    },
  ];
  for (const [name, dir] of Object.entries(o.cgroup.dirs)) {
    out.push({
      op: 'mount',
      source: dir,
      target: joinClean(m.destination, name),
      fstype: 'bind',
      flags: base | MS.BIND | MS.REC,
      propagation,
      data: '',
    });
    if (name.includes(',')) {
      for (const alias of name.split(','))
        out.push({ op: 'symlink', target: name, linkpath: joinClean(m.destination, alias) });
    }
  }
  if (flags & MS.RDONLY) {
    out.push({ op: 'readonly-path', path: m.destination });
  }
  return out;
}

export function mountRecords(spec: Spec, o: MountPlanOptions): PlanRecord[] {
  const out: PlanRecord[] = [];
  const newUser = !!hasNs(spec, 'user');
  const newNet = !!hasNs(spec, 'network') && !hasNs(spec, 'network')!.path;
  const newCgroupNs = !!hasNs(spec, 'cgroup');
  for (const [i, m] of (spec.mounts ?? []).entries()) {
    if (isRootMount(m)) continue; // rootfsMountRecord
    if (m.uidMappings?.length || m.gidMappings?.length) {
      throw new OciError('id-mapped mounts are not supported', `mounts[${i}].uidMappings`);
    }
    const opts = parseMountOptions(m.options);
    const isBind = m.type === 'bind' || (opts.flags & MS.BIND) !== 0;
    if (m.type === 'cgroup' || m.type === 'cgroup2') {
      out.push(...cgroupMountRecords(m, i, o, newCgroupNs));
      continue;
    }
    if (isBind) {
      if (!m.source) throw new OciError('a bind mount needs a source', `mounts[${i}].source`);
      const source = isAbsolute(m.source) ? m.source : resolve(o.bundle, m.source);
      out.push({
        op: 'mount',
        source,
        target: m.destination,
        fstype: 'bind',
        flags: opts.flags | MS.BIND,
        propagation: opts.propagation,
        data: '',
      });
      continue;
    }
    if (!m.type)
      throw new OciError('must name the filesystem type (or use the "bind" option)', `mounts[${i}].type`);
    if (m.type === 'sysfs' && newUser && !newNet) {
      // The kernel refuses sysfs in a user namespace that does not own the network namespace.
      out.push({
        op: 'mount',
        source: '/sys',
        target: m.destination,
        fstype: 'bind',
        flags: (opts.flags | MS.BIND | MS.REC) & ~MS.REMOUNT,
        propagation: opts.propagation,
        data: '',
      });
      continue;
    }
    out.push({
      op: 'mount',
      source: m.source ?? m.type,
      target: m.destination,
      fstype: m.type,
      flags: opts.flags,
      propagation: opts.propagation,
      data: opts.data,
    });
  }
  return out;
}

const isRootMount = (m: Mount): boolean => m.destination.replace(/\/+$/, '') === '';

/**
 * A mount at `/` is the root filesystem itself (an overlay over image layers): the helper mounts
 * it onto root.path in the container's new mount namespace, so the host never has it mounted and
 * nothing is left to unmount when the container is gone. Only a filesystem (no bind), only once.
 */
export function rootfsMountRecord(spec: Spec): PlanRecord[] {
  const all = (spec.mounts ?? []).map((m, i) => [m, i] as const).filter(([m]) => isRootMount(m));
  if (all.length === 0) return [];
  const [m, i] = all[0]!;
  const p = `mounts[${i}]`;
  if (all.length > 1) throw new OciError('only one mount may have destination "/"', `mounts[${all[1]![1]}]`);
  const opts = parseMountOptions(m.options);
  if (m.type === 'bind' || opts.flags & MS.BIND)
    throw new OciError('the root filesystem cannot be a bind mount: use root.path', p);
  if (!m.type) throw new OciError('must name the filesystem type of the root filesystem', `${p}.type`);
  if (opts.flags || opts.propagation)
    throw new OciError(
      'flags of the root filesystem belong in root.readonly, not in its options',
      `${p}.options`,
    );
  if (hasNs(spec, 'mount')?.path)
    throw new OciError('a root filesystem mount needs a new mount namespace (not a joined one)', p);
  return [{ op: 'rootfs-mount', source: m.source ?? m.type, fstype: m.type, data: opts.data }];
}

export function deviceRecords(spec: Spec): PlanRecord[] {
  // A bind-mounted /dev comes with its own nodes (runc's needsSetupDev).
  const devBound = (spec.mounts ?? []).some(
    (m) =>
      m.destination.replace(/\/+$/, '') === '/dev' &&
      (m.type === 'bind' || parseMountOptions(m.options).flags & MS.BIND),
  );
  if (devBound) return [];
  const inUserNs = !!hasNs(spec, 'user');
  const out: PlanRecord[] = [];
  for (const d of containerDevices(spec.linux?.devices)) {
    if (inUserNs) {
      out.push({ op: 'device-bind', path: d.path });
    } else {
      out.push({
        op: 'device',
        path: d.path,
        type: d.type,
        major: d.major ?? 0,
        minor: d.minor ?? 0,
        mode: d.fileMode ?? 0o666,
        uid: d.uid ?? 0,
        gid: d.gid ?? 0,
      });
    }
  }
  for (const [target, link] of DEFAULT_DEV_SYMLINKS) out.push({ op: 'symlink', target, linkpath: link });
  return out;
}
