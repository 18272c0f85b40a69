// `import`: OCI archives (an OCI image layout in a tar, as `skopeo copy … oci-archive:` writes)
// and docker archives (`docker save`, `skopeo copy … docker-archive:`). The archive is unpacked
// into a private temporary directory, then every blob goes into the store through the same
// digest-checked path as a pull; a docker archive's images get an OCI manifest made for them.
import {
  createReadStream,
  existsSync,
  mkdirSync,
  openSync,
  closeSync,
  readFileSync,
  readSync,
  realpathSync,
  rmSync,
  statSync,
  symlinkSync,
  writeSync,
} from 'node:fs';
import { dirname } from 'node:path';
import { createGunzip } from 'node:zlib';
import { digestHex, isDigest, sha256 } from './digest.js';
import { ImageError } from './errors.js';
import { tmpName } from './fsutil.js';
import { NAME_ANNOTATION, REF_ANNOTATION, type Layout, type Lease } from './layout.js';
import { pickPlatform } from './pull.js';
import { normalizeReference } from './reference.js';
import { readTar, TarFormatError } from './tar.js';
import { MEDIA, type Descriptor, type Index, type Manifest } from './types.js';
import { joinClean } from '../util/join-clean.js';

export interface Imported {
  manifestDigest: string;
  names: string[];
}

function isGzip(path: string): boolean {
  const fd = openSync(path, 'r');
  const b = Buffer.alloc(2);
  try {
    readSync(fd, b, 0, 2, 0);
  } finally {
    closeSync(fd);
  }
  return b[0] === 0x1f && b[1] === 0x8b;
}

async function unpackArchive(file: string, dest: string): Promise<void> {
  const src = createReadStream(file);
  const stream = isGzip(file) ? src.pipe(createGunzip()) : src;
  try {
    await readTar(stream, async (h, body) => {
      const parts = h.name.split('/').filter((p) => p && p !== '.');
      if (parts.includes('..') || parts.length === 0) return;
      const abs = joinClean(dest, ...parts);
      mkdirSync(dirname(abs), { recursive: true });
      if (h.type === 'dir') mkdirSync(abs, { recursive: true });
      else if (h.type === 'symlink') symlinkSync(h.linkname, abs);
      else if (h.type === 'file') {
        const fd = openSync(abs, 'w', 0o600);
        try {
          await body((c) => {
            let off = 0;
            while (off < c.length) off += writeSync(fd, c, off);
          });
        } finally {
          closeSync(fd);
        }
      }
    });
  } catch (e) {
    src.destroy();
    if (e instanceof TarFormatError)
      throw new ImageError(`${file} is not a tar archive of an image: ${e.message}`);
    throw e;
  }
}

/** A path inside the unpacked archive, refusing symlinks that lead out of it. */
function inside(root: string, rel: string, file: string): string {
  const abs = joinClean(root, rel);
  let real: string;
  try {
    real = realpathSync(abs);
  } catch {
    throw new ImageError(`${file}: "${rel}" is named by the archive but missing from it`);
  }
  if (!real.startsWith(realpathSync(root) + '/'))
    throw new ImageError(`${file}: "${rel}" points outside the archive`);
  return real;
}

/** A name from an OCI ref.name annotation: a full reference, or a bare tag (named after nothing). */
function annotationName(d: Descriptor): string | undefined {
  const full = d.annotations?.[NAME_ANNOTATION];
  if (full) return normalizeReference(full);
  const ref = d.annotations?.[REF_ANNOTATION];
  if (!ref) return undefined;
  try {
    return normalizeReference(ref);
  } catch {
    return undefined; // a tag that is not a name (e.g. "1.0-rc"): the image is imported unnamed
  }
}

