// An image's manifest and config as the store read and verified them once, kept by manifest
// digest in `<dataDir>/image-meta/<hex>.json`: blobs are content-addressed and never change, so
// `corral run` need not read and re-hash the manifest and config blobs (nor load node:crypto)
// every time. A missing or unreadable entry is just read and verified from the blobs again; prune
// removes the entries of manifests it removes.
import { mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';

import { digestHex } from './digest.js';
import type { Layout } from './layout.js';
import type { ImageConfig, Manifest } from './types.js';
import { joinClean } from '../util/join-clean.js';

export interface ImageMeta {
  manifest: Manifest;
  config: ImageConfig;
  configDigest: string;
}

export class MetaCache {
  private readonly mem = new Map<string, ImageMeta>();

  constructor(
    readonly dir: string,
    private readonly layout: Layout,
  ) {}

  get(digest: string): ImageMeta {
    let m = this.mem.get(digest);
    if (m) return m;
    const file = joinClean(this.dir, `${digestHex(digest)}.json`);
    try {
      const kept = JSON.parse(readFileSync(file, 'utf8')) as ImageMeta & { digest?: string };
      // Still an image of the store (not pruned meanwhile), and the entry is whole.
      if (kept.digest === digest && kept.manifest?.config?.digest && this.layout.hasBlob(digest)) {
        m = { manifest: kept.manifest, config: kept.config, configDigest: kept.configDigest };
      }
    } catch {
      /* not kept yet */
    }
    if (!m) {
      const manifest = this.layout.readJson<Manifest>(digest);
      const config = this.layout.readJson<ImageConfig>(manifest.config.digest);
      m = { manifest, config, configDigest: manifest.config.digest };
      this.keep(file, digest, m);
    }
    this.mem.set(digest, m);
    return m;
  }

  /** Written whole or not at all (a rename); a lost entry is only read again. */
  private keep(file: string, digest: string, m: ImageMeta): void {
    const tmp = `${file}.${process.pid}.tmp`;
    try {
      mkdirSync(this.dir, { recursive: true });
      writeFileSync(tmp, JSON.stringify({ digest, ...m }));
      renameSync(tmp, file);
    } catch {
      rmSync(tmp, { force: true });
    }
  }

  /** Drop the entries of manifests not in `keep` (and this process's memory of all). */
  prune(keep: Set<string>): void {
    this.mem.clear();
    let files: string[];
    try {
      files = readdirSync(this.dir);
    } catch {
      return;
    }
    for (const f of files) {
      const hex = /^([a-f0-9]{64})\.json$/.exec(f)?.[1];
      if (!hex || !keep.has(`sha256:${hex}`)) rmSync(joinClean(this.dir, f), { force: true });
    }
  }
}
