// `corral run` flags, checked before anything is created: every mistake is one EngineError
// (exit 125) naming the flag and the fix, so bad input leaves nothing behind.
import { isAbsolute, posix } from 'node:path';
import { parseBytes, parseQuantity } from '../util/quantity.js';
import { EngineError } from './errors.js';

/** The flags as the command line gives them (strings, repeatable flags as lists). */
export interface RunRequest {
  image: string;
  cmd: string[];
  name?: string;
  rm?: boolean;
  detach?: boolean;
  env?: string[];
  volumes?: string[];
  workdir?: string;
  user?: string;
  memory?: string;
  cpus?: string;
  pidsLimit?: string;
  hostname?: string;
  readOnly?: boolean;
  network?: string;
  publish?: string[];
  interactive?: boolean;
  tty?: boolean;
  entrypoint?: string;
}

export interface VolumeSpec {
  source: string;
  destination: string;
  readonly: boolean;
}

/** none: only lo; host: the host's network; bridge: eth0 on Corral's CNI network (podman's default). */
export type NetworkMode = 'none' | 'host' | 'bridge';

/** `-p [IP:][HOSTPORT:]CONTAINERPORT[/PROTO]`. */
export interface PortSpec {
  hostIP?: string;
  hostPort: number;
  containerPort: number;
  protocol: 'tcp' | 'udp' | 'sctp';
}

/** The checked flags; stored in the container record (inspect shows them as HostConfig). */
export interface RunConfig {
  image: string;
  cmd: string[];
  entrypoint?: string[];
  name?: string;
  rm: boolean;
  detach: boolean;
  env: string[];
  volumes: VolumeSpec[];
  workdir?: string;
  user?: string;
  memory?: number;
  cpus?: number;
  pidsLimit: number;
  hostname?: string;
  readOnly: boolean;
  network: NetworkMode;
  /** Published ports (bridge network only). */
  publish?: PortSpec[];
  interactive: boolean;
  tty: boolean;
}

/** podman's default pids limit. */
export const DEFAULT_PIDS_LIMIT = 2048;

