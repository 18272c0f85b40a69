// A container's root filesystem from an image: an overlayfs snapshot (the image's unpacked layers
// read-only below, the container's own upper and work dirs above) mounted at
// `<dataDir>/containers/<id>/rootfs`. Where overlayfs is unavailable (or a layer could not be put
// in overlay form) the layers are copied into the rootfs dir in order instead, applying whiteouts
// and opaque dirs by deletion. The layers a container uses are recorded next to it so `prune`
// keeps them while it exists.
import { execFile } from 'node:child_process';
import {
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  rmdirSync,
  writeFileSync,
} from 'node:fs';
import { release } from 'node:os';
import { dirname } from 'node:path';

import { digestHex } from './digest.js';
import { ImageError } from './errors.js';
import { removeDir, unlinkQuiet } from './fsutil.js';
import { layerDir, parentsAreDirs, readLayerMeta, type LayerMeta } from './layer-dirs.js';
import { ensureDirInUpper, layersLookup, layersReader } from './layers-view.js';
import { dirReader, type RootReader } from './user.js';
import type { ImageRecord } from './types.js';
import { joinClean } from '../util/join-clean.js';

export type RootfsDriver = 'overlay' | 'copy';

/** The part of the store prepareRootfs needs (ImageStore implements it). */
export interface LayerSource {
  readonly dataDir: string;
  readonly layersDir: string;
  /** Unpack the image's layers if any is missing (e.g. after a prune); returns their metas. */
  ensureLayers(image: ImageRecord): Promise<LayerMeta[]>;
}

/** The overlay a runtime mounts at `/` of the container (an OCI mount with destination "/"). */
export interface RootfsMount {
  type: 'overlay';
  source: 'overlay';
  options: string[];
}

export interface PreparedRootfs {
  rootfs: string;
  driver: RootfsDriver;
  /**
   * Set with `mountIn: 'container'`: the rootfs directory stays empty on the host and this overlay
   * must be mounted onto it in the container's mount namespace (the runtime's job).
   */
  mount?: RootfsMount;
  /** Reads a file of the container's root filesystem as the image has it (e.g. /etc/passwd). */
  read: RootReader;
  /**
   * Make a directory of the container (absolute path, e.g. its working directory) unless it
   * exists; nothing when a component is a symlink (the runtime resolves those in the container)
   * or a file.
   */
  ensureDir(path: string): void;
  release(): Promise<void>;
}

export interface PrepareOptions {
  driver?: RootfsDriver;
  /**
   * `host` (default): the overlay is mounted at the rootfs path here (one `mount`, and an
   * `umount` at release). `container`: it is returned as `mount` for the runtime to mount in the
   * container's own mount namespace: no process spawned, nothing left mounted on the host.
   */
  mountIn?: 'host' | 'container';
  /**
   * With `mountIn: 'container'`: the directory the overlay goes on (made here, removed at
   * release), e.g. the rootfs of the container's OCI bundle on the node agent's tmpfs; by default
   * `<container dir>/rootfs`. Only the upper and work dirs need the disk.
   */
  mountpoint?: string;
  /**
   * A container whose writes nobody keeps (`run --rm`): the overlay is mounted `volatile`
   * (Linux ≥ 5.10), as podman does for `--rm`. Without it, the unmount at the container's exit
   * syncs the whole file system the upper dir is on, and the exit waits for that (1.5 ms here).
   * Ignored on older kernels and by the copy fallback.
   */
  volatile?: boolean;
}

/** Mount options are limited to one page. */
const MAX_OPTIONS = 4000;

const ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

function exec(cmd: string, args: string[], cwd?: string): Promise<void> {
  return new Promise((resolve, reject) =>
    execFile(cmd, args, { cwd }, (err, _o, stderr) =>
      err ? reject(new Error((stderr || err.message).toString().trim().split('\n')[0])) : resolve(),
    ),
  );
}

let overlaySupported: boolean | undefined;
function overlayAvailable(): boolean {
  if (overlaySupported === undefined) {
    try {
      overlaySupported = /\toverlay$/m.test(readFileSync('/proc/filesystems', 'utf8'));
    } catch {
      overlaySupported = false;
    }
  }
  return overlaySupported;
}

/** overlayfs has the `volatile` option since Linux 5.10. */
export function volatileOverlaySupported(kernel = release()): boolean {
  const [major = 0, minor = 0] = kernel.split('.').map((n) => parseInt(n, 10));
  return major > 5 || (major === 5 && minor >= 10);
}

function isMountpoint(path: string): boolean {
  const esc = path.replace(/[ \t\n\\]/g, (c) => `\\${c.charCodeAt(0).toString(8).padStart(3, '0')}`);
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .some((l) => l.split(' ')[4] === esc);
}

