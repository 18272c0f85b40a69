// The OCI config of a pod's container (and of its pause process): containerd's defaults (Docker's
// capability set, the runtime's seccomp profile), the pod's shared namespaces joined by path
// (/proc/<pause>/ns/*), its own mount and cgroup (and PID) namespaces, the image config with the
// container's command/args/env/workingDir over it, securityContext, /etc files and volumes.
import { posix } from 'node:path';
import { DOCKER_DEFAULT_CAPS } from '../oci/defaults/capabilities.js';
import { defaultSeccomp } from '../oci/defaults/seccomp.js';
import { defaultSpec } from '../oci/defaults/spec-template.js';
import { PAUSE_ANNOTATION } from '../oci/plan-builder.js';
import { CAPABILITIES } from '../oci/mappings/capabilities.js';
import type { LinuxResources, Mount, Namespace, Spec } from '../oci/spec.js';
import type { Container, Pod } from './types.js';

export interface ImageConfigLike {
  Entrypoint?: string[] | null;
  Cmd?: string[] | null;
  WorkingDir?: string;
}

export interface ContainerSpecInput {
  pod: Pod;
  container: Container;
  image: ImageConfigLike;
  rootfs: string;
  /** The image's overlay, mounted at `/` in the container's mount namespace by the runtime
   *  (absent: `rootfs` is ready on the host). */
  rootMount?: { type: string; source: string; options: string[] };
  /** Environment in order (already resolved and expanded). */
  env: Map<string, string>;
  user: { uid: number; gid: number; additionalGids: number[] };
  /** Host PID of the pod's pause process (namespaces are joined through /proc/<pid>/ns). */
  sandboxPid: number;
  etc: { hosts: string; hostname: string; resolvConf: string };
  /** The pod's /dev/shm on the host (sandbox.ts podShm), bound into every container of the pod. */
  shm?: string;
  /** volumeMounts resolved to host paths. */
  mounts: { source: string; destination: string; readOnly: boolean }[];
  resources: LinuxResources;
  oomScoreAdj: number;
  cgroupsPath: string;
  annotations: Record<string, string>;
  /** The profile when the pod names none (the node's --seccomp-default; default RuntimeDefault). */
  seccompDefault?: 'RuntimeDefault' | 'Unconfined';
}

export class SpecError extends Error {
  override name = 'SpecError';
}

/** Kubernetes semantics: command replaces Entrypoint (and drops Cmd), args replace Cmd. */
export function containerArgs(c: Container, image: ImageConfigLike): string[] {
  const entry = c.command ?? image.Entrypoint ?? [];
  const cmd = c.args ?? (c.command ? [] : (image.Cmd ?? []));
  const all = [...entry, ...cmd];
  if (!all.length)
    throw new SpecError(`container ${c.name}: no command; the image has no Entrypoint/Cmd, give command:`);
  return all;
}

const ALL_CAPS = Object.keys(CAPABILITIES);
const capName = (c: string): string => {
  const n = c.toUpperCase();
  return n.startsWith('CAP_') ? n : `CAP_${n}`;
};

function capabilities(c: Container): string[] {
  const sc = c.securityContext;
  if (sc?.privileged) return [...ALL_CAPS];
  const drop = (sc?.capabilities?.drop ?? []).map(capName);
  let caps: string[] = drop.includes('CAP_ALL')
    ? []
    : [...DOCKER_DEFAULT_CAPS].filter((x) => !drop.includes(x));
  for (const a of (sc?.capabilities?.add ?? []).map(capName)) {
    if (a === 'CAP_ALL') caps = [...ALL_CAPS];
    else if (!(a in CAPABILITIES))
      throw new SpecError(`container ${c.name}: securityContext.capabilities.add: unknown capability ${a}`);
    else if (!caps.includes(a)) caps.push(a);
  }
  return caps;
}

/** The namespaces of an app container: pod's net/ipc/uts (and pid when shared) by path. */
function namespaces(pod: Pod, pid: number): Namespace[] {
  const s = pod.spec;
  const ns: Namespace[] = [{ type: 'mount' }, { type: 'cgroup' }];
  if (!s.hostNetwork)
    ns.push({ type: 'network', path: `/proc/${pid}/ns/net` }, { type: 'uts', path: `/proc/${pid}/ns/uts` });
  if (!s.hostIPC) ns.push({ type: 'ipc', path: `/proc/${pid}/ns/ipc` });
  if (!s.hostPID)
    ns.push(s.shareProcessNamespace ? { type: 'pid', path: `/proc/${pid}/ns/pid` } : { type: 'pid' });
  return ns;
}

