// An image's unpacked layers seen as overlayfs shows them, without mounting anything: for a
// container root filesystem that the runtime mounts in the container's own mount namespace
// (rootfs.ts `mountIn: 'container'`), the files the engine needs before the container exists
// (/etc/passwd and /etc/group for the user, the working directory) are looked up here.
import { chmodSync, chownSync, lstatSync, mkdirSync, type Stats } from 'node:fs';

import { layerDir, type LayerMeta } from './layer-dirs.js';
import { dirReader, type RootReader } from './user.js';
import { joinClean } from '../util/join-clean.js';

/** An entry of the merged view: the layer's diff directory that provides it, and its lstat. */
export interface LayerEntry {
  diff: string;
  stats: Stats;
}

/** A whiteout in overlay form: a character device 0/0. */
const isWhiteout = (st: Stats): boolean => st.isCharacterDevice() && st.rdev === 0;

/**
 * Looks a path (components below /) up through the layers: the topmost layer that has it wins;
 * a whiteout, an opaque directory or a non-directory on the way hides the layers below.
 * Symlinks are not followed. undefined: the merged view has nothing there.
 */
export function layersLookup(
  layersDir: string,
  metas: LayerMeta[],
): (rel: string[]) => LayerEntry | undefined {
  const top = [...metas].reverse();
  return (rel) => {
    const path = rel.join('/');
    for (const m of top) {
      const diff = joinClean(layerDir(layersDir, m.diffID), 'diff');
      // What this layer deletes is gone from the layers below it.
      let hidden = m.whiteouts.some((w) => w === path || path.startsWith(`${w}/`));
      hidden ||= m.opaque.includes(''); // an opaque root hides everything below
      let missing = false;
      for (let i = 1; i < rel.length; i++) {
        const dir = rel.slice(0, i).join('/');
        let st;
        try {
          st = lstatSync(joinClean(diff, dir));
        } catch {
          missing = true;
          break;
        }
        if (!st.isDirectory()) return undefined; // a file, symlink or whiteout hides the path
        if (m.opaque.includes(dir)) hidden = true;
      }
      if (!missing) {
        try {
          const stats = lstatSync(joinClean(diff, path));
          return isWhiteout(stats) ? undefined : { diff, stats };
        } catch {
          /* not in this layer */
        }
      }
      if (hidden) return undefined;
    }
    return undefined;
  };
}

/** Files read through a stack of layers: unpacked layers never change (content-addressed), and a
 *  long-running caller reads the same /etc/passwd and /etc/group for every container. */
const readCache = new Map<string, string>();

/** Reads a regular file through the layers ('' when missing, or not a regular file). */
export function layersReader(layersDir: string, metas: LayerMeta[]): RootReader {
  const lookup = layersLookup(layersDir, metas);
  const stack = `${layersDir}\0${metas.map((m) => m.diffID).join(',')}\0`;
  return (rel) => {
    const key = stack + rel.join('/');
    const hit = readCache.get(key);
    if (hit !== undefined) return hit;
    const e = lookup(rel);
    const text = e?.stats.isFile() ? dirReader(e.diff)(rel) : '';
    if (text.length < 1 << 16) {
      if (readCache.size >= 256) readCache.clear();
      readCache.set(key, text);
    }
    return text;
  };
}

/**
 * Make directory `path` (absolute, in the container) as the overlay will show it, by creating it
 * in the container's upper directory before the overlay is mounted: its missing components with
 * mode 0755, and the upper copies of the parents the layers have with their owner and mode (as a
 * copy-up would: an upper directory's attributes are what the merged one shows). Nothing is done
 * when the path exists, or when a component is a symlink (resolved in the container) or a file.
 */
export function ensureDirInUpper(
  lookup: (rel: string[]) => LayerEntry | undefined,
  upper: string,
  path: string,
): void {
  const rel = path.split('/').filter((c) => c && c !== '.');
  const found: (LayerEntry | undefined)[] = [];
  let firstMissing = -1;
  for (let i = 0; i < rel.length; i++) {
    const e = lookup(rel.slice(0, i + 1));
    if (!e) {
      firstMissing = i;
      break;
    }
    if (!e.stats.isDirectory()) return;
    found.push(e);
  }
  if (firstMissing < 0) return;
  let dir = upper;
  for (let i = 0; i < rel.length; i++) {
    dir = joinClean(dir, rel[i]!);
    try {
      if (lstatSync(dir).isDirectory()) continue;
      return; // not ours to replace
    } catch {
      /* to make */
    }
    const from = i < firstMissing ? found[i]!.stats : undefined;
    mkdirSync(dir);
    // Explicitly: mkdir's mode is cut by the umask.
    chmodSync(dir, from ? from.mode & 0o7777 : 0o755);
    if (from) chownSync(dir, from.uid, from.gid);
  }
}