/** The container's directory and the layers it uses (read by prune). */
export function containerDir(dataDir: string, id: string): string {
  return joinClean(dataDir, 'containers', id);
}

/** diffIDs used by every prepared container rootfs under dataDir. */
export function layersInUse(dataDir: string): Set<string> {
  const out = new Set<string>();
  const dir = joinClean(dataDir, 'containers');
  if (!existsSync(dir)) return out;
  for (const id of readdirSync(dir)) {
    try {
      for (const l of JSON.parse(readFileSync(joinClean(dir, id, 'image-layers.json'), 'utf8')) as string[])
        out.add(l);
    } catch {
      /* not one of ours, or being released */
    }
  }
  return out;
}

export async function prepareRootfsWith(
  src: LayerSource,
  image: ImageRecord,
  containerId: string,
  opts: PrepareOptions = {},
): Promise<PreparedRootfs> {
  if (!ID.test(containerId))
    throw new ImageError(
      `container id "${containerId}" must be letters, digits, '_', '.', '-' (at most 128)`,
    );
  const dir = containerDir(src.dataDir, containerId);
  const own = joinClean(dir, 'rootfs');
  const upper = joinClean(dir, 'upper');
  const work = joinClean(dir, 'work');
  const volatile = !!opts.volatile && volatileOverlaySupported();
  for (const p of [own, upper])
    if (existsSync(p))
      throw new ImageError(
        `container "${containerId}" already has a root filesystem at ${dir}: release it first`,
      );
  // Where the rootfs goes: the caller's mount point only for an overlay the runtime mounts (the
  // copy fallback fills the directory, which belongs on the disk).
  let rootfs = own;
  mkdirSync(dir, { recursive: true });
  // Recorded before the layers are (re)unpacked, so a concurrent prune keeps them.
  writeFileSync(joinClean(dir, 'image-layers.json'), JSON.stringify(image.layers));
  const cleanup = (): void => {
    // work/work is made by overlayfs (empty once unmounted), with a volatile one's marker in it:
    // work/work/incompat/volatile/dirty (named here: a directory to list costs more calls).
    const marker = joinClean(work, 'work', 'incompat', 'volatile');
    if (volatile) unlinkQuiet(joinClean(marker, 'dirty'));
    const markerDirs = volatile ? [marker, dirname(marker)] : [];
    for (const p of [rootfs, upper, ...markerDirs, joinClean(work, 'work'), work]) removeDir(p);
    unlinkQuiet(joinClean(dir, 'image-layers.json'));
    try {
      rmdirSync(dir); // only if nobody else keeps files there
    } catch {
      /* not empty */
    }
  };
  try {
    const metas = await src.ensureLayers(image);
    let driver: RootfsDriver =
      opts.driver ?? (process.env.CORRAL_ROOTFS_DRIVER === 'copy' ? 'copy' : 'overlay');
    if (driver === 'overlay' && (!overlayAvailable() || metas.some((m) => !m.overlay))) driver = 'copy';
    if (driver === 'overlay' && opts.mountIn === 'container' && opts.mountpoint) rootfs = opts.mountpoint;
    mkdirSync(rootfs, { recursive: rootfs !== own });
    if (driver === 'overlay' && opts.mountIn === 'container') {
      const options = overlayOptions(src.layersDir, image.layers, upper, work, true, volatile);
      // Too long for one mount call with absolute paths: the host mount (relative paths) instead.
      if (options.join(',').length <= MAX_OPTIONS) {
        const lookup = layersLookup(src.layersDir, metas);
        return {
          rootfs,
          driver,
          mount: { type: 'overlay', source: 'overlay', options },
          read: layersReader(src.layersDir, metas),
          ensureDir: (path) => ensureDirInUpper(lookup, upper, path),
          release: once(async () => cleanup()),
        };
      }
    }
    if (driver === 'overlay') {
      try {
        await mountOverlay(src.layersDir, image.layers, upper, work, rootfs, volatile);
      } catch (e) {
        if (opts.driver === 'overlay')
          throw new ImageError(`cannot mount the overlay root filesystem: ${(e as Error).message}`);
        driver = 'copy';
        if (rootfs !== own) {
          removeDir(rootfs);
          rootfs = own;
          mkdirSync(own);
        }
      }
    }
    if (driver === 'copy') await copyLayers(src.layersDir, metas, rootfs);
    return {
      rootfs,
      driver,
      read: dirReader(rootfs),
      ensureDir: (path) => ensureDirIn(rootfs, path),
      release: once(async () => {
        if (driver === 'overlay' && isMountpoint(rootfs)) {
          await exec('umount', [rootfs]).catch(async () => exec('umount', ['-l', rootfs]));
        }
        cleanup();
      }),
    };
  } catch (e) {
    if (isMountpoint(rootfs)) await exec('umount', ['-l', rootfs]).catch(() => undefined);
    cleanup();
    throw e;
  }
}

