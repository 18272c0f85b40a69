#!/usr/bin/env node
// corral-oci runs once per container operation, so most of its time is node starting and
// compiling JavaScript. The bundle (npm run build) is one CommonJS file, compiled here with a V8
// code cache: the compiled code of the previous run of the same verb (each verb runs other
// functions; V8 caches those a run compiled), in dist/bundle/.v8-cache/. No cache, or one V8
// rejects: compile from source and write one at exit. Node 22+: its own module compile cache.
// Without a bundle: the per-module build.
import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import module, { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Script } from 'node:vm';

const file = fileURLToPath(new URL('../dist/bundle/corral-oci.cjs', import.meta.url));
const cacheDir = fileURLToPath(new URL('../dist/bundle/.v8-cache/', import.meta.url));

/** The verb (cache key): the first argument that is neither a global option nor its value. */
function verb(argv) {
  const withValue = new Set(['--root', '--log', '--log-format', '--cgroup-root', '--rootless', '--criu']);
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (withValue.has(a)) i++;
    else if (!a.startsWith('-')) return /^[a-z]{1,16}$/.test(a) ? a : 'other';
  }
  return 'none';
}

function run() {
  let st;
  try {
    st = statSync(file);
  } catch {
    return false;
  }
  if (typeof module.enableCompileCache === 'function') {
    module.enableCompileCache(cacheDir);
    createRequire(import.meta.url)(file);
    return true;
  }
  const key = `${verb(process.argv.slice(2))}-${process.version}-${process.arch}-${st.size}-${st.mtimeMs}`;
  const cacheFile = `${cacheDir}${key}.bin`;
  let cachedData;
  try {
    cachedData = readFileSync(cacheFile);
  } catch {
    /* first run of this verb (or this build) */
  }
  const source = readFileSync(file, 'utf8');
  // The CommonJS wrapper, as node's loader would compile it.
  const script = new Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, {
    filename: file,
    cachedData,
  });
  if (!cachedData || script.cachedDataRejected) {
    process.once('exit', () => {
      try {
        mkdirSync(cacheDir, { recursive: true });
        const tmp = `${cacheFile}.${process.pid}.tmp`;
        writeFileSync(tmp, script.createCachedData());
        renameSync(tmp, cacheFile);
      } catch {
        /* read-only install: no cache, just a slower start */
      }
    });
  }
  const m = { exports: {} };
  script.runInThisContext()(m.exports, createRequire(file), m, file, dirname(file));
  return true;
}

if (!run()) await import('../dist/src/cli/oci/main.js');
