// ext4 puts a new directory in its parent's block group, unless the parent is the top of a
// directory hierarchy (FS_TOPDIR_FL, `chattr +T`): then, as for the file system's root, the Orlov
// allocator spreads the subdirectories over groups with free inodes and space. Corral's
// per-container and per-pod directories come and go by the hundred; kept in one group, the inodes
// their removals free pile up there, and ext4 without a journal looks at every recently freed
// inode of the group before it hands out a new one (it avoids reusing them for a while): a scan at
// every mkdir and file create, a tenth of the CPU of 50 pods starting on this machine (perf:
// recently_deleted). Spread out, each group holds few. Other file systems lack the flag; there
// this does nothing.
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';

/** Mark `dir` as the top of a hierarchy (e2fsprogs' chattr, which does the ioctl); best effort. */
export function markTopDir(dir: string): void {
  try {
    execFileSync('chattr', ['+T', dir], { stdio: 'ignore' });
  } catch {
    /* not ext2/3/4, or no chattr: the allocator's default placement */
  }
}

/** Make `dir` (and its parents) and mark it when this made it: once per directory, not per use. */
export function ensureTopDir(dir: string, mode = 0o711): void {
  if (mkdirSync(dir, { recursive: true, mode }) !== undefined) markTopDir(dir);
}
