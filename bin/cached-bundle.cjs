// Runs a CommonJS bundle of dist/bundle/ compiled with a V8 code cache: the code the first
// successful run with the same cache key compiled (each command runs other functions, and V8
// caches those a run compiled), in dist/bundle/.v8-cache/. No cache, or one V8 rejects: compile
// from source and write one at a successful exit. Shared by the bin/ shims (corral.cjs, corral-oci.cjs).
'use strict';
const fs = require('node:fs');
const { dirname, join } = require('node:path');

/**
 * Run `file` (false when it is not built). `key` names the cache: the command or verb run.
 * `req` is the shim's require: the bundle requires node built-ins and packages of node_modules.
 */
function runCachedBundle(file, key, req) {
  let st;
  try {
    st = fs.statSync(file);
  } catch {
    return false;
  }
  // V8 rejects a cache made under other flags (native/corral starts node with some): one per set.
  const flags = process.execArgv.length ? `-f${hash(process.execArgv.join(' '))}` : '';
  const cacheFile = join(dirname(file), '.v8-cache', `${key}-${process.version}-${process.arch}${flags}-${st.size}-${st.mtimeMs}.bin`);
  let cacheFd;
  try {
    cacheFd = fs.openSync(cacheFile, 'r');
  } catch {
    /* first run of this key (or of this build) */
  }
  // Both files are read through one buffer, the source first (its string is made from it), then
  // the cache: a fresh buffer costs a page fault per 4 KiB touched (13 µs each on this project's
  // CI machine, ~100 pages a file), a reused one does not.
  const srcFd = fs.openSync(file, 'r');
  const srcSize = fs.fstatSync(srcFd).size;
  const cacheSize = cacheFd === undefined ? 0 : fs.fstatSync(cacheFd).size;
  const buf = Buffer.allocUnsafeSlow(Math.max(srcSize, cacheSize));
  // The bundle is the function node's CommonJS loader would wrap a module in (scripts/bundle.mjs),
  // and ASCII (esbuild escapes the rest): latin1 makes the string fastest.
  const source = buf.toString('latin1', 0, readInto(srcFd, buf, srcSize));
  const cachedData = cacheFd === undefined ? undefined : buf.subarray(0, readInto(cacheFd, buf, cacheSize));
  const { Script } = require('node:vm');
  const script = new Script(source, { filename: file, cachedData });
  if (!cachedData || script.cachedDataRejected) {
    // The cache holds what this run compiled, and is kept: one of help or of a failure (a typo
    // in a first `corral run`) would leave later runs compiling the rest from source.
    process.once('exit', (code) => {
      // Not one that did one-time work either (src/util/code-cache-hint.ts).
      if (code !== 0 || process.argv.includes('--help') || globalThis[Symbol.for('corral.codeCache.skip')]) return;
      try {
        fs.mkdirSync(dirname(cacheFile), { recursive: true });
        const tmp = `${cacheFile}.${process.pid}.tmp`;
        fs.writeFileSync(tmp, script.createCachedData());
        fs.renameSync(tmp, cacheFile);
      } catch {
        /* a read-only install: no cache, a slower start */
      }
    });
  }
  const m = { exports: {} };
  script.runInThisContext()(m.exports, req, m, file, dirname(file));
  return true;
}

/** A short name for a string (FNV-1a, 32 bits, hex). */
function hash(s) {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return (h >>> 0).toString(16);
}

/** Read up to `size` bytes of `fd` into `buf` and close it; the count read. */
function readInto(fd, buf, size) {
  let n = 0;
  try {
    for (let got; n < size && (got = fs.readSync(fd, buf, n, size - n, null)) > 0; ) n += got;
  } finally {
    fs.closeSync(fd);
  }
  return n;
}

module.exports = { runCachedBundle };
