// Parse and validate config.json. Every error names the JSON path and the problem, e.g.
// `process.args: must be a non-empty array`. Validation is structural (types, required fields,
// known enum values); semantic checks that need the host (does the rootfs exist?) are in the
// plan builder.
import { OciError } from './errors.js';
import type { Spec } from './spec.js';
import { CAPABILITIES } from './mappings/capabilities.js';
import { RLIMITS } from './mappings/rlimits.js';
import { NAMESPACE_KINDS } from './mappings/namespaces.js';

type Json = unknown;

function fail(path: string, problem: string): never {
  throw new OciError(problem, path);
}

function isObj(v: Json): v is Record<string, Json> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function obj(v: Json, path: string): Record<string, Json> {
  if (!isObj(v)) fail(path, 'must be an object');
  return v;
}
function optObj(v: Json, path: string): Record<string, Json> | undefined {
  return v === undefined ? undefined : obj(v, path);
}
function str(v: Json, path: string): string {
  if (typeof v !== 'string') fail(path, 'must be a string');
  return v;
}
function optStr(v: Json, path: string): void {
  if (v !== undefined) str(v, path);
}
function bool(v: Json, path: string): void {
  if (v !== undefined && typeof v !== 'boolean') fail(path, 'must be true or false');
}
function int(v: Json, path: string, min = -Infinity, max = Infinity): number {
  if (typeof v !== 'number' || !Number.isInteger(v)) fail(path, 'must be an integer');
  if (v < min || v > max) fail(path, `must be between ${min} and ${max}`);
  return v;
}
function optInt(v: Json, path: string, min?: number, max?: number): void {
  if (v !== undefined) int(v, path, min, max);
}
function arr(v: Json, path: string): Json[] {
  if (!Array.isArray(v)) fail(path, 'must be an array');
  return v;
}
function optArr(v: Json, path: string): Json[] {
  return v === undefined || v === null ? [] : arr(v, path);
}
// The loops below name an element's path only when it is wrong: a default seccomp profile alone
// has hundreds of elements, and building every path was 100 KB of strings per container.
function strArr(v: Json, path: string): void {
  const a = optArr(v, path);
  for (let i = 0; i < a.length; i++) if (typeof a[i] !== 'string') fail(`${path}[${i}]`, 'must be a string');
}
function absPath(v: Json, path: string): string {
  const s = str(v, path);
  if (!s.startsWith('/')) fail(path, `must be an absolute path (got "${s}")`);
  return s;
}

const UINT32 = 0xffffffff;

function idMappings(v: Json, path: string): void {
  optArr(v, path).forEach((m, i) => {
    const p = `${path}[${i}]`;
    const o = obj(m, p);
    int(o.containerID, `${p}.containerID`, 0, UINT32);
    int(o.hostID, `${p}.hostID`, 0, UINT32);
    int(o.size, `${p}.size`, 1, UINT32);
  });
}

