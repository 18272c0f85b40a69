// `pull`: fetch an image from a registry into the store. The manifest (for an index: the one for
// this platform), config and layers are each checked against their digest; layers download in
// parallel into `images/partial/<hex>`, resumed with a Range request after an interruption, and
// renamed into blobs/ only once whole and verified. The image is committed (index.json) last.
import { crypto } from './crypto.js';
import {
  closeSync,
  createReadStream,
  fsyncSync,
  mkdirSync,
  openSync,
  renameSync,
  rmSync,
  statSync,
  writeSync,
} from 'node:fs';

import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { digestHex, isDigest, sha256 } from './digest.js';
import { ImageError } from './errors.js';
import { fsyncDir } from './fsutil.js';
import type { Layout, Lease } from './layout.js';
import { withLock } from './lock.js';
import { formatReference, parseReference, type Reference } from './reference.js';
import { RegistryClient, type RegistryOptions } from './registry.js';
import { hostArch, MEDIA, type Descriptor, type Index, type Manifest } from './types.js';
import { joinClean } from '../util/join-clean.js';

export interface PullProgress {
  /** Layers done / all. */
  layersDone: number;
  layers: number;
  /** Bytes of layers downloaded (including ones already in the store) / all. */
  bytes: number;
  totalBytes: number;
}

export interface PullOptions extends RegistryOptions {
  /** Parallel layer downloads (default 3). */
  parallel?: number;
  onProgress?: (p: PullProgress) => void;
}

const ACCEPT = [MEDIA.ociIndex, MEDIA.ociManifest, MEDIA.dockerList, MEDIA.dockerManifest].join(', ');
const MAX_MANIFEST = 4 << 20;

async function readLimited(res: Response, limit: number, what: string): Promise<Buffer> {
  const len = Number(res.headers.get('content-length') ?? 0);
  if (len > limit) throw new ImageError(`${what} is ${len} bytes, more than the ${limit} allowed`);
  const buf = Buffer.from(await res.arrayBuffer());
  if (buf.length > limit) throw new ImageError(`${what} is more than the ${limit} bytes allowed`);
  return buf;
}

/** Fetch a manifest (by tag or digest) and verify it; returns its bytes, digest and media type. */
async function fetchManifest(
  c: RegistryClient,
  ref: string,
  expect?: string,
): Promise<{ data: Buffer; digest: string; mediaType: string }> {
  const what = `manifest ${c.ref.path}:${ref}`;
  const res = await c.check(await c.request(`manifests/${ref}`, { headers: { accept: ACCEPT } }), what);
  const data = await readLimited(res, MAX_MANIFEST, what);
  const digest = sha256(data);
  if (expect && digest !== expect)
    throw new ImageError(`${what}: digest mismatch: expected ${expect}, got ${digest}; refusing it`);
  const header = res.headers.get('docker-content-digest');
  if (header && isDigest(header) && header !== digest)
    throw new ImageError(
      `${what}: the registry says its digest is ${header} but the content hashes to ${digest}; refusing it`,
    );
  let parsed: { mediaType?: string; schemaVersion?: number };
  try {
    parsed = JSON.parse(data.toString('utf8'));
  } catch {
    throw new ImageError(`${what} is not JSON`);
  }
  if (parsed.schemaVersion !== 2)
    throw new ImageError(
      `${what} has schema version ${parsed.schemaVersion}: only schema 2 (OCI / Docker v2) images are supported`,
    );
  const mediaType =
    parsed.mediaType ?? res.headers.get('content-type')?.split(';')[0]?.trim() ?? MEDIA.ociManifest;
  return { data, digest, mediaType };
}

export function pickPlatform(idx: Index, what: string): Descriptor {
  const arch = hostArch();
  const candidates = idx.manifests.filter(
    (m) => m.platform?.os === 'linux' && m.platform.architecture === arch,
  );
  const pick =
    candidates.find((m) => !m.platform?.variant || (arch === 'arm64' && m.platform.variant === 'v8')) ??
    candidates[0];
  if (!pick) {
    const have = idx.manifests
      .map((m) => (m.platform ? `${m.platform.os}/${m.platform.architecture}` : '?'))
      .join(', ');
    throw new ImageError(`${what} has no linux/${arch} image (it has: ${have || 'none'})`);
  }
  return pick;
}

async function downloadBlob(
  c: RegistryClient,
  layout: Layout,
  desc: Descriptor,
  retries: number,
  onBytes: (n: number) => void,
): Promise<void> {
  if (layout.hasBlob(desc.digest)) {
    onBytes(desc.size);
    return;
  }
  const hex = digestHex(desc.digest, 'layer digest');
  const dir = joinClean(layout.root, 'partial');
  mkdirSync(dir, { recursive: true });
  const partial = joinClean(dir, hex);
  // One download of a blob at a time across processes; the second waits and finds it done.
  await withLock(`${partial}.lock`, async () => {
    if (layout.hasBlob(desc.digest)) {
      onBytes(desc.size);
      return;
    }
    for (let attempt = 1; ; attempt++) {
      try {
        await downloadOnce(c, desc, partial, onBytes);
        break;
      } catch (e) {
        if (e instanceof ImageError && !(e as { retryable?: boolean }).retryable) throw e;
        if (attempt >= retries) {
          const have = statSize(partial);
          throw new ImageError(
            `download of ${desc.digest.slice(0, 19)} from registry ${c.ref.domain} was interrupted after ${have} of ${desc.size} bytes (${(e as Error).message}): run the pull again to resume`,
          );
        }
        await new Promise((r) => setTimeout(r, 250 * 2 ** (attempt - 1)));
      }
    }
    renameSync(partial, layout.blobPath(desc.digest));
    fsyncDir(layout.blobDir);
  });
}

