#!/usr/bin/env node
// `corral` starts once per command (`corral run --rm busybox true` is a whole container's life),
// so node starting and compiling JavaScript is much of a short command's time. As bin/corral-oci.cjs:
//  - This shim is CommonJS (bin/corral.js is a symlink to it, and node looks at the real path of
//    the main script): an ES module entry makes node set up its ESM loader.
//  - The bundle (npm run build) is one CommonJS file, compiled with a V8 code cache per command
//    (cached-bundle.cjs).
// Without a bundle: the per-module build.
'use strict';
const { join } = require('node:path');
const { runCachedBundle } = require('./cached-bundle.cjs');

/** The command (cache key): its first two words (`run`, `image-ls`), global options skipped. */
function command(argv) {
  const words = [];
  for (let i = 0; i < argv.length && words.length < 2; i++) {
    const a = argv[i];
    if (a === '--data-dir') i++;
    else if (a.startsWith('-')) break;
    else if (words.length === 0 || words[0] === 'image' || words[0] === 'node') words.push(a);
    else break;
  }
  const key = words.join('-').replace(/[^a-z0-9-]/g, '');
  return key.length > 0 && key.length <= 40 ? key : 'other';
}

const bundle = join(__dirname, '../dist/bundle/corral.cjs');
if (!runCachedBundle(bundle, `corral-${command(process.argv.slice(2))}`, require)) import('../dist/src/cli/main.js');