function validateProcess(v: Json, path: string, forExec = false): void {
  const p = obj(v, path);
  bool(p.terminal, `${path}.terminal`);
  if (p.consoleSize !== undefined) {
    const c = obj(p.consoleSize, `${path}.consoleSize`);
    int(c.height, `${path}.consoleSize.height`, 0);
    int(c.width, `${path}.consoleSize.width`, 0);
  }
  const user = obj(p.user ?? (forExec ? {} : undefined), `${path}.user`);
  if (!forExec || user.uid !== undefined) int(user.uid, `${path}.user.uid`, 0, UINT32);
  if (!forExec || user.gid !== undefined) int(user.gid, `${path}.user.gid`, 0, UINT32);
  optInt(user.umask, `${path}.user.umask`, 0, 0o777);
  optArr(user.additionalGids, `${path}.user.additionalGids`).forEach((g, i) =>
    int(g, `${path}.user.additionalGids[${i}]`, 0, UINT32),
  );
  if (!Array.isArray(p.args) || p.args.length === 0) fail(`${path}.args`, 'must be a non-empty array');
  p.args.forEach((a, i) => str(a, `${path}.args[${i}]`));
  optArr(p.env, `${path}.env`).forEach((e, i) => {
    if (typeof e !== 'string') fail(`${path}.env[${i}]`, 'must be a string');
    if (!e.includes('=')) fail(`${path}.env[${i}]`, `must have the form KEY=value (got "${e}")`);
  });
  if (!forExec || p.cwd !== undefined) absPath(p.cwd, `${path}.cwd`);
  if (p.capabilities !== undefined) {
    const c = obj(p.capabilities, `${path}.capabilities`);
    for (const set of ['bounding', 'effective', 'inheritable', 'permitted', 'ambient']) {
      optArr(c[set], `${path}.capabilities.${set}`).forEach((name, i) => {
        if (typeof name !== 'string') fail(`${path}.capabilities.${set}[${i}]`, 'must be a string');
        if (!(name in CAPABILITIES))
          fail(`${path}.capabilities.${set}[${i}]`, `unknown capability "${name}"`);
      });
    }
  }
  const seen = new Set<string>();
  optArr(p.rlimits, `${path}.rlimits`).forEach((r, i) => {
    const rp = `${path}.rlimits[${i}]`;
    const o = obj(r, rp);
    const t = str(o.type, `${rp}.type`);
    if (!(t in RLIMITS))
      fail(`${rp}.type`, `unknown rlimit "${t}" (expected RLIMIT_NOFILE, RLIMIT_NPROC, ...)`);
    if (seen.has(t)) fail(`${rp}.type`, `duplicate rlimit "${t}"`);
    seen.add(t);
    const soft = int(o.soft, `${rp}.soft`, 0);
    const hard = int(o.hard, `${rp}.hard`, 0);
    if (soft > hard) fail(rp, `soft limit ${soft} is above the hard limit ${hard}`);
  });
  bool(p.noNewPrivileges, `${path}.noNewPrivileges`);
  optInt(p.oomScoreAdj, `${path}.oomScoreAdj`, -1000, 1000);
  optStr(p.apparmorProfile, `${path}.apparmorProfile`);
  optStr(p.selinuxLabel, `${path}.selinuxLabel`);
}

function validateHooks(v: Json): void {
  const h = optObj(v, 'hooks');
  if (!h) return;
  for (const [stage, list] of Object.entries(h)) {
    if (
      !['prestart', 'createRuntime', 'createContainer', 'startContainer', 'poststart', 'poststop'].includes(
        stage,
      )
    ) {
      fail(`hooks.${stage}`, 'unknown hook stage');
    }
    optArr(list, `hooks.${stage}`).forEach((hook, i) => {
      const p = `hooks.${stage}[${i}]`;
      const o = obj(hook, p);
      absPath(o.path, `${p}.path`);
      strArr(o.args, `${p}.args`);
      strArr(o.env, `${p}.env`);
      optInt(o.timeout, `${p}.timeout`, 1);
    });
  }
}

const SECCOMP_ACTIONS = [
  'SCMP_ACT_KILL',
  'SCMP_ACT_KILL_PROCESS',
  'SCMP_ACT_KILL_THREAD',
  'SCMP_ACT_TRAP',
  'SCMP_ACT_ERRNO',
  'SCMP_ACT_TRACE',
  'SCMP_ACT_ALLOW',
  'SCMP_ACT_LOG',
  'SCMP_ACT_NOTIFY',
];
const SECCOMP_OPS = [
  'SCMP_CMP_NE',
  'SCMP_CMP_LT',
  'SCMP_CMP_LE',
  'SCMP_CMP_EQ',
  'SCMP_CMP_GE',
  'SCMP_CMP_GT',
  'SCMP_CMP_MASKED_EQ',
];

