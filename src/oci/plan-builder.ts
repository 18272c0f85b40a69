// OCI config → plan (native/PLAN.md). Pure: no file system access, so it is unit-testable without
// root; the runtime checks paths and compiles seccomp before calling it.
import { isAbsolute, resolve } from 'node:path';
import type { CapabilitySet, HookSpec, NamespaceType, Plan, PlanRecord } from '../kernel/plan/plan.js';
import { OciError } from './errors.js';
import { capMask } from './mappings/capabilities.js';
import { MS, PROPAGATION } from './mappings/mount-options.js';
import { JOIN_ORDER, NS_TYPE } from './mappings/namespaces.js';
import { RLIMITS, rlimitValue } from './mappings/rlimits.js';
import { relayRecord } from './terminal.js';
import {
  deviceRecords,
  hasNs,
  mountRecords,
  rootfsMountRecord,
  type CgroupMountInfo,
  type MountPlanOptions,
} from './plan-mounts.js';
import type { Hook, Process, Spec } from './spec.js';

export interface ProcessPlanOptions {
  consoleSocket?: string;
  preserveFds?: number;
  /** false: the helper stays, reaps the process and exits with its status. */
  detached: boolean;
  exitStatusFile?: string;
  /** Compiled seccomp BPF (from src/kernel/seccomp). */
  seccompBpf?: string;
  /** Whether the process should get the caller's terminal (terminal:true without a console socket). */
  allowTerminalWithoutSocket?: boolean;
  /** terminal:true without a console socket: a pty of its own, relayed by the helper (see terminal.ts). */
  terminalRelay?: { stdin: boolean };
}

export type { CgroupMountInfo };

export interface CreatePlanOptions extends ProcessPlanOptions, MountPlanOptions {
  /** Absolute bundle directory (relative root.path and bind sources are relative to it). */
  bundle: string;
  execFifo?: string;
  noPivot?: boolean;
  cgroup?: CgroupMountInfo;
  /** The cgroup.procs files the helper puts the process in when the cgroup is made (its `go`). */
  cgroupProcs?: { path: string; required: boolean }[];
}

export interface ExecPlanOptions extends ProcessPlanOptions {
  /** Host PID of the container's init. */
  initPid: number;
  /** The container's config (for the namespaces to join and defaults). */
  spec: Spec;
}

const SECCOMP_FLAGS: Record<string, number> = {
  SECCOMP_FILTER_FLAG_TSYNC: 1,
  SECCOMP_FILTER_FLAG_LOG: 2,
  SECCOMP_FILTER_FLAG_SPEC_ALLOW: 4,
  SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV: 32,
};

const NS_FILE: Record<NamespaceType, string> = {
  user: 'user',
  mnt: 'mnt',
  pid: 'pid',
  net: 'net',
  ipc: 'ipc',
  uts: 'uts',
  cgroup: 'cgroup',
  time: 'time',
};

function hookSpec(h: Hook): HookSpec {
  return { path: h.path, args: h.args ?? [h.path], env: h.env ?? [], timeoutSecs: h.timeout ?? 0 };
}

export function rootfsPath(spec: Spec, bundle: string): string {
  const p = spec.root!.path;
  return isAbsolute(p) ? p : resolve(bundle, p);
}

function namespaceRecords(spec: Spec): PlanRecord[] {
  const nss = spec.linux?.namespaces ?? [];
  const joins = nss
    .filter((n) => n.path)
    .map((n) => ({ op: 'ns-join' as const, type: NS_TYPE[n.type], path: n.path! }))
    .sort((a, b) => JOIN_ORDER.indexOf(a.type) - JOIN_ORDER.indexOf(b.type));
  const news = nss.filter((n) => !n.path).map((n) => ({ op: 'ns-new' as const, type: NS_TYPE[n.type] }));
  const out: PlanRecord[] = [...joins, ...news];
  const user = hasNs(spec, 'user');
  if (user && !user.path) {
    const l = spec.linux!;
    if (!l.uidMappings?.length || !l.gidMappings?.length) {
      throw new OciError('a new user namespace needs uidMappings and gidMappings', 'linux.uidMappings');
    }
    for (const m of l.uidMappings)
      out.push({ op: 'uidmap', containerId: m.containerID, hostId: m.hostID, size: m.size });
    out.push({ op: 'setgroups', value: 'allow' });
    for (const m of l.gidMappings)
      out.push({ op: 'gidmap', containerId: m.containerID, hostId: m.hostID, size: m.size });
  }
  const time = hasNs(spec, 'time');
  if (time && !time.path) {
    for (const clock of ['monotonic', 'boottime'] as const) {
      const o = spec.linux?.timeOffsets?.[clock];
      if (o) out.push({ op: 'timens-offset', clock, secs: o.secs ?? 0, nsecs: o.nanosecs ?? 0 });
    }
  } else if (spec.linux?.timeOffsets && time?.path) {
    throw new OciError('cannot set offsets when joining an existing time namespace', 'linux.timeOffsets');
  }
  return out;
}

