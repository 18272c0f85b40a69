// ImageStore: names → images over the content-addressed layout, plus the shared unpacked layers
// under `<dataDir>/layers`. Every way in (built-in, import, pull) ends in commit(): check that
// every blob is there, unpack (and diffID-verify) the layers, then point the names at the
// manifest in index.json — the last, atomic step, so an image is visible only when it is whole.
// Importing, pulling, unpacking and building the built-in image are loaded when they run: `corral
// run` only resolves a name and reads unpacked layers.
import { existsSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';

import { BUILTIN_ALIAS, BUILTIN_ANNOTATION, BUILTIN_NAME } from './builtin-names.js';
import { digestHex, isDigest } from './digest.js';
import { ImageError } from './errors.js';
import { tmpOwnerGone } from './fsutil.js';
import { Layout, NAME_ANNOTATION, REF_ANNOTATION, type Lease } from './layout.js';
import type { PullOptions } from './pull.js';
import { familiarName, normalizeReference, parseReference } from './reference.js';
import { layersInUse, type LayerSource } from './rootfs.js';
import {
  MEDIA,
  type Descriptor,
  type ImageConfig,
  type ImageRecord,
  type Index,
  type Manifest,
} from './types.js';
import { layerDir, readLayerMeta, type LayerMeta } from './layer-dirs.js';
import { MetaCache, type ImageMeta } from './meta-cache.js';
import { joinClean } from '../util/join-clean.js';

export interface PruneResult {
  blobs: number;
  layers: number;
  bytes: number;
}

export class ImageStore implements LayerSource {
  readonly imagesDir: string;
  readonly layersDir: string;
  readonly layout: Layout;
  private readonly meta: MetaCache;

  constructor(readonly dataDir: string) {
    this.imagesDir = joinClean(dataDir, 'images');
    this.layersDir = joinClean(dataDir, 'layers');
    this.layout = new Layout(this.imagesDir);
    this.meta = new MetaCache(joinClean(dataDir, 'image-meta'), this.layout);
  }

  /** Make sure the built-in busybox image exists (rebuilt when the host's busybox changed). */
  async ensureBuiltins(): Promise<void> {
    const { builtinSource, storeBusyboxImage } = await import('./builtin.js');
    const source = builtinSource();
    const idx = this.layout.readIndex();
    const have = idx.manifests.find((d) => d.annotations?.[NAME_ANNOTATION] === BUILTIN_NAME);
    const alias = idx.manifests.find((d) => d.annotations?.[NAME_ANNOTATION] === BUILTIN_ALIAS);
    if (have?.annotations?.[BUILTIN_ANNOTATION] === source && alias) return;
    if (have?.annotations?.[BUILTIN_ANNOTATION] === source && !alias) {
      await this.commit(have.digest, [BUILTIN_ALIAS], { [BUILTIN_ANNOTATION]: source }, undefined, true);
      return;
    }
    this.layout.init();
    const lease = this.layout.lease();
    try {
      const m = await storeBusyboxImage(this.layout);
      lease.hold(m.digest);
      // The short name `busybox` means the built-in unless an image was pulled under it.
      const aliasIsOurs = !alias || alias.annotations?.[BUILTIN_ANNOTATION] !== undefined;
      await this.commit(
        m.digest,
        aliasIsOurs ? [BUILTIN_NAME, BUILTIN_ALIAS] : [BUILTIN_NAME],
        { [BUILTIN_ANNOTATION]: source },
        lease,
      );
    } finally {
      lease.release();
    }
  }

  private load(digest: string): ImageMeta {
    return this.meta.get(digest);
  }

  private record(digest: string, names: string[], ref?: string): ImageRecord {
    const { manifest, config, configDigest } = this.load(digest);
    return {
      ref: ref ?? names[0] ?? digest,
      names,
      digest,
      config,
      configDigest,
      layers: config.rootfs?.diff_ids ?? [],
      size: manifest.config.size + manifest.layers.reduce((a, l) => a + l.size, 0),
      created: config.created,
    };
  }

  /** Every image, one record per manifest, names sorted. */
  async list(): Promise<ImageRecord[]> {
    const byDigest = new Map<string, string[]>();
    for (const d of this.layout.readIndex().manifests) {
      const names = byDigest.get(d.digest) ?? [];
      const n = d.annotations?.[NAME_ANNOTATION];
      if (n) names.push(n);
      byDigest.set(d.digest, names);
    }
    return [...byDigest].map(([digest, names]) => this.record(digest, names.sort()));
  }

  /**
   * An image by name (`busybox`, `host:5000/a/b:1`, `name@sha256:…`), by manifest digest, or by a
   * prefix (≥ 12 hex digits) of its manifest or config digest.
   */
  async resolve(ref: string): Promise<ImageRecord> {
    const notFound = (): ImageError =>
      new ImageError(`image "${ref}" not found: pull it with corral image pull ${ref} or import it`);
    const hex = /^(?:sha256:)?([a-f0-9]{12,64})$/.exec(ref);
    if (hex) {
      const images = await this.list();
      const hits = images.filter(
        (i) => digestHex(i.digest).startsWith(hex[1]!) || digestHex(i.configDigest).startsWith(hex[1]!),
      );
      // Several manifests of one config (the same image imported two ways) are one image ID.
      if (
        new Set(hits.map((i) => (digestHex(i.digest).startsWith(hex[1]!) ? i.digest : i.configDigest))).size >
        1
      )
        throw new ImageError(`image ID "${ref}" is ambiguous: give more digits`);
      if (hits[0]) return { ...hits[0], ref: hits[0].names[0] ?? hits[0].digest };
      if (isDigest(ref) || ref.startsWith('sha256:')) throw notFound();
    }
    const r = parseReference(ref);
    const full = normalizeReference(ref);
    // Only the image asked for is loaded (not every image of the index, as list() does).
    const find = (): ImageRecord | undefined => {
      const entries = this.layout.readIndex().manifests;
      const d =
        r.digest && !r.tag
          ? entries.find((e) => e.digest === r.digest)
          : entries.find(
              (e) => e.annotations?.[NAME_ANNOTATION] === full && (!r.digest || e.digest === r.digest),
            );
      if (!d) return undefined;
      const names = entries
        .filter((e) => e.digest === d.digest)
        .map((e) => e.annotations?.[NAME_ANNOTATION])
        .filter((n): n is string => !!n);
      return this.record(d.digest, names.sort());
    };
    let hit = find();
    if (!hit && (full === BUILTIN_NAME || full === BUILTIN_ALIAS)) {
      await this.ensureBuiltins();
      hit = find();
    }
    if (!hit) throw notFound();
    return { ...hit, ref: full };
  }

  /** Remove a name (or, by digest, every name of that image). Blobs stay until `prune`. */
  async remove(ref: string): Promise<void> {
    const img = await this.resolve(ref);
    const full = /^(?:sha256:)?[a-f0-9]{12,64}$/.test(ref) ? undefined : normalizeReference(ref);
    const byName = full !== undefined && img.names.includes(full);
    await this.layout.updateIndex((idx) => {
      idx.manifests = idx.manifests.filter((d) => {
        if (d.digest !== img.digest) return true;
        return byName ? d.annotations?.[NAME_ANNOTATION] !== full : false;
      });
    });
  }

  /** Check, unpack and name an image whose blobs are in the layout. */
  async commit(
    digest: string,
    names: string[],
    annotations: Record<string, string> = {},
    lease?: Lease,
    skipUnpack = false,
  ): Promise<ImageRecord> {
    const { manifest, config } = this.load(digest);
    const diffIDs = config.rootfs?.diff_ids ?? [];
    if (diffIDs.length !== manifest.layers.length)
      throw new ImageError(
        `image ${digest}: the config names ${diffIDs.length} layers, the manifest ${manifest.layers.length}`,
      );
    lease?.hold(...diffIDs);
    if (!skipUnpack) await this.ensureLayers(this.record(digest, names));
    const mediaType = manifest.mediaType ?? MEDIA.ociManifest;
    const size = statSync(this.layout.blobPath(digest)).size;
    await this.layout.updateIndex((idx) => {
      // Everything must still be there (a concurrent prune is excluded by the same lock).
      for (const d of [digest, manifest.config.digest, ...manifest.layers.map((l) => l.digest)])
        if (!this.layout.hasBlob(d))
          throw new ImageError(`blob ${d} vanished while storing the image (a concurrent prune?): try again`);
      const keep = idx.manifests.filter((d) => {
        const n = d.annotations?.[NAME_ANNOTATION];
        if (n && names.includes(n)) return false; // the name moves to this image
        if (d.digest === digest && !n) return false; // an unnamed entry of this image
        return true;
      });
      const entries: Descriptor[] = names.map((n) => ({
        mediaType,
        digest,
        size,
        annotations: {
          [NAME_ANNOTATION]: n,
          [REF_ANNOTATION]: parseReference(n).tag ?? familiarName(n),
          ...annotations,
        },
      }));
      if (!names.length && !keep.some((d) => d.digest === digest)) entries.push({ mediaType, digest, size });
      idx.manifests = [...keep, ...entries];
    });
    return this.record(digest, [...names].sort());
  }

  /** Unpack any of the image's layers that is not unpacked yet; their metas, bottom first. */
  async ensureLayers(image: ImageRecord): Promise<LayerMeta[]> {
    const { manifest } = this.load(image.digest);
    const out: LayerMeta[] = [];
    for (const [i, diffID] of image.layers.entries()) {
      const have = readLayerMeta(this.layersDir, diffID);
      if (have) {
        out.push(have);
        continue;
      }
      const blob = manifest.layers[i];
      if (!blob || !this.layout.hasBlob(blob.digest))
        throw new ImageError(
          `layer ${blob?.digest ?? diffID} of ${image.ref} is missing: pull or import the image again`,
        );
      const { unpackLayer } = await import('./unpack.js');
      out.push(await unpackLayer(this.layersDir, this.layout.blobPath(blob.digest), diffID));
    }
    return out;
  }

  async import(file: string): Promise<ImageRecord[]> {
    const lease = this.layout.lease();
    try {
      const { importArchive } = await import('./archive.js');
      const got = await importArchive(this.layout, lease, file);
      const out: ImageRecord[] = [];
      for (const g of got) out.push(await this.commit(g.manifestDigest, g.names, {}, lease));
      return out;
    } finally {
      lease.release();
    }
  }

  async pull(ref: string, opts: PullOptions = {}): Promise<ImageRecord> {
    parseReference(ref); // a malformed reference fails before anything is touched
    const lease = this.layout.lease();
    try {
      const { pullBlobs } = await import('./pull.js');
      const p = await pullBlobs(this.layout, lease, ref, opts);
      const rec = await this.commit(p.manifestDigest, [p.name], {}, lease);
      return { ...rec, ref: p.name };
    } finally {
      lease.release();
    }
  }

  /** Remove blobs and unpacked layers that no image, running pull/import or container uses. */
  async prune(): Promise<PruneResult> {
    this.layout.init();
    return this.layout.locked(async () => {
      const keepBlobs = new Set<string>();
      const keepLayers = layersInUse(this.dataDir);
      for (const l of this.layout.liveLeases()) {
        keepBlobs.add(l);
        keepLayers.add(l);
      }
      const visit = (digest: string): void => {
        keepBlobs.add(digest);
        let doc: Manifest & Index;
        try {
          doc = this.layout.readJson<Manifest & Index>(digest);
        } catch {
          return;
        }
        if (Array.isArray(doc.manifests)) for (const m of doc.manifests) visit(m.digest);
        if (doc.config?.digest) {
          keepBlobs.add(doc.config.digest);
          for (const l of doc.layers ?? []) keepBlobs.add(l.digest);
          try {
            for (const d of this.layout.readJson<ImageConfig>(doc.config.digest).rootfs?.diff_ids ?? [])
              keepLayers.add(d);
          } catch {
            /* missing config: nothing to keep for it */
          }
        }
      };
      for (const d of this.layout.readIndex().manifests) visit(d.digest);
      const res: PruneResult = { blobs: 0, layers: 0, bytes: 0 };
      for (const f of readdirSync(this.layout.blobDir)) {
        const path = joinClean(this.layout.blobDir, f);
        if (f.startsWith('.tmp-') ? !tmpOwnerGone(f) : keepBlobs.has(`sha256:${f}`)) continue;
        res.bytes += statSync(path).size;
        rmSync(path, { force: true });
        if (!f.startsWith('.tmp-')) res.blobs++;
      }
      const partial = joinClean(this.imagesDir, 'partial');
      if (existsSync(partial))
        for (const f of readdirSync(partial))
          if (!f.endsWith('.lock') && !keepBlobs.has(`sha256:${f}`))
            rmSync(joinClean(partial, f), { force: true });
      for (const f of existsSync(this.imagesDir) ? readdirSync(this.imagesDir) : [])
        if (f.startsWith('.tmp-') && tmpOwnerGone(f))
          rmSync(joinClean(this.imagesDir, f), { recursive: true, force: true });
      if (existsSync(this.layersDir)) {
        for (const f of readdirSync(this.layersDir)) {
          const path = joinClean(this.layersDir, f);
          if (f.startsWith('.tmp-')) {
            if (tmpOwnerGone(f)) rmSync(path, { recursive: true, force: true });
            continue;
          }
          if (keepLayers.has(`sha256:${f}`)) continue;
          const meta = readLayerMeta(this.layersDir, `sha256:${f}`);
          res.bytes += meta?.size ?? 0;
          rmSync(path, { recursive: true, force: true });
          res.layers++;
        }
      }
      this.meta.prune(keepBlobs);
      return res;
    });
  }

  layerPath(diffID: string): string {
    return joinClean(layerDir(this.layersDir, diffID), 'diff');
  }

  /** The raw manifest JSON of an image (for inspect). */
  manifestOf(image: ImageRecord): Manifest {
    return this.load(image.digest).manifest;
  }

  readBlobText(digest: string): string {
    return readFileSync(this.layout.blobPath(digest), 'utf8');
  }
}
