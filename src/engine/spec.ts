// The OCI config of a `corral run` container: podman's defaults (src/oci/defaults: capabilities,
// seccomp, masked and read-only /proc paths, a private /dev), every namespace but the user one,
// then the image config (Entrypoint, Cmd, Env, WorkingDir, User) with the run flags over it.
import { LOOPBACK_ANNOTATION } from '../oci/plan-builder.js';
import { posix } from 'node:path';
import { DEFAULT_ENV, defaultSpec } from '../oci/defaults/spec-template.js';
import type { Mount, Spec } from '../oci/spec.js';
import { EngineError } from './errors.js';
import type { ImageRuntimeConfig } from './images.js';
import type { RunConfig } from './options.js';
import type { ResolvedUser } from './user.js';

/** Where the container record keeps the generated /etc files (bind-mounted, as podman). */
export interface EtcFiles {
  hostname: string;
  hosts: string;
  resolvConf?: string;
}

export interface SpecInput {
  id: string;
  run: RunConfig;
  image: ImageRuntimeConfig;
  rootfs: string;
  /** The overlay the runtime mounts at / in the container (then `rootfs` is an empty directory). */
  rootMount?: { type: string; source: string; options: string[] };
  user: ResolvedUser;
  hostname: string;
  etc: EtcFiles;
  /** linux.cgroupsPath (relative: below Corral's cgroup root). */
  cgroupsPath: string;
}

/** The command: --entrypoint / image Entrypoint, then the command line's args or the image's Cmd. */
export function processArgs(run: RunConfig, image: ImageRuntimeConfig): string[] {
  const entry = run.entrypoint ?? image.Entrypoint ?? [];
  const cmd = run.cmd.length ? run.cmd : run.entrypoint !== undefined ? [] : (image.Cmd ?? []);
  const args = [...entry, ...cmd];
  if (!args.length) {
    throw new EngineError(
      `no command: image ${run.image} has neither Entrypoint nor Cmd; give one after the image name`,
    );
  }
  return args;
}

/** Environment in podman's order of precedence: defaults < image Env < -e. */
export function processEnv(input: Pick<SpecInput, 'run' | 'image' | 'user' | 'hostname'>): string[] {
  const env = new Map<string, string>();
  const put = (kv: string) => {
    const eq = kv.indexOf('=');
    if (eq > 0) env.set(kv.slice(0, eq), kv.slice(eq + 1));
  };
  for (const kv of DEFAULT_ENV) if (!kv.startsWith('TERM=') || input.run.tty) put(kv);
  put(`HOSTNAME=${input.hostname}`);
  put('container=corral');
  for (const kv of input.image.Env ?? []) put(kv);
  for (const kv of input.run.env) put(kv);
  if (!env.has('HOME')) env.set('HOME', input.user.home ?? '/');
  return [...env].map(([k, v]) => `${k}=${v}`);
}

const TMPFS_OPTS = ['rw', 'rprivate', 'nosuid', 'nodev', 'tmpcopyup'];

export function buildSpec(input: SpecInput): Spec {
  const { run, image } = input;
  const args = processArgs(run, image);
  const spec = defaultSpec({ args, terminal: run.tty, hostname: input.hostname });
  const proc = spec.process!;
  proc.env = processEnv(input);
  const cwd = run.workdir ?? (image.WorkingDir ? posix.normalize(image.WorkingDir) : '/');
  if (!cwd.startsWith('/')) {
    throw new EngineError(
      `image ${run.image}: WorkingDir "${cwd}" is not absolute; override it with -w /path`,
    );
  }
  proc.cwd = cwd;
  proc.user = {
    uid: input.user.uid,
    gid: input.user.gid,
    ...(input.user.additionalGids.length ? { additionalGids: input.user.additionalGids } : {}),
  };
  if (input.user.uid !== 0) {
    // As podman: a non-root user keeps the bounding set but starts without effective capabilities.
    proc.capabilities = { bounding: proc.capabilities?.bounding ?? [], effective: [], permitted: [] };
  }
  spec.root = { path: input.rootfs, readonly: run.readOnly };

  const root = input.rootMount;
  const mounts: Mount[] = [
    ...(root ? [{ destination: '/', type: root.type, source: root.source, options: [...root.options] }] : []),
    ...(spec.mounts ?? []),
  ];
  if (run.readOnly) {
    // podman's --read-only-tmpfs (default true): the usual scratch directories stay writable.
    for (const d of ['/tmp', '/var/tmp', '/run'])
      mounts.push({ destination: d, type: 'tmpfs', source: 'tmpfs', options: [...TMPFS_OPTS, 'mode=1777'] });
  }
  const etcOpts = ['rbind', 'rprivate', 'nosuid', 'nodev', 'noexec', ...(run.readOnly ? ['ro'] : [])];
  mounts.push({ destination: '/etc/hostname', type: 'bind', source: input.etc.hostname, options: etcOpts });
  mounts.push({ destination: '/etc/hosts', type: 'bind', source: input.etc.hosts, options: etcOpts });
  if (input.etc.resolvConf)
    mounts.push({
      destination: '/etc/resolv.conf',
      type: 'bind',
      source: input.etc.resolvConf,
      options: etcOpts,
    });
  for (const v of run.volumes) {
    mounts.push({
      destination: v.destination,
      type: 'bind',
      source: v.source,
      options: ['rbind', 'rprivate', ...(v.readonly ? ['ro'] : ['rw'])],
    });
  }
  spec.mounts = mounts;

  const linux = spec.linux!;
  linux.namespaces = [
    { type: 'pid' },
    ...(run.network === 'host' ? [] : [{ type: 'network' as const }]),
    { type: 'ipc' },
    { type: 'uts' },
    { type: 'mount' },
    { type: 'cgroup' },
  ];
  linux.cgroupsPath = input.cgroupsPath;
  linux.resources = {
    ...linux.resources,
    ...(run.memory !== undefined ? { memory: { limit: run.memory } } : {}),
    ...(run.cpus !== undefined ? { cpu: { quota: Math.round(run.cpus * 100_000), period: 100_000 } } : {}),
    ...(run.pidsLimit > 0 ? { pids: { limit: run.pidsLimit } } : {}),
  };
  spec.annotations = {
    'io.corral.container.id': input.id,
    ...(run.name ? { 'io.corral.container.name': run.name } : {}),
    'io.corral.image': run.image,
    // `--network none`: the fresh namespace gets lo up, as podman's (the helper does it).
    ...(run.network !== 'host' ? { [LOOPBACK_ANNOTATION]: 'up' } : {}),
  };
  return spec;
}