function parentRecords(spec: Spec, process: Process, o: ProcessPlanOptions): PlanRecord[] {
  const out: PlanRecord[] = [{ op: 'detach', value: o.detached }];
  if (!o.detached && o.exitStatusFile) out.push({ op: 'exit-status-file', path: o.exitStatusFile });
  const sc = spec.linux?.seccomp;
  if (sc) {
    if (sc.listenerPath)
      throw new OciError('seccomp notify (listenerPath) is not supported', 'linux.seccomp.listenerPath');
    if (!o.seccompBpf) throw new OciError('seccomp profile was not compiled', 'linux.seccomp');
    out.push({ op: 'seccomp-bpf', path: o.seccompBpf });
    let flags = 0;
    for (const [i, f] of (sc.flags ?? []).entries()) {
      const v = SECCOMP_FLAGS[f];
      if (v === undefined) throw new OciError(`unknown flag "${f}"`, `linux.seccomp.flags[${i}]`);
      flags |= v;
    }
    if (flags) out.push({ op: 'seccomp-flags', flags });
  }
  void process;
  return out;
}

/** The records that set up the process itself (shared by create and exec). */
function processRecords(process: Process, o: ProcessPlanOptions, path = 'process'): PlanRecord[] {
  const out: PlanRecord[] = [];
  for (const r of process.rlimits ?? []) {
    out.push({
      op: 'rlimit',
      resource: RLIMITS[r.type]!,
      soft: rlimitValue(r.soft),
      hard: rlimitValue(r.hard),
    });
  }
  if (process.terminal) {
    if (o.consoleSocket) out.push({ op: 'console-socket', path: o.consoleSocket });
    else if (o.terminalRelay) {
      if (o.detached)
        throw new OciError(
          'a relayed terminal needs a foreground process (detached false)',
          `${path}.terminal`,
        );
      out.push(relayRecord(process, o.terminalRelay.stdin));
    } else if (!o.allowTerminalWithoutSocket) {
      throw new OciError(
        'needs --console-socket (a terminal is requested and the container is detached)',
        `${path}.terminal`,
      );
    }
  } else if (o.consoleSocket) {
    throw new OciError('--console-socket is only valid when process.terminal is true', `${path}.terminal`);
  }
  if (o.preserveFds) out.push({ op: 'preserve-fds', count: o.preserveFds });
  return out;
}

function userRecords(process: Process): PlanRecord[] {
  const out: PlanRecord[] = [
    { op: 'groups', gids: process.user?.additionalGids ?? [] },
    { op: 'user', uid: process.user?.uid ?? 0, gid: process.user?.gid ?? 0 },
    { op: 'umask', mask: process.user?.umask ?? 0o022 },
    { op: 'cwd', path: process.cwd || '/' },
  ];
  const caps = process.capabilities;
  if (caps) {
    for (const set of ['bounding', 'effective', 'permitted', 'inheritable'] as CapabilitySet[]) {
      out.push({ op: 'caps', set, mask: capMask(caps[set]) });
    }
    // The kernel raises an ambient capability only when it is both permitted and inheritable;
    // like runc and crun, the others are left out instead of failing the container.
    const ambient = capMask(caps.ambient) & capMask(caps.permitted) & capMask(caps.inheritable);
    out.push({ op: 'caps', set: 'ambient', mask: ambient });
  }
  if (process.noNewPrivileges) out.push({ op: 'no-new-privs' });
  for (const e of process.env ?? []) out.push({ op: 'env', value: e });
  for (const a of process.args) out.push({ op: 'arg', value: a });
  return out;
}

function sysctlRecords(spec: Spec): PlanRecord[] {
  const out: PlanRecord[] = [];
  const newNet = hasNs(spec, 'network');
  const newIpc = hasNs(spec, 'ipc');
  const newUts = hasNs(spec, 'uts');
  for (const [key, value] of Object.entries(spec.linux?.sysctl ?? {})) {
    const p = `linux.sysctl.${key}`;
    if (key.startsWith('net.') && !newNet) throw new OciError('needs a network namespace', p);
    if (
      (key.startsWith('kernel.msg') ||
        key.startsWith('kernel.sem') ||
        key.startsWith('kernel.shm') ||
        key.startsWith('fs.mqueue.')) &&
      !newIpc
    ) {
      throw new OciError('needs an ipc namespace', p);
    }
    if ((key === 'kernel.hostname' || key === 'kernel.domainname') && !newUts)
      throw new OciError('needs a uts namespace', p);
    out.push({ op: 'sysctl', key, value });
  }
  return out;
}

/** Annotation asking for `lo` to be up in a new network namespace. */
export const LOOPBACK_ANNOTATION = 'io.corral.network.loopback';

/**
 * Annotation (`true`) making the process a pod's pause: set up as configured, it then waits for
 * SIGTERM/SIGINT and reaps orphans (as the Kubernetes pause image) instead of exec'ing
 * process.args, which stay as a description.
 */
export const PAUSE_ANNOTATION = 'io.corral.process.pause';

