#!/usr/bin/env node
// The bundle (npm run build) starts fastest; the per-module build is the fallback.
import { existsSync } from 'node:fs';

const bundle = new URL('../dist/bundle/corral.js', import.meta.url);
await import(existsSync(bundle) ? bundle.href : '../dist/src/cli/main.js');
