// The built-in `busybox` image, made from the host's busybox-static as a real OCI image: one
// layer, a deterministic tar of the rootfs from busybox-rootfs.ts (sorted entries, mtime 0,
// owner 0:0, normalised modes), gzip with a fixed header, a config with Cmd ["sh"]. The same
// busybox binary always gives the same digests, so it needs no network and is reproducible.
import {
  lstatSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';

import { gzipSync } from 'node:zlib';
import { HOST_BUSYBOX, makeBusyboxRootfs } from './busybox-rootfs.js';
import { sha256 } from './digest.js';
import type { Layout } from './layout.js';
import { writeTar, type TarWriteEntry } from './tar.js';
import { hostArch, MEDIA, type ImageConfig, type Manifest } from './types.js';
import { joinClean } from '../util/join-clean.js';
import { skipCodeCache } from '../util/code-cache-hint.js';

export { BUILTIN_ALIAS, BUILTIN_ANNOTATION, BUILTIN_NAME } from './builtin-names.js';
const EPOCH = '1970-01-01T00:00:00Z';

/** Entries of a directory tree, sorted, with owner, times and modes normalised. */
export function treeEntries(root: string): TarWriteEntry[] {
  const out: TarWriteEntry[] = [];
  const walk = (rel: string): void => {
    for (const name of readdirSync(joinClean(root, rel)).sort()) {
      const r = rel ? `${rel}/${name}` : name;
      const abs = joinClean(root, r);
      const st = lstatSync(abs);
      if (st.isDirectory()) {
        out.push({ name: r, type: 'dir', mode: st.mode & 0o1000 ? 0o1777 : 0o755 });
        walk(r);
      } else if (st.isSymbolicLink()) {
        out.push({ name: r, type: 'symlink', mode: 0o777, linkname: readlinkSync(abs) });
      } else if (st.isFile()) {
        out.push({ name: r, type: 'file', mode: st.mode & 0o111 ? 0o755 : 0o644, data: readFileSync(abs) });
      }
    }
  };
  walk('');
  return out;
}

/**
 * A fingerprint of the input: rebuilding is needed only when the host's busybox changes (or what
 * this file makes of it: the suffix names the layout of the rootfs).
 */
export function builtinSource(busybox = HOST_BUSYBOX): string {
  return `${sha256(readFileSync(busybox))}+etc-targets`;
}

/**
 * Empty files where a container gets its generated ones bind-mounted: with the mount targets in
 * the image, the runtime need not create them in the container's overlay, which would copy /etc
 * up into the container's upper dir at every start (and remove it again at every exit).
 */
const MOUNT_TARGETS = ['etc/hostname', 'etc/hosts', 'etc/resolv.conf'];

export interface BuiltImage {
  manifest: Buffer;
  config: Buffer;
  layer: Buffer;
  diffID: string;
}

/** The built-in image's blobs (no store involved: the same input gives the same bytes). */
export function buildBusyboxImage(busybox = HOST_BUSYBOX): BuiltImage {
  const tmp = mkdtempSync(joinClean(tmpdir(), 'corral-busybox-'));
  let tar: Buffer;
  try {
    const rootfs = makeBusyboxRootfs(joinClean(tmp, 'rootfs'), busybox);
    for (const f of MOUNT_TARGETS) writeFileSync(joinClean(rootfs, f), '');
    tar = writeTar(treeEntries(rootfs));
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  // Node's gzip header has mtime 0 and a fixed OS byte; level and strategy are pinned.
  const layer = gzipSync(tar, { level: 9 });
  const diffID = sha256(tar);
  const cfg: ImageConfig = {
    created: EPOCH,
    architecture: hostArch(),
    os: 'linux',
    config: {
      Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'],
      Cmd: ['sh'],
      WorkingDir: '/',
      Labels: { 'io.corral.builtin': 'busybox' },
    },
    rootfs: { type: 'layers', diff_ids: [diffID] },
    history: [{ created: EPOCH, created_by: `corral: busybox rootfs from the host's ${busybox}` }],
  };
  const config = Buffer.from(JSON.stringify(cfg));
  const m: Manifest = {
    schemaVersion: 2,
    mediaType: MEDIA.ociManifest,
    config: { mediaType: MEDIA.ociConfig, digest: sha256(config), size: config.length },
    layers: [{ mediaType: MEDIA.ociLayerGzip, digest: sha256(layer), size: layer.length }],
  };
  return { manifest: Buffer.from(JSON.stringify(m)), config, layer, diffID };
}

/** Put the built-in image's blobs in the layout; returns the manifest digest. */
export async function storeBusyboxImage(
  layout: Layout,
  busybox = HOST_BUSYBOX,
): Promise<{ digest: string; size: number }> {
  skipCodeCache(); // once per data dir: not what a command usually does
  const img = buildBusyboxImage(busybox);
  await layout.writeBuffer(img.layer);
  await layout.writeBuffer(img.config);
  return layout.writeBuffer(img.manifest);
}
