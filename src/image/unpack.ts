// Unpack a layer blob once into `<dataDir>/layers/<diffID hex>/diff`, shared by every image and
// container that uses it. The uncompressed stream is hashed on the way through and must match the
// diffID the image config names. Whiteouts are converted to overlayfs' own form as they are
// written (`.wh.NAME` → a 0:0 character device NAME; `.wh..wh..opq` → the directory gets
// trusted.overlay.opaque=y), and also listed in meta.json, which the copy fallback applies by
// deletion. Node can make neither device nodes nor xattrs, so those two (and any device or
// xattr the layer itself carries) go through coreutils' `mknod` and attr's `setfattr`; if either
// fails the layer is marked not overlay-ready and containers from it use the copy fallback.
import { execFile, spawn } from 'node:child_process';
import { crypto } from './crypto.js';
import {
  closeSync,
  createReadStream,
  fsyncSync,
  linkSync,
  lchownSync,
  lstatSync,
  lutimesSync,
  mkdirSync,
  openSync,
  readSync,
  rmSync,
  chmodSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
  writeSync,
} from 'node:fs';

import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { ImageError } from './errors.js';
import { tmpName } from './fsutil.js';
import { layerDir, parentsAreDirs, readLayerMeta, type LayerMeta } from './layer-dirs.js';
import { renameDirOnce } from './layout.js';
import { readTar, TarFormatError, type TarHeader } from './tar.js';
import { joinClean } from '../util/join-clean.js';
import { skipCodeCache } from '../util/code-cache-hint.js';

export { layerDir, parentsAreDirs, readLayerMeta, type LayerMeta };

function sniff(path: string): 'gzip' | 'zstd' | 'tar' {
  const fd = openSync(path, 'r');
  const b = Buffer.alloc(4);
  try {
    readSync(fd, b, 0, 4, 0);
  } finally {
    closeSync(fd);
  }
  if (b[0] === 0x1f && b[1] === 0x8b) return 'gzip';
  if (b.readUInt32LE(0) === 0xfd2fb528) return 'zstd';
  return 'tar';
}

