// Key ranges and the automatic compactor, shared by both backends.
import type { Storage, StorageOptions } from './types.js';

/**
 * The exclusive upper bound of the keys starting with `prefix`, as a string: U+10FFFF encodes as
 * F4 8F BF BF, above every other UTF-8 sequence, so under SQLite's byte order every key with
 * the prefix sorts below it (keys are ASCII paths in practice).
 */
export function prefixEndString(prefix: string): string {
  return prefix + '\u{10FFFF}';
}

/** etcd's range_end for a prefix: the prefix with its last byte below 0xff incremented. */
export function prefixEndBytes(prefix: string): Buffer {
  const b = Buffer.from(prefix);
  for (let i = b.length - 1; i >= 0; i--) {
    if (b[i]! < 0xff) {
      const end = Buffer.from(b.subarray(0, i + 1));
      end[i] = b[i]! + 1;
      return end;
    }
  }
  return Buffer.from([0]); // '' or all 0xff: to the end of the key space
}

export const DEFAULT_RETAIN = 1000;

/** Calls compact(current - retain) every `compactIntervalMs`; returns the stop function. */
export function startCompactor(s: Storage, o: StorageOptions): () => void {
  const every = o.compactIntervalMs ?? 0;
  if (every <= 0) return () => {};
  const retain = o.compactRetain ?? DEFAULT_RETAIN;
  const report =
    o.onBackgroundError ?? ((e: Error) => process.stderr.write(`storage: compaction failed: ${e.message}\n`));
  let running = false;
  let stopped = false;
  const timer = setInterval(() => {
    if (running) return; // a slow compaction is not stacked
    running = true;
    void (async () => {
      const target = (await s.currentRevision()) - retain;
      if (target > (await s.compactRevision())) await s.compact(target);
    })()
      .catch((e: unknown) => stopped || report(e instanceof Error ? e : new Error(String(e))))
      .finally(() => (running = false));
  }, every);
  timer.unref();
  return () => {
    stopped = true;
    clearInterval(timer);
  };
}