const isPause = (spec: Spec): boolean => spec.annotations?.[PAUSE_ANNOTATION] === 'true';

/** The plan for `create`: a new container from its config. */
export function buildCreatePlan(spec: Spec, o: CreatePlanOptions): Plan {
  const process = spec.process;
  if (!process) throw new OciError('is required to create a container', 'process');
  if (!isAbsolute(o.bundle)) throw new OciError(`bundle path must be absolute (got "${o.bundle}")`);
  const plan: Plan = [...namespaceRecords(spec), ...parentRecords(spec, process, o)];
  for (const c of o.cgroupProcs ?? []) plan.push({ op: 'cgroup-procs', ...c });

  if (process.oomScoreAdj !== undefined) plan.push({ op: 'oom-score-adj', value: process.oomScoreAdj });
  if (spec.hostname !== undefined) {
    if (!hasNs(spec, 'uts')) throw new OciError('needs a uts namespace in linux.namespaces', 'hostname');
    plan.push({ op: 'hostname', name: spec.hostname });
  }
  if (spec.domainname !== undefined) {
    if (!hasNs(spec, 'uts')) throw new OciError('needs a uts namespace in linux.namespaces', 'domainname');
    plan.push({ op: 'domainname', name: spec.domainname });
  }
  // Corral's own annotation: bring loopback up in a network namespace the container creates (as
  // podman's `--network none` does), without spawning `ip` for it.
  const net = hasNs(spec, 'network');
  if (spec.annotations?.[LOOPBACK_ANNOTATION] === 'up' && net && !net.path) plan.push({ op: 'loopback-up' });
  const mountNs = hasNs(spec, 'mount');
  if (!mountNs)
    throw new OciError('Corral needs a mount namespace (add {"type":"mount"})', 'linux.namespaces');
  const prop = spec.linux?.rootfsPropagation;
  plan.push({ op: 'rootfs-propagation', flags: prop ? PROPAGATION[prop]! | MS.REC : MS.SLAVE | MS.REC });
  plan.push({ op: 'rootfs', path: rootfsPath(spec, o.bundle) });
  // The child stops for TypeScript after its mounts only when there are hooks to run then: a
  // round trip through the helper and back, for every container, otherwise.
  if (spec.hooks?.createRuntime?.length || spec.hooks?.prestart?.length) plan.push({ op: 'prestart-wait' });
  plan.push(...rootfsMountRecord(spec));
  plan.push(...mountRecords(spec, o));
  // A pause never execs: it needs no device nodes (which would land in its shared, read-only root).
  if (!isPause(spec)) plan.push(...deviceRecords(spec));
  plan.push(...sysctlRecords(spec));
  for (const h of spec.hooks?.createContainer ?? [])
    plan.push({ op: 'hook', stage: 'createContainer', hook: hookSpec(h) });
  plan.push({ op: 'pivot-root', mode: o.noPivot ? 'chroot' : 'pivot' });
  for (const p of spec.linux?.maskedPaths ?? []) plan.push({ op: 'masked-path', path: p });
  for (const p of spec.linux?.readonlyPaths ?? []) plan.push({ op: 'readonly-path', path: p });
  if (spec.root?.readonly) plan.push({ op: 'rootfs-readonly' });
  plan.push(...processRecords(process, o));
  if (isPause(spec)) {
    plan.push({ op: 'pause' });
    // Without a PID namespace of its own to be PID 1 of (a pod that shares one), the pause is
    // the helper itself: no clone, one process less per pod.
    const own = (t: string) => spec.linux?.namespaces?.some((n) => n.type === t && !n.path);
    if (!own('pid') && !own('user') && !process.terminal) plan.push({ op: 'in-place' });
  }
  if (o.execFifo) plan.push({ op: 'exec-fifo', path: o.execFifo });
  for (const h of spec.hooks?.startContainer ?? [])
    plan.push({ op: 'hook', stage: 'startContainer', hook: hookSpec(h) });
  plan.push(...userRecords(process));
  return plan;
}

/** The namespaces an exec joins: every namespace the container's config lists, taken from its init. */
export function execNamespaceRecords(spec: Spec, initPid: number): PlanRecord[] {
  const types = (spec.linux?.namespaces ?? []).map((n) => NS_TYPE[n.type]);
  return JOIN_ORDER.filter((t) => types.includes(t)).map((t) => ({
    op: 'ns-join' as const,
    type: t,
    path: `/proc/${initPid}/ns/${NS_FILE[t]}`,
  }));
}

/** The plan for `exec`: join the container's namespaces, no rootfs records, then the process. */
export function buildExecPlan(process: Process, o: ExecPlanOptions): Plan {
  const plan: Plan = [...execNamespaceRecords(o.spec, o.initPid), ...parentRecords(o.spec, process, o)];
  if (process.oomScoreAdj !== undefined) plan.push({ op: 'oom-score-adj', value: process.oomScoreAdj });
  plan.push(...processRecords(process, o));
  plan.push(...userRecords(process));
  return plan;
}