/** The uncompressed bytes of a layer blob (gzip, zstd via the zstd tool, or plain tar). */
export function openLayer(path: string): { stream: Readable; done: Promise<void> } {
  const kind = sniff(path);
  if (kind === 'zstd') {
    const child = spawn('zstd', ['-dcq', path], { stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const done = new Promise<void>((res, rej) => {
      child.once('error', (e) => rej(new ImageError(`zstd layer needs the zstd tool: ${e.message}`)));
      child.once('close', (code) =>
        code === 0 ? res() : rej(new ImageError(`zstd: ${err.trim() || `exit ${code}`}`)),
      );
    });
    return { stream: child.stdout, done };
  }
  const file = createReadStream(path);
  return { stream: kind === 'gzip' ? file.pipe(createGunzip()) : file, done: Promise.resolve() };
}

function cleanPath(name: string): string | null {
  const parts: string[] = [];
  for (const p of name.split('/')) {
    if (p === '' || p === '.') continue;
    if (p === '..') return null;
    parts.push(p);
  }
  return parts.join('/');
}

function shq(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** getfattr's dump format escapes bytes outside printable ASCII as \ooo. */
function attrEscape(s: string): string {
  let out = '';
  for (const b of Buffer.from(s))
    out +=
      b < 0x21 || b > 0x7e || b === 0x5c ? `\\${b.toString(8).padStart(3, '0')}` : String.fromCharCode(b);
  return out;
}

function run(cmd: string, args: string[], input?: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = execFile(cmd, args, { maxBuffer: 1 << 20 }, (err, _o, stderr) =>
      err
        ? reject(new Error(`${cmd}: ${(stderr || err.message).toString().trim().split('\n')[0]}`))
        : resolve(),
    );
    if (input !== undefined) child.stdin?.end(input);
  });
}

interface Special {
  path: string;
  kind: 'c' | 'b' | 'p';
  major: number;
  minor: number;
  h: TarHeader;
}

/**
 * Unpack `blobPath` as the layer `diffID` into `layersRoot` (no-op if it is already there).
 * Returns the layer's meta.
 */
export async function unpackLayer(layersRoot: string, blobPath: string, diffID: string): Promise<LayerMeta> {
  const have = readLayerMeta(layersRoot, diffID);
  if (have) return have;
  skipCodeCache(); // once per layer: not what a command usually does
  mkdirSync(layersRoot, { recursive: true });
  const tmp = tmpName(layersRoot);
  const root = joinClean(tmp, 'diff');
  mkdirSync(root, { recursive: true });
  try {
    const meta = await extract(blobPath, root, diffID);
    writeFileSync(joinClean(tmp, 'meta.json'), JSON.stringify(meta));
    const fd = openSync(joinClean(tmp, 'meta.json'), 'r');
    fsyncSync(fd);
    closeSync(fd);
    renameDirOnce(tmp, layerDir(layersRoot, diffID));
    return readLayerMeta(layersRoot, diffID) ?? meta;
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
}

async function extract(blobPath: string, root: string, diffID: string): Promise<LayerMeta> {
  const hash = crypto().createHash('sha256');
  const { stream, done } = openLayer(blobPath);
  async function* hashed(): AsyncGenerator<Buffer> {
    for await (const c of stream) {
      hash.update(c as Buffer);
      yield c as Buffer;
    }
  }
  const okDirs = new Set<string>(['']);
  const whiteouts: string[] = [];
  const opaque: string[] = [];
  const specials: Special[] = [];
  const xattrs = new Map<string, Record<string, Buffer>>();
  const dirTimes: [string, number][] = [];
  let size = 0;

  // Make every parent of `rel` a real directory inside root (never following a symlink out).
  const ensureParents = (rel: string): void => {
    const parts = rel.split('/');
    parts.pop();
    let cur = '';
    for (const p of parts) {
      cur = cur ? `${cur}/${p}` : p;
      if (okDirs.has(cur)) continue;
      const abs = joinClean(root, cur);
      let st;
      try {
        st = lstatSync(abs);
      } catch {
        st = undefined;
      }
      if (!st || !st.isDirectory()) {
        if (st) rmSync(abs, { force: true });
        mkdirSync(abs, { mode: 0o755 });
      }
      okDirs.add(cur);
    }
  };

  const onEntry = async (h: TarHeader, body: (sink: (c: Buffer) => void) => Promise<void>): Promise<void> => {
    const rel = cleanPath(h.name);
    if (rel === null)
      throw new ImageError(`layer ${diffID}: entry "${h.name}" escapes the root; refusing the layer`);
    const slash = rel.lastIndexOf('/');
    const dir = slash === -1 ? '' : rel.slice(0, slash);
    const base = slash === -1 ? rel : rel.slice(slash + 1);
    if (base.startsWith('.wh.')) {
      ensureParents(rel);
      if (base === '.wh..wh..opq') opaque.push(dir);
      else if (!base.startsWith('.wh..wh.')) whiteouts.push(dir ? `${dir}/${base.slice(4)}` : base.slice(4));
      return;
    }
    const abs = rel ? joinClean(root, rel) : root;
    if (rel) {
      ensureParents(rel);
      let st;
      try {
        st = lstatSync(abs);
      } catch {
        st = undefined;
      }
      // A later entry replaces an earlier one, except that a directory stays a directory.
      if (st && !(st.isDirectory() && h.type === 'dir')) {
        rmSync(abs, { recursive: true, force: true });
        okDirs.delete(rel);
      }
    }
    switch (h.type) {
      case 'dir':
        if (rel) mkdirSync(abs, { recursive: true, mode: 0o755 });
        okDirs.add(rel);
        dirTimes.push([abs, h.mtime]);
        break;
      case 'file': {
        const fd = openSync(abs, 'w', 0o600);
        try {
          await body((c) => {
            let off = 0;
            while (off < c.length) off += writeSync(fd, c, off);
          });
        } finally {
          closeSync(fd);
        }
        size += h.size;
        break;
      }
      case 'symlink':
        symlinkSync(h.linkname, abs);
        break;
      case 'link': {
        const target = cleanPath(h.linkname);
        if (target === null || !target)
          throw new ImageError(`layer ${diffID}: hard link "${h.name}" points outside the layer`);
        const tabs = joinClean(root, target);
        if (!parentsAreDirs(root, target))
          throw new ImageError(
            `layer ${diffID}: hard link "${h.name}" goes through a symlink; refusing the layer`,
          );
        let tst;
        try {
          tst = lstatSync(tabs);
        } catch {
          throw new ImageError(
            `layer ${diffID}: hard link "${h.name}" → "${h.linkname}": target is not in this layer (unsupported)`,
          );
        }
        if (tst.isDirectory())
          throw new ImageError(`layer ${diffID}: hard link "${h.name}" points at a directory`);
        linkSync(tabs, abs);
        return; // shares the target's inode, owner and mode
      }
      case 'char':
      case 'block':
      case 'fifo':
        specials.push({
          path: abs,
          kind: h.type === 'char' ? 'c' : h.type === 'block' ? 'b' : 'p',
          major: h.devmajor,
          minor: h.devminor,
          h,
        });
        return;
      default:
        return; // unknown types are skipped, as GNU tar does
    }
    applyAttrs(abs, h);
    if (Object.keys(h.xattrs).length) xattrs.set(abs, h.xattrs);
  };

  try {
    await readTar(hashed(), onEntry);
    await done;
  } catch (e) {
    stream.destroy();
    if (e instanceof ImageError) throw e;
    if (e instanceof TarFormatError)
      throw new ImageError(`layer ${diffID} is not a valid tar archive: ${e.message}`);
    throw new ImageError(`layer ${diffID}: cannot unpack: ${(e as Error).message}`);
  }
  const got = `sha256:${hash.digest('hex')}`;
  if (got !== diffID)
    throw new ImageError(
      `layer diffID mismatch: the config says ${diffID}, the layer unpacks to ${got}; refusing it`,
    );

  // A later entry may have turned a parent into a symlink: nothing below may go through one.
  const rels = (abs: string): string => abs.slice(root.length + 1);
  for (const p of [
    ...specials.map((x) => rels(x.path)),
    ...whiteouts,
    ...opaque.filter(Boolean).map((d) => `${d}/x`),
    ...[...xattrs.keys()].map(rels),
  ])
    if (!parentsAreDirs(root, p))
      throw new ImageError(`layer ${diffID}: "${p}" goes through a symlink; refusing the layer`);
  let overlay = true;
  // Device nodes, fifos and whiteouts, in one shell.
  const script: string[] = [];
  for (const s of specials) {
    script.push(
      `mknod -m ${(s.h.mode & 0o7777).toString(8)} -- ${shq(s.path)} ${s.kind}${s.kind === 'p' ? '' : ` ${s.major} ${s.minor}`}`,
    );
    script.push(`chown -h ${s.h.uid}:${s.h.gid} -- ${shq(s.path)}`);
  }
  for (const w of whiteouts)
    script.push(`rm -rf -- ${shq(joinClean(root, w))} && mknod -- ${shq(joinClean(root, w))} c 0 0`);
  if (script.length) {
    try {
      await run('sh', ['-e', '-s'], script.join('\n') + '\n');
    } catch (e) {
      if (specials.length)
        throw new ImageError(`layer ${diffID}: cannot create device nodes: ${(e as Error).message}`);
      overlay = false;
    }
  }
  // xattrs: the layer's own and the opaque markers, in one setfattr --restore.
  const dump: string[] = [];
  for (const [path, attrs] of xattrs) {
    dump.push(`# file: ${attrEscape(path)}`);
    for (const [k, v] of Object.entries(attrs)) dump.push(`${attrEscape(k)}=0x${v.toString('hex')}`);
    dump.push('');
  }
  const opaqueDump: string[] = [];
  for (const d of opaque) {
    const abs = d ? joinClean(root, d) : root;
    let st;
    try {
      st = lstatSync(abs);
    } catch {
      st = undefined;
    }
    if (st && !st.isDirectory()) continue; // replaced by a later non-directory entry
    if (!st) mkdirSync(abs, { recursive: true, mode: 0o755 });
    opaqueDump.push(`# file: ${attrEscape(abs)}`, 'trusted.overlay.opaque=0x79', '');
  }
  if (dump.length) {
    // A layer's own xattrs (file capabilities, mostly) are best effort, as in other unpackers.
    await run('setfattr', ['-h', `--restore=-`], dump.join('\n')).catch(() => undefined);
  }
  if (opaqueDump.length) {
    try {
      await run('setfattr', ['-h', `--restore=-`], opaqueDump.join('\n'));
    } catch {
      overlay = false;
    }
  }
  for (const [abs, t] of dirTimes.reverse()) lutimesSync(abs, t, t);
  return { diffID, size, whiteouts, opaque, overlay };
}

function applyAttrs(abs: string, h: TarHeader): void {
  lchownSync(abs, h.uid, h.gid);
  if (h.type === 'symlink') {
    lutimesSync(abs, h.mtime, h.mtime);
    return;
  }
  chmodSync(abs, h.mode); // after chown, which clears setuid bits
  if (h.type !== 'dir') utimesSync(abs, h.mtime, h.mtime);
}