function statSize(p: string): number {
  try {
    return statSync(p).size;
  } catch {
    return 0;
  }
}

class Retryable extends Error {
  readonly retryable = true;
}

async function downloadOnce(
  c: RegistryClient,
  desc: Descriptor,
  partial: string,
  onBytes: (n: number) => void,
): Promise<void> {
  let have = statSize(partial);
  if (have > desc.size) {
    rmSync(partial, { force: true });
    have = 0;
  }
  const hash = crypto().createHash('sha256');
  if (have > 0) for await (const chunk of createReadStream(partial)) hash.update(chunk as Buffer);
  const what = `blob ${desc.digest}`;
  let res: Response;
  if (have === desc.size) {
    res = new Response(new Uint8Array(0), { status: 206 });
  } else {
    try {
      res = await c.request(`blobs/${desc.digest}`, { headers: have ? { range: `bytes=${have}-` } : {} });
    } catch (e) {
      throw new Retryable((e as Error).message);
    }
    await c.check(res, what);
  }
  let hash2 = hash;
  if (res.status !== 206 && have > 0) {
    // The registry ignored the Range: start over.
    have = 0;
    hash2 = crypto().createHash('sha256');
  }
  onBytes(have);
  const fd = openSync(partial, have ? 'a' : 'w', 0o644);
  let size = have;
  try {
    if (res.body) {
      for await (const chunk of Readable.fromWeb(res.body as unknown as WebReadableStream<Uint8Array>)) {
        const b = chunk as Buffer;
        size += b.length;
        if (size > desc.size) break;
        hash2.update(b);
        let off = 0;
        while (off < b.length) off += writeSync(fd, b, off);
        onBytes(b.length);
      }
    }
    fsyncSync(fd);
  } catch (e) {
    throw new Retryable((e as Error).message);
  } finally {
    closeSync(fd);
  }
  verify(partial, desc, size, `sha256:${hash2.digest('hex')}`);
}

function verify(partial: string, desc: Descriptor, size: number, got: string): void {
  if (size > desc.size) {
    rmSync(partial, { force: true });
    throw new ImageError(
      `blob ${desc.digest}: the registry sent more than the ${desc.size} bytes the manifest says; refusing it`,
    );
  }
  if (size < desc.size) throw new Retryable(`short read: ${size} of ${desc.size} bytes`);
  if (got !== desc.digest) {
    rmSync(partial, { force: true });
    throw new ImageError(
      `blob digest mismatch: expected ${desc.digest}, the registry sent ${got}; refusing it`,
    );
  }
}

export interface Pulled {
  ref: Reference;
  name: string;
  manifestDigest: string;
}

/** Download everything the image needs into the layout; the caller commits it. */
export async function pullBlobs(
  layout: Layout,
  lease: Lease,
  refStr: string,
  o: PullOptions = {},
): Promise<Pulled> {
  const ref = parseReference(refStr);
  const c = new RegistryClient(ref, o);
  let m = await fetchManifest(c, ref.digest ?? ref.tag ?? 'latest', ref.digest);
  if (m.mediaType === MEDIA.ociIndex || m.mediaType === MEDIA.dockerList) {
    const idx = JSON.parse(m.data.toString('utf8')) as Index;
    const pick = pickPlatform(idx, formatReference(ref));
    m = await fetchManifest(c, pick.digest, pick.digest);
  }
  if (m.mediaType !== MEDIA.ociManifest && m.mediaType !== MEDIA.dockerManifest)
    throw new ImageError(`${formatReference(ref)}: unsupported manifest type ${m.mediaType}`);
  const manifest = JSON.parse(m.data.toString('utf8')) as Manifest;
  if (!manifest.config?.digest || !Array.isArray(manifest.layers))
    throw new ImageError(`${formatReference(ref)}: the manifest has no config or layers`);
  lease.hold(m.digest, manifest.config.digest, ...manifest.layers.map((l) => l.digest));

  if (!layout.hasBlob(manifest.config.digest)) {
    const res = await c.check(
      await c.request(`blobs/${manifest.config.digest}`),
      `config ${manifest.config.digest}`,
    );
    await layout.writeBuffer(
      await readLimited(res, MAX_MANIFEST, 'image config'),
      manifest.config.digest,
      'image config',
    );
  }

  const retries = Math.max(1, o.retries ?? 4);
  const total = manifest.layers.reduce((a, l) => a + l.size, 0);
  const p: PullProgress = { layersDone: 0, layers: manifest.layers.length, bytes: 0, totalBytes: total };
  const queue = [...manifest.layers];
  const worker = async (): Promise<void> => {
    for (let l = queue.shift(); l; l = queue.shift()) {
      await downloadBlob(c, layout, l, retries, (n) => {
        p.bytes += n;
        o.onProgress?.(p);
      });
      p.layersDone++;
      o.onProgress?.(p);
    }
  };
  const workers = Array.from({ length: Math.max(1, Math.min(o.parallel ?? 3, queue.length)) }, worker);
  const results = await Promise.allSettled(workers);
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;

  await layout.writeBuffer(m.data, m.digest, 'manifest');
  const name = formatReference({ ...ref, digest: ref.tag ? undefined : ref.digest });
  return { ref, name, manifestDigest: m.digest };
}
