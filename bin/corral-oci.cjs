#!/usr/bin/env node
// corral-oci runs once per container operation, so most of its time is node starting and
// compiling JavaScript; this shim keeps that small:
//  - It is CommonJS (bin/corral-oci.js is a symlink to it, and node looks at the real path of the
//    main script): an ES module entry makes node set up its ESM loader, ~10 ms a call.
//  - The bundle (npm run build) is one CommonJS file, compiled here with a V8 code cache: the
//    code compiled by the previous run of the same verb (each verb runs other functions, and V8
//    caches those a run compiled), in dist/bundle/.v8-cache/. No cache, or one V8 rejects:
//    compile from source and write one at exit.
// Without a bundle: the per-module build.
'use strict';
const fs = require('node:fs');
const { dirname, join } = require('node:path');

const file = join(__dirname, '../dist/bundle/corral-oci.cjs');
const cacheDir = join(__dirname, '../dist/bundle/.v8-cache');

const VERBS = 'create start state kill delete run exec ps list ls pause resume update features spec help'.split(' ');

/** The verb (cache key): the first argument that is neither a global option nor its value. */
function verb(argv) {
  const withValue = ['--root', '--log', '--log-format', '--cgroup-root', '--rootless', '--criu'];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (withValue.includes(a)) i++;
    else if (!a.startsWith('-')) return VERBS.includes(a) ? a : 'other';
  }
  return 'none';
}

function run() {
  let st;
  try {
    st = fs.statSync(file);
  } catch {
    return false;
  }
  const key = `${verb(process.argv.slice(2))}-${process.version}-${process.arch}-${st.size}-${st.mtimeMs}`;
  const cacheFile = join(cacheDir, `${key}.bin`);
  let cachedData;
  try {
    cachedData = fs.readFileSync(cacheFile);
  } catch {
    /* first run of this verb (or of this build) */
  }
  const { Script } = require('node:vm');
  // The wrapper node's CommonJS loader compiles a module in. The bundle is ASCII (esbuild escapes
  // the rest), and latin1 makes the string fastest.
  const script = new Script(
    `(function (exports, require, module, __filename, __dirname) {${fs.readFileSync(file, 'latin1')}\n})`,
    { filename: file, cachedData },
  );
  if (!cachedData || script.cachedDataRejected) {
    process.once('exit', () => {
      try {
        fs.mkdirSync(cacheDir, { recursive: true });
        const tmp = `${cacheFile}.${process.pid}.tmp`;
        fs.writeFileSync(tmp, script.createCachedData());
        fs.renameSync(tmp, cacheFile);
      } catch {
        /* a read-only install: no cache, a slower start */
      }
    });
  }
  const m = { exports: {} };
  // The bundle requires node built-ins only (everything else is in it): this file's require does.
  script.runInThisContext()(m.exports, require, m, file, dirname(file));
  return true;
}

if (!run()) import('../dist/src/cli/oci/main.js');
