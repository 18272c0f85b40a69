// The content-addressed store: an OCI image layout under `<dataDir>/images` (oci-layout,
// index.json, blobs/sha256/<hex>). A blob is streamed through sha256 into a temporary file,
// fsynced and renamed into place only when its digest matches, so a blob file, once visible, is
// always whole and correct. index.json is the only mutable file: it is rewritten atomically under
// a lock, and it is written last, so no half-stored image is ever visible.
import { crypto } from './crypto.js';
import {
  appendFileSync,
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  writeSync,
} from 'node:fs';

import { digestHex, sha256 } from './digest.js';
import { ImageError } from './errors.js';
import { fsyncDir, tmpName, tmpOwnerGone, writeFileAtomic } from './fsutil.js';
import { withLock } from './lock.js';
import type { Index } from './types.js';
import { joinClean } from '../util/join-clean.js';

/** The annotation holding an image's full normalised name (the one containerd uses too). */
export const NAME_ANNOTATION = 'io.containerd.image.name';
export const REF_ANNOTATION = 'org.opencontainers.image.ref.name';

export class Layout {
  readonly blobDir: string;
  readonly leaseDir: string;

  private index?: { stamp: string; idx: Index };

  constructor(readonly root: string) {
    this.blobDir = joinClean(root, 'blobs', 'sha256');
    this.leaseDir = joinClean(root, 'leases');
  }

  init(): void {
    mkdirSync(this.blobDir, { recursive: true });
    mkdirSync(this.leaseDir, { recursive: true });
    const layoutFile = joinClean(this.root, 'oci-layout');
    if (!existsSync(layoutFile)) writeFileAtomic(layoutFile, JSON.stringify({ imageLayoutVersion: '1.0.0' }));
    const index = joinClean(this.root, 'index.json');
    if (!existsSync(index)) {
      try {
        // 'wx': if another process created it first, theirs stands.
        const fd = openSync(index, 'wx', 0o644);
        writeSync(fd, JSON.stringify({ schemaVersion: 2, manifests: [] }));
        fsyncSync(fd);
        closeSync(fd);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      }
    }
  }

  blobPath(digest: string): string {
    return joinClean(this.blobDir, digestHex(digest));
  }

  hasBlob(digest: string): boolean {
    return existsSync(this.blobPath(digest));
  }

  /**
   * Store the bytes of `source` as a blob. With `expected`, a stream whose digest differs is
   * refused (and nothing is kept); without, the blob is named by what it hashes to.
   */
  async writeStream(
    source: AsyncIterable<Buffer | string> | Iterable<Buffer>,
    expected?: string,
    what = 'blob',
  ): Promise<{ digest: string; size: number }> {
    if (expected && this.hasBlob(expected)) {
      // Still consume the source so callers that tee it see every byte.
      for await (const _ of source) void _;
      return { digest: expected, size: statSync(this.blobPath(expected)).size };
    }
    const tmp = tmpName(this.blobDir);
    const hash = crypto().createHash('sha256');
    let size = 0;
    const fd = openSync(tmp, 'w', 0o644);
    try {
      for await (const chunk of source) {
        const b = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
        hash.update(b);
        size += b.length;
        let off = 0;
        while (off < b.length) off += writeSync(fd, b, off);
      }
      fsyncSync(fd);
    } catch (e) {
      closeSync(fd);
      rmSync(tmp, { force: true });
      throw e;
    }
    closeSync(fd);
    const digest = `sha256:${hash.digest('hex')}`;
    if (expected && digest !== expected) {
      rmSync(tmp, { force: true });
      throw new ImageError(
        `${what} digest mismatch: expected ${expected}, got ${digest}; refusing the content`,
      );
    }
    renameSync(tmp, this.blobPath(digest));
    fsyncDir(this.blobDir);
    return { digest, size };
  }

  async writeBuffer(
    data: Buffer,
    expected?: string,
    what?: string,
  ): Promise<{ digest: string; size: number }> {
    return this.writeStream([data], expected, what);
  }

