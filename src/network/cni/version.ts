// CNI spec versions: which ones Corral speaks and how they compare. 0.3.x results have the same
// shape as 0.4.0 (0.4.0 only added CHECK), so configurations declaring them are accepted too.

export const SUPPORTED_VERSIONS = ['0.3.0', '0.3.1', '0.4.0', '1.0.0', '1.1.0'] as const;

/** The newest version Corral speaks; sent with VERSION. */
export const LATEST_VERSION = '1.1.0';

/** Negative, zero or positive as `a` is older than, equal to or newer than `b` ("1.0.0" form). */
export function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < 3; i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

export function atLeast(version: string, min: string): boolean {
  return compareVersions(version, min) >= 0;
}

export function isSupportedVersion(v: string): boolean {
  return (SUPPORTED_VERSIONS as readonly string[]).includes(v);
}
