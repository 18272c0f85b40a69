// Where corral-helper is: $CORRAL_HELPER, else native/corral-helper of this checkout, found by
// walking up from this module (it runs from src/, dist/src/ or the dist/bundle/ bundle).
import { existsSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { joinClean } from '../util/join-clean.js';

export function helperPath(env: NodeJS.ProcessEnv = process.env): string {
  if (env.CORRAL_HELPER) return env.CORRAL_HELPER;
  // In the CommonJS bundle __dirname is the bundle's directory (no file URL to make and parse
  // back, ~0.5 ms of a `corral run`); as an ES module there is none, and import.meta.url says.
  let dir = typeof __dirname === 'string' ? __dirname : dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 8; i++) {
    const p = joinClean(dir, 'native', 'corral-helper');
    if (existsSync(p)) return p;
    dir = dirname(dir);
  }
  return 'corral-helper';
}
