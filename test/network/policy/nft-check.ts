// `nft -c -f -` (parse and check against the kernel without committing) in a throwaway network
// namespace, so validating a script never touches the host's ruleset. Non-root uses a user
// namespace for the privilege.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const root = process.getuid?.() === 0;
const NFT = ['/usr/sbin/nft', '/sbin/nft', '/usr/bin/nft'].find((p) => existsSync(p));

function probe(): string | undefined {
  if (!NFT) return 'nft is not installed';
  const r = spawnSync('unshare', [root ? '-n' : '-rn', NFT, '-c', '-f', '-'], {
    input: 'table inet probe {}\n',
  });
  return r.status === 0
    ? undefined
    : `cannot run nft -c in a new network namespace: ${String(r.stderr).trim()}`;
}

/** Why nftCheck cannot run here, or undefined when it can. */
export const nftCheckUnavailable = probe();

/** nft's error output for `script`, or '' when it checks out. */
export function nftCheck(script: string): string {
  const r = spawnSync('unshare', [root ? '-n' : '-rn', NFT!, '-c', '-f', '-'], {
    input: script,
    maxBuffer: 64 << 20,
  });
  return r.status === 0 ? '' : String(r.stderr).trim() || `exit ${r.status}`;
}
