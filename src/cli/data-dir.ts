// Where a Corral instance keeps its state. Every command takes --data-dir (or CORRAL_DATA_DIR),
// so several instances (and tests) can run side by side.
export const DEFAULT_DATA_DIR = '/var/lib/corral';

export function resolveDataDir(flag?: string): string {
  return flag ?? process.env.CORRAL_DATA_DIR ?? DEFAULT_DATA_DIR;
}
