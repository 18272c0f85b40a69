// OCI `linux.seccomp` → the line profile `corral-helper seccomp-compile` reads (format documented in
// native/seccomp_compile.c and native/PLAN.md). Pure and deterministic: the text is the cache key.

export class SeccompConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SeccompConfigError';
  }
}

export interface OciSeccompArg {
  index: number;
  value: number | bigint;
  valueTwo?: number | bigint;
  op: string;
}

export interface OciSeccompSyscall {
  names: string[];
  action: string;
  errnoRet?: number;
  args?: OciSeccompArg[];
}

export interface OciSeccomp {
  defaultAction: string;
  defaultErrnoRet?: number;
  architectures?: string[];
  flags?: string[];
  listenerPath?: string;
  syscalls?: OciSeccompSyscall[];
}

export interface SeccompProfile {
  /** The profile text for the helper. */
  text: string;
  /** Flags for seccomp(SECCOMP_SET_MODE_FILTER): the plan's `seccomp-flags` record. */
  flags: number;
}

const EPERM = 1;

// SCMP_ARCH_* of the OCI spec → libseccomp's architecture names
const ARCHES: Record<string, string> = {
  SCMP_ARCH_X86: 'x86',
  SCMP_ARCH_X86_64: 'x86_64',
  SCMP_ARCH_X32: 'x32',
  SCMP_ARCH_ARM: 'arm',
  SCMP_ARCH_AARCH64: 'aarch64',
  SCMP_ARCH_MIPS: 'mips',
  SCMP_ARCH_MIPS64: 'mips64',
  SCMP_ARCH_MIPS64N32: 'mips64n32',
  SCMP_ARCH_MIPSEL: 'mipsel',
  SCMP_ARCH_MIPSEL64: 'mipsel64',
  SCMP_ARCH_MIPSEL64N32: 'mipsel64n32',
  SCMP_ARCH_PPC: 'ppc',
  SCMP_ARCH_PPC64: 'ppc64',
  SCMP_ARCH_PPC64LE: 'ppc64le',
  SCMP_ARCH_S390: 's390',
  SCMP_ARCH_S390X: 's390x',
  SCMP_ARCH_PARISC: 'parisc',
  SCMP_ARCH_PARISC64: 'parisc64',
  SCMP_ARCH_RISCV64: 'riscv64',
};

// SECCOMP_FILTER_FLAG_* (linux/seccomp.h)
const FLAGS: Record<string, number> = {
  SECCOMP_FILTER_FLAG_TSYNC: 1,
  SECCOMP_FILTER_FLAG_LOG: 2,
  SECCOMP_FILTER_FLAG_SPEC_ALLOW: 4,
};

const OPS: Record<string, string> = {
  SCMP_CMP_NE: 'NE',
  SCMP_CMP_LT: 'LT',
  SCMP_CMP_LE: 'LE',
  SCMP_CMP_EQ: 'EQ',
  SCMP_CMP_GE: 'GE',
  SCMP_CMP_GT: 'GT',
  SCMP_CMP_MASKED_EQ: 'MASKED_EQ',
};

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function errnoValue(v: unknown, path: string): number | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 0xffff)
    throw new SeccompConfigError(
      `${path}: must be an errno number between 0 and 65535, got ${JSON.stringify(v)}`,
    );
  return v;
}

function action(name: unknown, errnoRet: number | undefined, path: string, errnoPath: string): string {
  switch (name) {
    case 'SCMP_ACT_ALLOW':
    case 'SCMP_ACT_KILL':
    case 'SCMP_ACT_KILL_THREAD':
    case 'SCMP_ACT_KILL_PROCESS':
    case 'SCMP_ACT_TRAP':
    case 'SCMP_ACT_LOG': {
      if (errnoRet !== undefined)
        throw new SeccompConfigError(
          `${errnoPath}: only SCMP_ACT_ERRNO and SCMP_ACT_TRACE take an errno, not ${name}`,
        );
      const a = name.slice('SCMP_ACT_'.length);
      return a === 'KILL_THREAD' ? 'KILL' : a;
    }
    case 'SCMP_ACT_ERRNO':
      return `ERRNO ${errnoRet ?? EPERM}`;
    case 'SCMP_ACT_TRACE':
      return `TRACE ${errnoRet ?? EPERM}`;
    case 'SCMP_ACT_NOTIFY':
      throw new SeccompConfigError(
        `${path}: SCMP_ACT_NOTIFY (seccomp user notification) is not supported; use another action`,
      );
    default:
      throw new SeccompConfigError(`${path}: unknown action ${JSON.stringify(name)}`);
  }
}

function u64(v: unknown, path: string): bigint {
  let b: bigint;
  if (typeof v === 'bigint') b = v;
  else if (typeof v === 'number' && Number.isInteger(v)) b = BigInt(v);
  else throw new SeccompConfigError(`${path}: must be an unsigned integer, got ${JSON.stringify(v)}`);
  if (b < 0n || b >= 1n << 64n)
    throw new SeccompConfigError(`${path}: ${b} is out of the unsigned 64-bit range`);
  return b;
}

