#!/usr/bin/env node
// corral-oci runs once per container operation, so most of its time is node starting and
// compiling JavaScript; this shim keeps that small:
//  - It is CommonJS (bin/corral-oci.js is a symlink to it, and node looks at the real path of the
//    main script): an ES module entry makes node set up its ESM loader, ~10 ms a call.
//  - The bundle (npm run build) is one CommonJS file, compiled with a V8 code cache per verb
//    (cached-bundle.cjs).
// Without a bundle: the per-module build.
'use strict';
const { join } = require('node:path');
const { runCachedBundle } = require('./cached-bundle.cjs');

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

const bundle = join(__dirname, '../dist/bundle/corral-oci.cjs');
if (!runCachedBundle(bundle, verb(process.argv.slice(2)), require)) import('../dist/src/cli/oci/main.js');
