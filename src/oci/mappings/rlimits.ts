// RLIMIT_* names → resource numbers (asm-generic/resource.h; same on x86_64 and arm64).
export const RLIMITS: Record<string, number> = {
  RLIMIT_CPU: 0,
  RLIMIT_FSIZE: 1,
  RLIMIT_DATA: 2,
  RLIMIT_STACK: 3,
  RLIMIT_CORE: 4,
  RLIMIT_RSS: 5,
  RLIMIT_NPROC: 6,
  RLIMIT_NOFILE: 7,
  RLIMIT_MEMLOCK: 8,
  RLIMIT_AS: 9,
  RLIMIT_LOCKS: 10,
  RLIMIT_SIGPENDING: 11,
  RLIMIT_MSGQUEUE: 12,
  RLIMIT_NICE: 13,
  RLIMIT_RTPRIO: 14,
  RLIMIT_RTTIME: 15,
};

/** OCI uses uint64 where 2^64-1 (RLIM_INFINITY) means unlimited; JSON numbers past 2^53 lose precision. */
export function rlimitValue(n: number): bigint | -1 {
  return n >= 2 ** 63 ? -1 : BigInt(n);
}