/** ensureDir of a root filesystem that is a directory here (mounted or copied). */
function ensureDirIn(rootfs: string, path: string): void {
  let p = rootfs;
  for (const c of path.split('/').filter(Boolean)) {
    p = joinClean(p, c);
    try {
      const st = lstatSync(p);
      if (!st.isDirectory()) return; // a symlink or a file
    } catch {
      mkdirSync(p, { mode: 0o755 });
    }
  }
}

const once = (fn: () => Promise<void>): (() => Promise<void>) => {
  let done: Promise<void> | undefined;
  return () => (done ??= fn());
};

/** The overlay's options; makes upper and work. Lower dirs are relative to the layers dir unless
 *  `absolute` (a mount made elsewhere than in that directory). */
function overlayOptions(
  layersDir: string,
  layers: string[],
  upper: string,
  work: string,
  absolute: boolean,
  volatile: boolean,
): string[] {
  mkdirSync(upper, { recursive: true });
  mkdirSync(work, { recursive: true });
  const lower = [...layers]
    .reverse()
    .map((d) => (absolute ? joinClean(layersDir, digestHex(d), 'diff') : `${digestHex(d)}/diff`));
  if (lower.length === 0) {
    // overlayfs needs a lower dir: an empty one for an image without layers.
    mkdirSync(joinClean(upper, '..', 'empty'), { recursive: true });
    lower.push(joinClean(upper, '..', 'empty'));
  }
  const options = [`lowerdir=${lower.join(':')}`, `upperdir=${upper}`, `workdir=${work}`];
  return volatile ? [...options, 'volatile'] : options;
}

async function mountOverlay(
  layersDir: string,
  layers: string[],
  upper: string,
  work: string,
  target: string,
  volatile: boolean,
): Promise<void> {
  // Lower dirs relative to the layers dir (mount runs there) keep the option string short:
  // mount options are limited to one page.
  const options = overlayOptions(layersDir, layers, upper, work, false, volatile).join(',');
  if (options.length > MAX_OPTIONS)
    throw new Error(`too many layers for one overlay mount (${layers.length})`);
  await exec('mount', ['-t', 'overlay', 'overlay', '-o', options, target], layersDir);
}

/** Where a layer has a directory and the rootfs so far has a non-directory, the layer's wins. */
function replaceNonDirs(diff: string, rootfs: string, rel = ''): void {
  for (const e of readdirSync(joinClean(diff, rel), { withFileTypes: true })) {
    if (!e.isDirectory()) continue;
    const r = rel ? `${rel}/${e.name}` : e.name;
    let st;
    try {
      st = lstatSync(joinClean(rootfs, r));
    } catch {
      continue; // cp creates it
    }
    if (!st.isDirectory()) {
      rmSync(joinClean(rootfs, r), { force: true });
      continue; // nothing below it in the rootfs yet
    }
    replaceNonDirs(diff, rootfs, r);
  }
}

async function copyLayers(layersDir: string, metas: LayerMeta[], rootfs: string): Promise<void> {
  for (const m of metas) {
    const diff = joinClean(layerDir(layersDir, m.diffID), 'diff');
    // Deletions never go through a symlink (it could point out of the rootfs); under one there is
    // nothing of the lower layers to delete anyway, as the layer's directory replaces it.
    for (const d of m.opaque) {
      const abs = joinClean(rootfs, d);
      if (d && !parentsAreDirs(rootfs, `${d}/x`)) continue;
      if (existsSync(abs) && lstatSync(abs).isDirectory())
        for (const e of readdirSync(abs)) rmSync(joinClean(abs, e), { recursive: true, force: true });
    }
    for (const w of m.whiteouts)
      if (parentsAreDirs(rootfs, w)) rmSync(joinClean(rootfs, w), { recursive: true, force: true });
    // cp must never write through a symlink of a lower layer.
    replaceNonDirs(diff, rootfs);
    // cp -a keeps owners, modes, times, links, devices and xattrs.
    await exec('cp', ['-a', '--', `${diff}/.`, rootfs]);
    // The whiteout devices came along with the copy; they are not files of the image.
    if (m.overlay)
      for (const w of m.whiteouts)
        if (parentsAreDirs(rootfs, w)) rmSync(joinClean(rootfs, w), { force: true });
  }
}

export { readLayerMeta, layersReader };