/** A rule the checks below would pass that has no args: most of a profile, checked without paths. */
function plainSyscallRule(sc: Json): boolean {
  if (!isObj(sc) || !Array.isArray(sc.names) || sc.names.length === 0) return false;
  for (let i = 0; i < sc.names.length; i++) if (typeof sc.names[i] !== 'string') return false;
  const e = sc.errnoRet;
  return (
    typeof sc.action === 'string' &&
    SECCOMP_ACTIONS.includes(sc.action) &&
    (e === undefined || (typeof e === 'number' && Number.isInteger(e) && e >= 0)) &&
    (sc.args === undefined || sc.args === null || (Array.isArray(sc.args) && sc.args.length === 0))
  );
}

function validateSeccomp(v: Json, path: string): void {
  const s = obj(v, path);
  const da = str(s.defaultAction, `${path}.defaultAction`);
  if (!SECCOMP_ACTIONS.includes(da)) fail(`${path}.defaultAction`, `unknown action "${da}"`);
  optInt(s.defaultErrnoRet, `${path}.defaultErrnoRet`, 0);
  strArr(s.architectures, `${path}.architectures`);
  strArr(s.flags, `${path}.flags`);
  optArr(s.syscalls, `${path}.syscalls`).forEach((sc, i) => {
    if (plainSyscallRule(sc)) return;
    const p = `${path}.syscalls[${i}]`;
    const o = obj(sc, p);
    if (!Array.isArray(o.names) || o.names.length === 0) fail(`${p}.names`, 'must be a non-empty array');
    strArr(o.names, `${p}.names`);
    const a = str(o.action, `${p}.action`);
    if (!SECCOMP_ACTIONS.includes(a)) fail(`${p}.action`, `unknown action "${a}"`);
    optInt(o.errnoRet, `${p}.errnoRet`, 0);
    optArr(o.args, `${p}.args`).forEach((arg, j) => {
      const ap = `${p}.args[${j}]`;
      const ao = obj(arg, ap);
      int(ao.index, `${ap}.index`, 0, 5);
      int(ao.value, `${ap}.value`, 0);
      optInt(ao.valueTwo, `${ap}.valueTwo`, 0);
      const op = str(ao.op, `${ap}.op`);
      if (!SECCOMP_OPS.includes(op)) fail(`${ap}.op`, `unknown operator "${op}"`);
    });
  });
}

