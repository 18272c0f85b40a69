// Whether a path is a namespace (nsfs): a pinned /run/netns/NAME bind mount or /proc/PID/ns/net.
// A pin file left after a reboot or a failed unmount exists but is not one, and plugins must not
// be handed it as CNI_NETNS.
import { statfsSync } from 'node:fs';

const NSFS_MAGIC = 0x6e736673;

export function netnsState(path: string): 'namespace' | 'missing' | 'not-namespace' {
  if (!path) return 'missing';
  try {
    return statfsSync(path).type === NSFS_MAGIC ? 'namespace' : 'not-namespace';
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return 'missing';
    return 'not-namespace';
  }
}
