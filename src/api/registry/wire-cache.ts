// The JSON bytes of objects as a GET or LIST serves them, by kind, storage key and revision. A
// revision's value never changes, so an entry is valid for as long as the key's current revision
// is the one it was made at: readers still ask storage for the current revision (a cheap indexed
// read), and skip decoding the stored value and encoding the response. Bounded in bytes, least
// recently used out first; one cache per Storage, so two servers in one process never share one.
import type { Storage } from '../storage/types.js';

/** Default budget per Storage: about 40k pods of 1.5 KB, the order of kube-apiserver's watch cache. */
export const WIRE_CACHE_BYTES = 64 * 1024 * 1024;

interface Entry {
  rev: number;
  bytes: Buffer;
}

export class WireCache {
  private readonly entries = new Map<string, Entry>();
  private bytes = 0;

  constructor(readonly maxBytes = WIRE_CACHE_BYTES) {}

  get size(): number {
    return this.entries.size;
  }

  get usedBytes(): number {
    return this.bytes;
  }

  get(id: string, rev: number): Buffer | undefined {
    const e = this.entries.get(id);
    if (!e || e.rev !== rev) return undefined;
    // Map order is insertion order: re-inserting makes this the most recently used.
    this.entries.delete(id);
    this.entries.set(id, e);
    return e.bytes;
  }

  set(id: string, rev: number, bytes: Buffer): void {
    const old = this.entries.get(id);
    if (old) {
      // An older revision's bytes never come back into use; a newer one's stay.
      if (old.rev > rev) return;
      this.entries.delete(id);
      this.bytes -= old.bytes.length;
    }
    if (bytes.length > this.maxBytes / 16) return;
    this.entries.set(id, { rev, bytes });
    this.bytes += bytes.length;
    for (const [k, e] of this.entries) {
      if (this.bytes <= this.maxBytes) break;
      this.entries.delete(k);
      this.bytes -= e.bytes.length;
    }
  }

  delete(id: string): void {
    const e = this.entries.get(id);
    if (!e) return;
    this.entries.delete(id);
    this.bytes -= e.bytes.length;
  }
}

const caches = new WeakMap<Storage, WireCache>();

export function wireCacheFor(storage: Storage): WireCache {
  let c = caches.get(storage);
  if (!c) caches.set(storage, (c = new WireCache()));
  return c;
}
