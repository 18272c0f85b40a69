// The bin/ shims keep the V8 code cache of a command's first successful run
// (bin/cached-bundle.cjs): the functions that run compiled, for every later start to load. A run
// that did one-time work (built the busybox image, unpacked a layer) compiled that code too, and a
// cache that holds it is bigger to read and deserialize at every later start (~1 ms of a
// `corral run`). Such a run says so here, and the shim leaves the cache to a later run.
const SKIP = Symbol.for('corral.codeCache.skip');

/** This run is not a typical one of its command: do not make it the code cache. */
export function skipCodeCache(): void {
  (globalThis as Record<symbol, unknown>)[SKIP] = true;
}