export async function importArchive(layout: Layout, lease: Lease, file: string): Promise<Imported[]> {
  let st;
  try {
    st = statSync(file);
  } catch {
    throw new ImageError(`cannot import ${file}: no such file`);
  }
  if (!st.isFile())
    throw new ImageError(`cannot import ${file}: not a file (expected an OCI or docker archive .tar)`);
  layout.init();
  const tmp = tmpName(layout.root, '-import');
  mkdirSync(tmp);
  try {
    await unpackArchive(file, tmp);
    if (existsSync(joinClean(tmp, 'index.json')) && existsSync(joinClean(tmp, 'oci-layout')))
      return await importOci(layout, lease, tmp, file);
    if (existsSync(joinClean(tmp, 'manifest.json'))) return await importDocker(layout, lease, tmp, file);
    throw new ImageError(
      `${file} is neither an OCI archive (oci-layout, index.json) nor a docker archive (manifest.json)`,
    );
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

async function copyBlob(
  layout: Layout,
  lease: Lease,
  root: string,
  file: string,
  digest: string,
  what: string,
): Promise<void> {
  lease.hold(digest);
  if (layout.hasBlob(digest)) return;
  const path = inside(root, joinClean('blobs', 'sha256', digestHex(digest, what)), file);
  await layout.writeStream(createReadStream(path), digest, `${file}: ${what}`);
}

async function importOci(layout: Layout, lease: Lease, root: string, file: string): Promise<Imported[]> {
  const idx = JSON.parse(readFileSync(joinClean(root, 'index.json'), 'utf8')) as Index;
  const out: Imported[] = [];
  for (const top of idx.manifests ?? []) {
    let desc = top;
    const names = [annotationName(top)].filter((n): n is string => !!n);
    if (desc.mediaType === MEDIA.ociIndex || desc.mediaType === MEDIA.dockerList) {
      await copyBlob(layout, lease, root, file, desc.digest, 'image index');
      desc = pickPlatform(layout.readJson<Index>(desc.digest), `${file}: image index ${desc.digest}`);
    }
    await copyBlob(layout, lease, root, file, desc.digest, 'manifest');
    const m = layout.readJson<Manifest>(desc.digest);
    if (!m.config || !Array.isArray(m.layers))
      throw new ImageError(`${file}: manifest ${desc.digest} has no config or layers`);
    await copyBlob(layout, lease, root, file, m.config.digest, 'image config');
    for (const l of m.layers) await copyBlob(layout, lease, root, file, l.digest, 'layer');
    out.push({ manifestDigest: desc.digest, names });
  }
  if (!out.length) throw new ImageError(`${file}: the OCI archive holds no image`);
  return out;
}

interface DockerEntry {
  Config: string;
  RepoTags?: string[] | null;
  Layers: string[];
}

async function importDocker(layout: Layout, lease: Lease, root: string, file: string): Promise<Imported[]> {
  let entries: DockerEntry[];
  try {
    entries = JSON.parse(readFileSync(joinClean(root, 'manifest.json'), 'utf8')) as DockerEntry[];
    if (!Array.isArray(entries)) throw new Error('not a list');
  } catch (e) {
    throw new ImageError(`${file}: manifest.json is not a docker archive manifest: ${(e as Error).message}`);
  }
  const out: Imported[] = [];
  for (const e of entries) {
    const configPath = inside(root, e.Config, file);
    const config = await layout.writeStream(createReadStream(configPath), undefined, `${file}: config`);
    lease.hold(config.digest);
    const layers: Descriptor[] = [];
    for (const l of e.Layers) {
      const p = inside(root, l, file);
      const gz = isGzip(p);
      // A layer named blobs/sha256/<hex> must hash to that name.
      const m = /blobs\/sha256\/([a-f0-9]{64})$/.exec(l);
      const expect = m && isDigest(`sha256:${m[1]}`) ? `sha256:${m[1]}` : undefined;
      const blob = await layout.writeStream(createReadStream(p), expect, `${file}: layer ${l}`);
      lease.hold(blob.digest);
      layers.push({
        mediaType: gz ? MEDIA.ociLayerGzip : MEDIA.ociLayer,
        digest: blob.digest,
        size: blob.size,
      });
    }
    const manifest: Manifest = {
      schemaVersion: 2,
      mediaType: MEDIA.ociManifest,
      config: { mediaType: MEDIA.ociConfig, digest: config.digest, size: config.size },
      layers,
    };
    const data = Buffer.from(JSON.stringify(manifest));
    lease.hold(sha256(data));
    const md = await layout.writeBuffer(data);
    const names: string[] = [];
    for (const t of e.RepoTags ?? []) {
      try {
        names.push(normalizeReference(t));
      } catch {
        /* an unparsable tag is dropped; the image still imports */
      }
    }
    out.push({ manifestDigest: md.digest, names });
  }
  if (!out.length) throw new ImageError(`${file}: the docker archive holds no image`);
  return out;
}