function argConditions(args: unknown, path: string): string[] {
  if (args === undefined) return [];
  if (!Array.isArray(args)) throw new SeccompConfigError(`${path}: must be an array`);
  if (args.length > 6)
    throw new SeccompConfigError(`${path}: a syscall has at most 6 arguments, got ${args.length} conditions`);
  return args.map((a: unknown, i) => {
    const p = `${path}[${i}]`;
    if (!isObject(a)) throw new SeccompConfigError(`${p}: must be an object`);
    const index = a.index;
    if (typeof index !== 'number' || !Number.isInteger(index) || index < 0 || index > 5)
      throw new SeccompConfigError(`${p}.index: must be 0 to 5, got ${JSON.stringify(index)}`);
    const op = OPS[a.op as string];
    if (!op) throw new SeccompConfigError(`${p}.op: unknown operator ${JSON.stringify(a.op)}`);
    return `arg ${index} ${op} ${u64(a.value, `${p}.value`)} ${a.valueTwo === undefined ? 0n : u64(a.valueTwo, `${p}.valueTwo`)}`;
  });
}

/** Validate `seccomp` (the OCI object at `jsonPath`) and convert it. Errors name the JSON path. */
export function seccompProfile(seccomp: unknown, jsonPath = 'linux.seccomp'): SeccompProfile {
  if (!isObject(seccomp)) throw new SeccompConfigError(`${jsonPath}: must be an object`);
  const s = seccomp;
  if (s.listenerPath !== undefined && s.listenerPath !== '')
    throw new SeccompConfigError(
      `${jsonPath}.listenerPath: seccomp user notification is not supported; remove it`,
    );
  const lines = ['# corral seccomp profile v1'];
  const defErrno = errnoValue(s.defaultErrnoRet, `${jsonPath}.defaultErrnoRet`);
  if (s.defaultAction === undefined) throw new SeccompConfigError(`${jsonPath}.defaultAction: is required`);
  const def = action(s.defaultAction, defErrno, `${jsonPath}.defaultAction`, `${jsonPath}.defaultErrnoRet`);
  lines.push(`default ${def}`);

  if (s.architectures !== undefined) {
    if (!Array.isArray(s.architectures))
      throw new SeccompConfigError(`${jsonPath}.architectures: must be an array`);
    s.architectures.forEach((a: unknown, i) => {
      const name = ARCHES[a as string];
      if (!name)
        throw new SeccompConfigError(
          `${jsonPath}.architectures[${i}]: unknown architecture ${JSON.stringify(a)}`,
        );
      lines.push(`arch ${name}`);
    });
  }

  let flags = 0;
  if (s.flags !== undefined) {
    if (!Array.isArray(s.flags)) throw new SeccompConfigError(`${jsonPath}.flags: must be an array`);
    s.flags.forEach((f: unknown, i) => {
      const v = FLAGS[f as string];
      if (v === undefined)
        throw new SeccompConfigError(
          `${jsonPath}.flags[${i}]: unknown or unsupported flag ${JSON.stringify(f)}`,
        );
      flags |= v;
    });
  }

  if (s.syscalls !== undefined && !Array.isArray(s.syscalls))
    throw new SeccompConfigError(`${jsonPath}.syscalls: must be an array`);
  ((s.syscalls ?? []) as unknown[]).forEach((sc, i) => {
    const p = `${jsonPath}.syscalls[${i}]`;
    if (!isObject(sc)) throw new SeccompConfigError(`${p}: must be an object`);
    // `name` is the pre-1.0 spelling of a single-element `names`
    const names = sc.names ?? (sc.name !== undefined ? [sc.name] : undefined);
    if (!Array.isArray(names) || names.length === 0)
      throw new SeccompConfigError(`${p}.names: must be a non-empty array of syscall names`);
    const act = action(sc.action, errnoValue(sc.errnoRet, `${p}.errnoRet`), `${p}.action`, `${p}.errnoRet`);
    const conds = argConditions(sc.args, `${p}.args`);
    // As runc: conditions on distinct arguments are ANDed in one rule; when an argument index
    // repeats (e.g. personality(0) || personality(8)), each condition becomes its own rule (OR).
    const indexes = conds.map((c) => c.split(' ')[1]);
    const repeated = new Set(indexes).size !== indexes.length;
    names.forEach((n: unknown, j) => {
      if (typeof n !== 'string' || !/^[a-z0-9_]+$/.test(n))
        throw new SeccompConfigError(`${p}.names[${j}]: not a syscall name: ${JSON.stringify(n)}`);
      if (repeated) for (const c of conds) lines.push(`rule ${n} ${act} ${c}`);
      else lines.push([`rule ${n} ${act}`, ...conds].join(' '));
    });
  });
  return { text: lines.join('\n') + '\n', flags };
}
