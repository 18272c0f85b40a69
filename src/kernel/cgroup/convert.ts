// Unit conversions between the OCI/Kubernetes numbers and what the kernel files take.
// Kubelet formulas: pkg/kubelet/cm/helpers_linux.go. Shares → weight: the 2025 quadratic map used
// by runc (opencontainers/cgroups#20), crun (#1721) and Kubernetes (#131216).

export const MIN_SHARES = 2;
export const MAX_SHARES = 262144;
export const SHARES_PER_CPU = 1024;
export const MILLI_CPU_PER_CPU = 1000;
export const QUOTA_PERIOD_USEC = 100000;
export const MIN_QUOTA_USEC = 1000;

/** cgroup v1 cpu.shares → cgroup v2 cpu.weight, quadratic map: 2→1, 1024→100, 262144→10000; 0 → 0 (unset). */
export function sharesToWeight(shares: number): number {
  if (shares === 0) return 0;
  if (shares <= MIN_SHARES) return 1;
  if (shares >= MAX_SHARES) return 10000;
  const l = Math.log2(shares);
  const exponent = (l * l + 125 * l) / 612 - 7 / 34;
  // Round away float noise first: at the fixed points (1024 → exactly 10^2) ceil must not add 1.
  return Math.ceil(Number(Math.pow(10, exponent).toPrecision(12)));
}

/** The pre-2025 linear map (KEP-2254): 1 + (shares-2)*9999/262142, so 1024 shares → 39. */
export function sharesToWeightLinear(shares: number): number {
  if (shares === 0) return 0;
  return 1 + Math.floor(((shares - MIN_SHARES) * 9999) / 262142);
}

/** Inverse of the linear map: 2 + (weight-1)*262142/9999. */
export function weightToSharesLinear(weight: number): number {
  if (weight === 0) return 0;
  return 2 + Math.floor(((weight - 1) * 262142) / 9999);
}

/** Kubelet MilliCPUToShares: milliCPU*1024/1000 clamped to [2, 262144]. */
export function milliCPUToShares(milliCPU: number): number {
  if (milliCPU === 0) return MIN_SHARES;
  const shares = Math.floor((milliCPU * SHARES_PER_CPU) / MILLI_CPU_PER_CPU);
  return Math.min(MAX_SHARES, Math.max(MIN_SHARES, shares));
}

/** Kubelet MilliCPUToQuota: milliCPU*period/1000, at least 1000 µs; 0 milliCPU → 0 (no quota). */
export function milliCPUToQuota(milliCPU: number, period = QUOTA_PERIOD_USEC): number {
  if (milliCPU === 0) return 0;
  const quota = Math.floor((milliCPU * period) / MILLI_CPU_PER_CPU);
  return Math.max(MIN_QUOTA_USEC, quota);
}

/** OCI memory.swap (memory+swap) → cgroup v2 memory.swap.max (swap only); undefined = leave as is. */
export function swapToV2(swap: number | undefined, limit: number | undefined): string | undefined {
  if (swap === undefined || swap === 0) return undefined;
  if (swap === -1) return 'max';
  if (limit === undefined || limit <= 0) {
    throw new RangeError('a swap limit needs a memory limit');
  }
  if (swap < limit) throw new RangeError(`memory+swap (${swap}) is below the memory limit (${limit})`);
  return String(swap - limit);
}

export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  let v = n;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${n} B` : `${v.toFixed(1)} ${units[i]}`;
}
