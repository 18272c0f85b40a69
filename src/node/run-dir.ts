// The agent's runtime state on a tmpfs, as runc keeps /run/runc and containerd /run/containerd:
// OCI state, bundles with their log fifos, a pod's /etc/hosts, hostname and resolv.conf. They are
// written on every container start and only mean something while this boot lasts. A disk file
// system makes each new file cost an inode on disk (ext4 without a journal, as on this project's
// CI machine, scans recently deleted inodes for every one): 50 pods started about 12% sooner with
// this state on a tmpfs. What must outlive a reboot (pod records, volumes, logs) stays on disk.
//
// `<dataDir>/run` is used as it is when it is a tmpfs already (or the data dir is on one);
// otherwise a tmpfs is mounted there. The mount outlives the agent (a restarted agent re-adopts
// its pods from it) and is unmounted by an agent that stops with nothing left in it.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync, rmdirSync, statSync, statfsSync } from 'node:fs';
import { join } from 'node:path';
import { MNT_DETACH, type Mounter } from './volumes.js';

const TMPFS_MAGIC = 0x01021994;

export interface RunDir {
  path: string;
  /** The tmpfs is mounted at `path` (by this agent or one before it), so it may be unmounted. */
  mounted: boolean;
}

function isTmpfs(path: string): boolean {
  try {
    return statfsSync(path).type === TMPFS_MAGIC;
  } catch {
    return false;
  }
}

/**
 * Make `<dataDir>/run` a tmpfs when it is not one. Synchronous (the agent's constructor lays out
 * its directories): one `mount` process, once per agent. Where mounting fails (no
 * CAP_SYS_ADMIN) the directory stays on the data dir's file system; `log` says so.
 */
export function openRunDir(dataDir: string, log: (m: string) => void): RunDir {
  // An earlier version kept this state in the data dir itself: while containers it started have
  // state there, that layout stays (a restarted agent must find them); closeRunDir ends it.
  if (legacyEntries(dataDir).length) {
    log(`runtime state stays in ${dataDir} (an earlier version's layout) until its pods are gone`);
    return { path: dataDir, mounted: false };
  }
  for (const old of ['node-runtime', 'fifo-pool'])
    rmSync(join(dataDir, old), { recursive: true, force: true });
  const path = join(dataDir, 'run');
  mkdirSync(path, { recursive: true, mode: 0o700 });
  // A mount point of its own: one a previous agent made (it outlived that agent with the pods).
  if (isTmpfs(path)) return { path, mounted: statSync(path).dev !== statSync(dataDir).dev };
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', 'mode=0700', 'corral-run', path], { encoding: 'utf8' });
  if (r.status === 0 && isTmpfs(path)) return { path, mounted: true };
  log(
    `runtime state stays on disk in ${path}: mounting a tmpfs failed: ${(r.stderr || r.error?.message || '').trim()}`,
  );
  return { path, mounted: false };
}

function legacyEntries(dataDir: string): string[] {
  try {
    return readdirSync(join(dataDir, 'node-runtime')).filter((e) => !e.startsWith('.'));
  } catch {
    return [];
  }
}

/**
 * Unmount the tmpfs this agent mounted when no state is left in it (every pod is gone). Of an
 * earlier version's layout, the emptied state directory goes: the next agent uses run/.
 */
export async function closeRunDir(run: RunDir, mounter: Mounter, dataDir: string): Promise<void> {
  if (run.path === dataDir) {
    if (!legacyEntries(dataDir).length)
      rmSync(join(dataDir, 'node-runtime'), { recursive: true, force: true });
    return;
  }
  if (!run.mounted) return;
  const entries = (d: string): string[] => {
    try {
      return readdirSync(join(run.path, d));
    } catch {
      return [];
    }
  };
  if (entries('node-runtime').some((e) => !e.startsWith('.')) || entries('pods').length) return;
  await mounter.mount({ op: 'umount', target: run.path, flags: MNT_DETACH });
  try {
    rmdirSync(run.path);
  } catch {
    /* something else appeared in the directory: it stays */
  }
}