function validateLinux(v: Json): void {
  const l = optObj(v, 'linux');
  if (!l) return;
  const kinds = new Set<string>();
  optArr(l.namespaces, 'linux.namespaces').forEach((n, i) => {
    const p = `linux.namespaces[${i}]`;
    const o = obj(n, p);
    const t = str(o.type, `${p}.type`);
    if (!(NAMESPACE_KINDS as readonly string[]).includes(t)) {
      fail(`${p}.type`, `unknown namespace "${t}" (expected one of ${NAMESPACE_KINDS.join(', ')})`);
    }
    if (kinds.has(t)) fail(`${p}.type`, `namespace "${t}" is listed twice`);
    kinds.add(t);
    if (o.path !== undefined) absPath(o.path, `${p}.path`);
  });
  idMappings(l.uidMappings, 'linux.uidMappings');
  idMappings(l.gidMappings, 'linux.gidMappings');
  if ((l.uidMappings !== undefined || l.gidMappings !== undefined) && !kinds.has('user')) {
    fail('linux.uidMappings', 'uid/gid mappings need a user namespace in linux.namespaces');
  }
  if (l.timeOffsets !== undefined) {
    const t = obj(l.timeOffsets, 'linux.timeOffsets');
    for (const [clock, off] of Object.entries(t)) {
      if (clock !== 'monotonic' && clock !== 'boottime') fail(`linux.timeOffsets.${clock}`, 'unknown clock');
      const o = obj(off, `linux.timeOffsets.${clock}`);
      optInt(o.secs, `linux.timeOffsets.${clock}.secs`);
      optInt(o.nanosecs, `linux.timeOffsets.${clock}.nanosecs`, 0, 999_999_999);
    }
    if (!kinds.has('time')) fail('linux.timeOffsets', 'needs a time namespace in linux.namespaces');
  }
  optArr(l.devices, 'linux.devices').forEach((d, i) => {
    const p = `linux.devices[${i}]`;
    const o = obj(d, p);
    const t = str(o.type, `${p}.type`);
    if (!['c', 'b', 'u', 'p'].includes(t)) fail(`${p}.type`, `must be one of c, b, u, p (got "${t}")`);
    absPath(o.path, `${p}.path`);
    if (t !== 'p') {
      int(o.major, `${p}.major`, 0);
      int(o.minor, `${p}.minor`, 0);
    }
    optInt(o.fileMode, `${p}.fileMode`, 0, 0o7777);
    optInt(o.uid, `${p}.uid`, 0, UINT32);
    optInt(o.gid, `${p}.gid`, 0, UINT32);
  });
  optStr(l.cgroupsPath, 'linux.cgroupsPath');
  optObj(l.resources, 'linux.resources');
  if (l.rootfsPropagation !== undefined) {
    const rp = str(l.rootfsPropagation, 'linux.rootfsPropagation');
    if (
      !['private', 'rprivate', 'slave', 'rslave', 'shared', 'rshared', 'unbindable', 'runbindable'].includes(
        rp,
      )
    ) {
      fail('linux.rootfsPropagation', `unknown propagation "${rp}"`);
    }
  }
  if (l.seccomp !== undefined) validateSeccomp(l.seccomp, 'linux.seccomp');
  const sysctl = optObj(l.sysctl, 'linux.sysctl');
  for (const [k, val] of Object.entries(sysctl ?? {})) {
    str(val, `linux.sysctl.${k}`);
    if (k.includes('..') || k.startsWith('/') || k.startsWith('.')) fail(`linux.sysctl.${k}`, 'invalid key');
  }
  for (const key of ['maskedPaths', 'readonlyPaths'])
    optArr(l[key], `linux.${key}`).forEach((m, i) => {
      if (typeof m !== 'string' || !m.startsWith('/')) absPath(m, `linux.${key}[${i}]`);
    });
}

/** Validate an already-parsed config object. */
export function validateSpec(v: Json): Spec {
  const s = obj(v, '(root)');
  const ver = str(s.ociVersion, 'ociVersion');
  if (!/^1\.\d+\.\d+/.test(ver)) fail('ociVersion', `unsupported version "${ver}" (expected 1.x.y)`);
  if (s.process !== undefined) validateProcess(s.process, 'process');
  const root = obj(s.root, 'root');
  if (typeof root.path !== 'string' || root.path === '') fail('root.path', 'must be a non-empty string');
  bool(root.readonly, 'root.readonly');
  optStr(s.hostname, 'hostname');
  optStr(s.domainname, 'domainname');
  optArr(s.mounts, 'mounts').forEach((m, i) => {
    const p = `mounts[${i}]`;
    const o = obj(m, p);
    absPath(o.destination, `${p}.destination`);
    optStr(o.type, `${p}.type`);
    optStr(o.source, `${p}.source`);
    strArr(o.options, `${p}.options`);
    idMappings(o.uidMappings, `${p}.uidMappings`);
    idMappings(o.gidMappings, `${p}.gidMappings`);
  });
  validateHooks(s.hooks);
  const ann = optObj(s.annotations, 'annotations');
  for (const [k, val] of Object.entries(ann ?? {})) str(val, `annotations.${k}`);
  validateLinux(s.linux);
  return s as unknown as Spec;
}

/** Parse config.json text; JSON syntax errors become one-line OciErrors. */
export function parseSpec(text: string, file = 'config.json'): Spec {
  let v: Json;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new OciError(`${file}: invalid JSON: ${(e as Error).message}`);
  }
  return validateSpec(v);
}

/** Validate the `process` object of `exec --process FILE` (user and cwd may be omitted). */
export function validateExecProcess(v: Json): import('./spec.js').Process {
  validateProcess(v, 'process', true);
  return v as import('./spec.js').Process;
}
