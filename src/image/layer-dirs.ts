// The unpacked layers under `<dataDir>/layers/<diffID hex>/`: where a layer is, what its
// meta.json says (written by unpack.ts), and the one path check every writer into a root uses.
// Apart from unpack.ts, so that using unpacked layers (a container's rootfs) loads no unpacker.
import { lstatSync, readFileSync } from 'node:fs';

import { digestHex } from './digest.js';
import { joinClean } from '../util/join-clean.js';

export interface LayerMeta {
  diffID: string;
  /** Bytes of regular-file content in the layer. */
  size: number;
  /** Paths (relative, no leading slash) the layer deletes from the layers below. */
  whiteouts: string[];
  /** Directories whose content from the layers below is hidden. */
  opaque: string[];
  /** Whiteouts are in overlay form on disk (device nodes and xattrs could be made). */
  overlay: boolean;
}

export function layerDir(layersRoot: string, diffID: string): string {
  return joinClean(layersRoot, digestHex(diffID, 'diffID'));
}

export function readLayerMeta(layersRoot: string, diffID: string): LayerMeta | undefined {
  try {
    return JSON.parse(
      readFileSync(joinClean(layerDir(layersRoot, diffID), 'meta.json'), 'utf8'),
    ) as LayerMeta;
  } catch {
    return undefined;
  }
}

/**
 * Is every parent of `rel` inside `root` a real directory? A path that passes through a symlink
 * must never be written, deleted or linked through: the symlink could point out of the root.
 */
export function parentsAreDirs(root: string, rel: string): boolean {
  const parts = rel.split('/').filter(Boolean);
  parts.pop();
  let cur = root;
  for (const p of parts) {
    cur = joinClean(cur, p);
    try {
      if (!lstatSync(cur).isDirectory()) return false;
    } catch {
      return false;
    }
  }
  return true;
}
