// Resolve a moby/containers-common seccomp profile (with archMap and includes/excludes by
// capability, arch and kernel version) into the OCI `linux.seccomp` of one container, like
// containers/common pkg/seccomp setupSeccomp does.
import { release } from 'node:os';
import type { Seccomp, SeccompSyscall } from '../spec.js';
import { DEFAULT_SECCOMP_PROFILE } from './seccomp-profile.js';

interface Filter {
  caps?: string[];
  arches?: string[];
  minKernel?: string;
}

export interface DockerSeccompProfile {
  defaultAction: string;
  defaultErrnoRet?: number;
  defaultErrno?: string;
  archMap?: { architecture: string; subArchitectures: string[] | null }[];
  syscalls: {
    names: string[];
    action: string;
    args?: { index: number; value: number; valueTwo?: number; op: string }[] | null;
    errnoRet?: number;
    errno?: string;
    comment?: string;
    includes?: Filter;
    excludes?: Filter;
  }[];
}

/** Node's process.arch → the names profiles use (Go GOARCH) and libseccomp's SCMP_ARCH_*. */
const ARCH: Record<string, [string, string]> = {
  x64: ['amd64', 'SCMP_ARCH_X86_64'],
  arm64: ['arm64', 'SCMP_ARCH_AARCH64'],
  arm: ['arm', 'SCMP_ARCH_ARM'],
  ia32: ['386', 'SCMP_ARCH_X86'],
  s390x: ['s390x', 'SCMP_ARCH_S390X'],
  ppc64: ['ppc64le', 'SCMP_ARCH_PPC64LE'],
  riscv64: ['riscv64', 'SCMP_ARCH_RISCV64'],
};

function kernelAtLeast(min: string, have: string): boolean {
  const a = min.split('.').map((x) => parseInt(x, 10));
  const b = have.split(/[.-]/).map((x) => parseInt(x, 10));
  for (let i = 0; i < 2; i++) {
    const x = a[i] ?? 0;
    const y = b[i] ?? 0;
    if (y !== x) return y > x;
  }
  return true;
}

export function resolveSeccompProfile(
  profile: DockerSeccompProfile,
  caps: readonly string[],
  arch: string = process.arch,
  kernel: string = release(),
): Seccomp {
  const [goArch, scmpArch] = ARCH[arch] ?? [arch, ''];
  const architectures: string[] = [];
  for (const m of profile.archMap ?? []) {
    if (m.architecture === scmpArch) architectures.push(m.architecture, ...(m.subArchitectures ?? []));
  }
  const hasCap = (c: string) => caps.includes(c);
  const syscalls: SeccompSyscall[] = [];
  for (const s of profile.syscalls) {
    const inc = s.includes ?? {};
    const exc = s.excludes ?? {};
    if (inc.arches?.length && !inc.arches.includes(goArch)) continue;
    if (inc.caps?.length && !inc.caps.every(hasCap)) continue;
    if (inc.minKernel && !kernelAtLeast(inc.minKernel, kernel)) continue;
    if (exc.arches?.length && exc.arches.includes(goArch)) continue;
    if (exc.caps?.length && exc.caps.some(hasCap)) continue;
    if (exc.minKernel && kernelAtLeast(exc.minKernel, kernel)) continue;
    const out: SeccompSyscall = { names: [...s.names], action: s.action };
    if (s.errnoRet !== undefined) out.errnoRet = s.errnoRet;
    if (s.args?.length) out.args = s.args.map((a) => ({ ...a, valueTwo: a.valueTwo ?? 0 }));
    syscalls.push(out);
  }
  const r: Seccomp = { defaultAction: profile.defaultAction, architectures, syscalls };
  if (profile.defaultErrnoRet !== undefined) r.defaultErrnoRet = profile.defaultErrnoRet;
  return r;
}

/** podman's default profile for the given capabilities, as an OCI `linux.seccomp`. */
export function defaultSeccomp(caps: readonly string[], arch?: string): Seccomp {
  return resolveSeccompProfile(DEFAULT_SECCOMP_PROFILE, caps, arch);
}