  /** A blob's bytes, re-verified (used for the small JSON blobs: manifests, configs). */
  readBlob(digest: string): Buffer {
    const path = this.blobPath(digest);
    let data: Buffer;
    try {
      data = readFileSync(path);
    } catch {
      throw new ImageError(`blob ${digest} is missing from the store: pull or import the image again`);
    }
    if (sha256(data) !== digest)
      throw new ImageError(`blob ${digest} is corrupt on disk: remove the image and pull it again`);
    return data;
  }

  readJson<T>(digest: string): T {
    return JSON.parse(this.readBlob(digest).toString('utf8')) as T;
  }

  /**
   * index.json as it is now, read-only (shared: frozen). Parsed again only when the file changed
   * (it is replaced by rename: a new inode): a long-running caller resolves an image per container.
   */
  readIndex(): Readonly<Index> {
    const path = joinClean(this.root, 'index.json');
    let st;
    try {
      st = statSync(path);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { schemaVersion: 2, manifests: [] };
      throw new ImageError(`${path} is unreadable: ${(e as Error).message}`);
    }
    const stamp = `${st.ino}:${st.mtimeMs}:${st.size}`;
    if (this.index?.stamp !== stamp) {
      const idx = this.parseIndex();
      for (const d of idx.manifests) {
        Object.freeze(d.annotations);
        Object.freeze(d);
      }
      Object.freeze(idx.manifests);
      this.index = { stamp, idx: Object.freeze(idx) };
    }
    return this.index.idx;
  }

  /** index.json parsed afresh (a copy of one's own to change). */
  private parseIndex(): Index {
    try {
      return JSON.parse(readFileSync(joinClean(this.root, 'index.json'), 'utf8')) as Index;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { schemaVersion: 2, manifests: [] };
      throw new ImageError(`${joinClean(this.root, 'index.json')} is unreadable: ${(e as Error).message}`);
    }
  }

  /** Read-modify-write index.json under the store's lock; the write is atomic. */
  async updateIndex(fn: (idx: Index) => Index | void): Promise<Index> {
    this.init();
    return withLock(joinClean(this.root, 'index.lock'), async () => {
      const idx = this.parseIndex();
      const next = fn(idx) ?? idx;
      writeFileAtomic(joinClean(this.root, 'index.json'), JSON.stringify(next, null, 2) + '\n');
      return next;
    });
  }

  /** Run `fn` while holding the lock that excludes prune (and other index writers). */
  async locked<T>(fn: () => Promise<T>): Promise<T> {
    this.init();
    return withLock(joinClean(this.root, 'index.lock'), fn);
  }

  /**
   * A lease: blobs and layers a running pull or import is writing, which prune must keep though
   * no image references them yet. It is a file named after our pid, so a crashed process's lease
   * is recognised as dead.
   */
  lease(): Lease {
    this.init();
    return new Lease(joinClean(this.leaseDir, tmpName('', '.lease')));
  }

  /** Digests and diffIDs held by live leases; removes the leases of dead processes. */
  liveLeases(): Set<string> {
    const out = new Set<string>();
    for (const f of readdirSync(this.leaseDir)) {
      const path = joinClean(this.leaseDir, f);
      if (tmpOwnerGone(f)) {
        rmSync(path, { force: true });
        continue;
      }
      try {
        for (const l of readFileSync(path, 'utf8').split('\n')) if (l) out.add(l);
      } catch {
        /* released meanwhile */
      }
    }
    return out;
  }
}

export class Lease {
  constructor(private readonly path: string) {}
  hold(...digests: string[]): void {
    appendFileSync(this.path, digests.map((d) => `${d}\n`).join(''));
  }
  release(): void {
    rmSync(this.path, { force: true });
  }
}

/** Move a finished temporary directory to `dest`; if another process got there first, keep theirs. */
export function renameDirOnce(tmp: string, dest: string): void {
  try {
    renameSync(tmp, dest);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    rmSync(tmp, { recursive: true, force: true });
    if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw e;
  }
}