const NAME_RE = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;
const ENV_KEY_RE = /^[^=\0]+$/;
const HOSTNAME_RE =
  /^[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(\.[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$/;

export function checkName(name: string): string {
  if (!NAME_RE.test(name) || name.length > 253) {
    throw new EngineError(
      `--name ${JSON.stringify(name)}: not a valid name; use letters, digits and _ . - (starting with a letter or digit)`,
    );
  }
  return name;
}

/** `-e K=V` (or `-e K`: the value of K in corral's environment, skipped when unset, as podman). */
export function parseEnv(list: string[], hostEnv: NodeJS.ProcessEnv = process.env): string[] {
  const out: string[] = [];
  for (const e of list) {
    const eq = e.indexOf('=');
    const key = eq < 0 ? e : e.slice(0, eq);
    if (!ENV_KEY_RE.test(key) || e.includes('\0')) {
      throw new EngineError(`-e ${JSON.stringify(e)}: not KEY=VALUE; write e.g. -e GREETING=hello`);
    }
    if (eq >= 0) out.push(e);
    else if (hostEnv[key] !== undefined) out.push(`${key}=${hostEnv[key]}`);
  }
  return out;
}

/** `-v HOST:CTR[:ro|rw]`: both absolute; the host path must exist (checked by the caller). */
export function parseVolume(spec: string): VolumeSpec {
  const parts = spec.split(':');
  const bad = (why: string): never => {
    throw new EngineError(`-v ${spec}: ${why}; use -v /host/path:/container/path[:ro]`);
  };
  if (parts.length < 2 || parts.length > 3) bad('expected HOST:CONTAINER[:ro]');
  const [source = '', destination = '', mode] = parts;
  if (!source || !destination) bad('a path is empty');
  if (!isAbsolute(source)) bad(`named volumes are not supported, "${source}" must be an absolute host path`);
  if (!isAbsolute(destination)) bad(`the container path "${destination}" must be absolute`);
  if (posix.normalize(destination) === '/') bad('cannot mount over the container\'s root "/"');
  let readonly = false;
  if (mode !== undefined) {
    const opts = mode.split(',');
    for (const o of opts) {
      if (o === 'ro') readonly = true;
      else if (o === 'rw' || o === 'z' || o === 'Z') readonly ||= false;
      else bad(`unknown option "${o}" (known: ro, rw)`);
    }
  }
  return { source: posix.normalize(source), destination: posix.normalize(destination), readonly };
}

export function parseNetwork(n: string | undefined, publish: string[]): NetworkMode {
  // podman's default is bridge as root; Corral keeps none unless ports are published, so a
  // quick sandbox needs no network setup.
  const mode = n ?? (publish.length ? 'bridge' : 'none');
  if (mode !== 'none' && mode !== 'host' && mode !== 'bridge') {
    throw new EngineError(`--network ${mode}: unknown network mode; use none, host or bridge`);
  }
  if (publish.length && mode !== 'bridge') {
    throw new EngineError(
      `-p ${publish[0]}: publishing ports needs --network bridge (with --network ${mode} there is nothing to map)`,
    );
  }
  return mode;
}

/** `-p [IP:][HOSTPORT:]CONTAINERPORT[/PROTO]`; a missing host port is the container port. */
export function parsePublish(p: string): PortSpec {
  const bad = (why: string): never => {
    throw new EngineError(`-p ${p}: ${why}; write e.g. -p 8080:80 or -p 127.0.0.1:8080:80/tcp`);
  };
  const [spec = '', proto = 'tcp', extra] = p.split('/');
  if (extra !== undefined || !['tcp', 'udp', 'sctp'].includes(proto))
    bad('the protocol must be tcp, udp or sctp');
  const m = /^(?:(?:\[([0-9a-fA-F:.]+)\]|(\d{1,3}(?:\.\d{1,3}){3})):)?(?:(\d+):)?(\d+)$/.exec(spec);
  if (!m) bad('not a port mapping');
  const port = (s: string, what: string): number => {
    const v = Number(s);
    if (!Number.isInteger(v) || v < 1 || v > 65535) bad(`the ${what} ${s} is not a port (1-65535)`);
    return v;
  };
  const containerPort = port(m![4]!, 'container port');
  const hostIP = m![1] ?? m![2];
  return {
    ...(hostIP ? { hostIP } : {}),
    hostPort: m![3] ? port(m![3], 'host port') : containerPort,
    containerPort,
    protocol: proto as PortSpec['protocol'],
  };
}

/** `-u` syntax only (names are resolved against the image's /etc/passwd later). */
export function checkUserSyntax(u: string): string {
  if (!/^[^:\s]+(:[^:\s]+)?$/.test(u)) {
    throw new EngineError(
      `-u ${JSON.stringify(u)}: expected USER[:GROUP] (names or numbers), e.g. -u 1000:1000`,
    );
  }
  return u;
}

/** Check every flag of a run request; throws EngineError (125) at the first mistake. */
export function parseRunRequest(r: RunRequest, hostEnv: NodeJS.ProcessEnv = process.env): RunConfig {
  if (!r.image) throw new EngineError('no image given; usage: corral run [OPTIONS] IMAGE [COMMAND...]');
  if (r.detach && r.interactive) {
    throw new EngineError(
      '-d with -i: a detached container cannot take input (there is no attach yet); drop -i (its output is in corral logs)',
    );
  }
  let memory: number | undefined;
  if (r.memory !== undefined) {
    try {
      memory = parseBytes(r.memory, '--memory');
    } catch (e) {
      throw new EngineError(`${(e as Error).message}`);
    }
    if (memory < 6 * 2 ** 20) throw new EngineError(`--memory ${r.memory}: the minimum is 6Mi (as podman)`);
  }
  let cpus: number | undefined;
  if (r.cpus !== undefined) {
    try {
      cpus = parseQuantity(r.cpus, '--cpus');
    } catch (e) {
      throw new EngineError(`${(e as Error).message}`);
    }
    if (!(cpus > 0) || cpus > 1024) throw new EngineError(`--cpus ${r.cpus}: must be above 0, e.g. 0.5 or 2`);
  }
  let pidsLimit = DEFAULT_PIDS_LIMIT;
  if (r.pidsLimit !== undefined) {
    pidsLimit = Number(r.pidsLimit);
    if (!/^-?\d+$/.test(r.pidsLimit) || pidsLimit === 0 || pidsLimit < -1) {
      throw new EngineError(`--pids-limit ${r.pidsLimit}: must be a whole number ≥ 1 (or -1 for no limit)`);
    }
  }
  if (r.hostname !== undefined && !HOSTNAME_RE.test(r.hostname)) {
    throw new EngineError(`--hostname ${JSON.stringify(r.hostname)}: not a valid host name; use e.g. web-1`);
  }
  if (r.workdir !== undefined && !isAbsolute(r.workdir)) {
    throw new EngineError(`-w ${r.workdir}: the working directory must be an absolute path, e.g. -w /srv`);
  }
  let entrypoint: string[] | undefined;
  if (r.entrypoint !== undefined) entrypoint = r.entrypoint === '' ? [] : [r.entrypoint];
  const network = parseNetwork(r.network, r.publish ?? []);
  return {
    image: r.image,
    cmd: r.cmd,
    ...(entrypoint ? { entrypoint } : {}),
    ...(r.name !== undefined ? { name: checkName(r.name) } : {}),
    rm: !!r.rm,
    detach: !!r.detach,
    env: parseEnv(r.env ?? [], hostEnv),
    volumes: (r.volumes ?? []).map(parseVolume),
    ...(r.workdir !== undefined ? { workdir: posix.normalize(r.workdir) } : {}),
    ...(r.user !== undefined ? { user: checkUserSyntax(r.user) } : {}),
    ...(memory !== undefined ? { memory } : {}),
    ...(cpus !== undefined ? { cpus } : {}),
    pidsLimit,
    ...(r.hostname !== undefined ? { hostname: r.hostname } : {}),
    readOnly: !!r.readOnly,
    network,
    ...(r.publish?.length ? { publish: r.publish.map(parsePublish) } : {}),
    interactive: !!r.interactive,
    tty: !!r.tty,
  };
}

/**
 * An image reference's syntax (the docker grammar, simplified): [host[:port]/]path[:tag][@digest],
 * path components lower case. The store decides whether it exists.
 */
export function checkReference(ref: string): void {
  const fail = (why: string): never => {
    throw new EngineError(`invalid image reference "${ref}": ${why}; write e.g. busybox or busybox:latest`);
  };
  if (!ref || /\s/.test(ref)) fail('it is empty or has spaces');
  const [nameTag = '', digest, ...more] = ref.split('@');
  if (more.length) fail('more than one "@"');
  if (digest !== undefined && !/^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]{32,}$/.test(digest))
    fail('the digest is malformed');
  const slash = nameTag.lastIndexOf('/');
  const colon = nameTag.lastIndexOf(':');
  const name = colon > slash ? nameTag.slice(0, colon) : nameTag;
  const tag = colon > slash ? nameTag.slice(colon + 1) : undefined;
  if (tag !== undefined && !/^[\w][\w.-]{0,127}$/.test(tag)) fail(`the tag "${tag}" is malformed`);
  const comps = name.split('/');
  const first = comps[0] ?? '';
  const hasHost = comps.length > 1 && (first.includes('.') || first.includes(':') || first === 'localhost');
  for (const c of hasHost ? comps.slice(1) : comps) {
    if (!/^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/.test(c)) {
      fail(/[A-Z]/.test(c) ? 'repository names must be lower case' : `"${c}" is not a valid name component`);
    }
  }
  if (hasHost && !/^[a-zA-Z0-9.-]+(:\d+)?$/.test(first)) fail(`"${first}" is not a valid registry host`);
}
