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
  const cacheFile = join(dirname(file), '.v8-cache', `${key}-${process.version}-${process.arch}-${st.size}-${st.mtimeMs}.bin`);
  let cachedData;
  try {
    cachedData = fs.readFileSync(cacheFile);
  } catch {
    /* first run of this key (or of this build) */
  }
  const { Script } = require('node:vm');
  // The bundle is the function node's CommonJS loader would wrap a module in (scripts/bundle.mjs),
  // and ASCII (esbuild escapes the rest): latin1 makes the string fastest.
  const script = new Script(fs.readFileSync(file, 'latin1'), { filename: file, cachedData });
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

module.exports = { runCachedBundle };