export function containerSpec(input: ContainerSpecInput): Spec {
  const { pod, container: c } = input;
  const sc = c.securityContext ?? {};
  const psc = pod.spec.securityContext ?? {};
  const args = containerArgs(c, input.image);
  const spec = defaultSpec({ args, terminal: !!c.tty });
  delete spec.hostname;
  const proc = spec.process!;
  // Until an attach sizes it (a 0x0 terminal confuses line editors).
  if (c.tty) proc.consoleSize = { height: 24, width: 80 };
  proc.env = [...input.env].map(([k, v]) => `${k}=${v}`);
  const cwd = c.workingDir ?? (input.image.WorkingDir ? posix.normalize(input.image.WorkingDir) : '/');
  proc.cwd = cwd.startsWith('/') ? cwd : '/';
  proc.user = {
    uid: input.user.uid,
    gid: input.user.gid,
    ...(input.user.additionalGids.length ? { additionalGids: input.user.additionalGids } : {}),
  };
  const caps = capabilities(c);
  // As containerd: a non-root process keeps the bounding set but no effective capabilities.
  proc.capabilities =
    input.user.uid === 0
      ? { bounding: caps, effective: caps, permitted: caps }
      : { bounding: caps, effective: [], permitted: [] };
  proc.noNewPrivileges = sc.allowPrivilegeEscalation === false;
  proc.oomScoreAdj = input.oomScoreAdj;
  spec.root = { path: input.rootfs, readonly: !!sc.readOnlyRootFilesystem };

  const linux = spec.linux!;
  linux.namespaces = namespaces(pod, input.sandboxPid);
  linux.cgroupsPath = input.cgroupsPath;
  linux.resources = { ...linux.resources, ...input.resources };
  const seccomp =
    sc.seccompProfile?.type ?? psc.seccompProfile?.type ?? input.seccompDefault ?? 'RuntimeDefault';
  if (seccomp === 'Localhost')
    throw new SpecError(
      `container ${c.name}: seccompProfile Localhost is not supported; use RuntimeDefault or Unconfined`,
    );
  if (sc.privileged || seccomp === 'Unconfined') delete linux.seccomp;
  else linux.seccomp = defaultSeccomp(caps);

  const mounts: Mount[] = (spec.mounts ?? []).filter(
    (m) => m.destination !== '/sys/fs/cgroup' || !sc.privileged,
  );
  if (sc.privileged) {
    linux.maskedPaths = [];
    linux.readonlyPaths = [];
    linux.resources.devices = [{ allow: true, access: 'rwm' }];
    for (const m of mounts)
      if (m.destination === '/sys') m.options = (m.options ?? []).filter((o) => o !== 'ro');
  }
  if (pod.spec.hostNetwork) {
    // sysfs cannot be mounted without owning the network namespace: bind the host's (as runc).
    const i = mounts.findIndex((m) => m.destination === '/sys');
    if (i >= 0)
      mounts[i] = {
        destination: '/sys',
        type: 'bind',
        source: '/sys',
        options: ['rbind', 'nosuid', 'noexec', 'nodev', 'ro'],
      };
  }
  // One /dev/shm for the pod, as the IPC namespace is one: POSIX shared memory works between its
  // containers (containerd binds the sandbox's likewise).
  const shm = mounts.findIndex((m) => m.destination === '/dev/shm');
  if (input.shm && shm >= 0)
    mounts[shm] = {
      destination: '/dev/shm',
      type: 'bind',
      source: input.shm,
      options: ['rbind', 'rprivate', 'nosuid', 'nodev', 'noexec'],
    };
  const etc = ['rbind', 'rprivate', 'nosuid', 'nodev', 'noexec'];
  mounts.push({ destination: '/etc/hosts', type: 'bind', source: input.etc.hosts, options: etc });
  mounts.push({ destination: '/etc/hostname', type: 'bind', source: input.etc.hostname, options: etc });
  mounts.push({ destination: '/etc/resolv.conf', type: 'bind', source: input.etc.resolvConf, options: etc });
  for (const m of input.mounts)
    mounts.push({
      destination: m.destination,
      type: 'bind',
      source: m.source,
      options: ['rbind', 'rprivate', m.readOnly ? 'ro' : 'rw'],
    });
  const root = input.rootMount;
  spec.mounts = root ? [{ destination: '/', ...root, options: [...root.options] }, ...mounts] : mounts;
  spec.annotations = input.annotations;
  return spec;
}

/** The pause process: owns the pod's network, IPC, UTS (and shared PID) namespaces. Read-only
 *  busybox rootfs shared by all pods, no capabilities, waits until stopped. */
export function pauseSpec(pod: Pod, rootfs: string, cgroupsPath: string, hostname: string): Spec {
  // The helper's own process pauses (PAUSE_ANNOTATION): no sleep binary to exec; args describe it.
  const spec = defaultSpec({ args: ['/pause'], terminal: false, hostname });
  const s = pod.spec;
  const proc = spec.process!;
  proc.capabilities = { bounding: [], effective: [], permitted: [] };
  proc.noNewPrivileges = true;
  proc.oomScoreAdj = -998;
  proc.user = { uid: 65534, gid: 65534 };
  proc.env = ['PATH=/bin'];
  spec.root = { path: rootfs, readonly: true };
  const ns: Namespace[] = [{ type: 'mount' }];
  if (!s.hostNetwork) ns.push({ type: 'network' }, { type: 'uts' });
  else delete spec.hostname;
  if (!s.hostIPC) ns.push({ type: 'ipc' });
  if (!s.hostPID && s.shareProcessNamespace) ns.push({ type: 'pid' });
  spec.linux!.namespaces = ns;
  spec.linux!.cgroupsPath = cgroupsPath;
  spec.linux!.seccomp = defaultSeccomp([]);
  // It never execs, so it needs no /dev, /proc or /sys of its own: no mounts, device nodes or
  // masked paths. Nor may it have them: with a shared PID namespace the containers reach its root
  // as /proc/1/root, where a /proc of its own would bypass their masked paths.
  spec.mounts = [];
  spec.linux!.devices = [];
  spec.linux!.maskedPaths = [];
  spec.linux!.readonlyPaths = [];
  spec.annotations = {
    [PAUSE_ANNOTATION]: 'true',
    'io.kubernetes.cri.container-type': 'sandbox',
    'io.kubernetes.pod.uid': pod.metadata.uid,
  };
  return spec;
}
