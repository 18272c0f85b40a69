// bin/cached-bundle.cjs: which run of a command leaves the V8 code cache the later starts load.
// A successful, typical one; not a failed one, not `--help`, not one that did one-time work
// (src/util/code-cache-hint.ts: building the busybox image, unpacking a layer).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { skipCodeCache } from '../../src/util/code-cache-hint.js';

const SHIM = fileURLToPath(new URL('../../../bin/cached-bundle.cjs', import.meta.url));

/** A bundle as scripts/bundle.mjs makes them: the CommonJS wrapper function itself. */
function bundle(dir: string, body: string): string {
  const file = join(dir, 'b.cjs');
  writeFileSync(file, `(function (exports, require, module, __filename, __dirname) {${body}})`);
  return file;
}

function run(file: string, ...args: string[]) {
  return runWith([], file, ...args);
}

function runWith(nodeFlags: string[], file: string, ...args: string[]) {
  const main = `require(${JSON.stringify(SHIM)}).runCachedBundle(${JSON.stringify(file)}, 'k', require);`;
  return spawnSync(process.execPath, [...nodeFlags, '-e', main, '--', ...args], { encoding: 'utf8' });
}

const caches = (dir: string): string[] =>
  existsSync(join(dir, '.v8-cache')) ? readdirSync(join(dir, '.v8-cache')) : [];

test('a successful run leaves the cache; later runs load it and leave it as it is', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'corral-code-cache-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = bundle(dir, 'function f(x) { return x + 1; } process.stdout.write(String(f(41)));');
  const first = run(file);
  assert.equal(first.status, 0, first.stderr);
  assert.equal(first.stdout, '42');
  const [cache] = caches(dir);
  assert.match(cache ?? '', /^k-v\d+.*\.bin$/);
  const again = run(file);
  assert.equal(again.stdout, '42');
  assert.deepEqual(caches(dir), [cache]);
});

test('no cache from a failed run, from --help, or from a run that did one-time work', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'corral-code-cache-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const failed = run(bundle(dir, 'process.exitCode = 3;'));
  assert.equal(failed.status, 3);
  assert.deepEqual(caches(dir), []);
  const help = run(bundle(dir, '/* help */'), '--help');
  assert.equal(help.status, 0);
  assert.deepEqual(caches(dir), []);
  // What skipCodeCache() does (the bundle has its own copy of that module).
  const oneTime = run(bundle(dir, "globalThis[Symbol.for('corral.codeCache.skip')] = true;"));
  assert.equal(oneTime.status, 0);
  assert.deepEqual(caches(dir), []);
  // The next typical run writes it.
  assert.equal(run(bundle(dir, '/* typical */')).status, 0);
  assert.equal(caches(dir).length, 1);
});

test('a cache per set of node flags (V8 rejects one made under others): no rewriting in turns', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'corral-code-cache-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = bundle(dir, 'process.stdout.write("ok");');
  const flags = ['--min-semi-space-size=2'];
  for (const f of [[], flags]) assert.equal(runWith(f, file).stdout, 'ok');
  const made = caches(dir).sort();
  assert.equal(made.length, 2, made.join(' '));
  const mtimes = () => made.map((c) => statSync(join(dir, '.v8-cache', c)).mtimeMs);
  const before = mtimes();
  for (const f of [[], flags, []]) assert.equal(runWith(f, file).stdout, 'ok');
  assert.deepEqual(caches(dir).sort(), made);
  assert.deepEqual(mtimes(), before, 'each run found its own cache and left it as it was');
});

test('skipCodeCache marks the run as the shim looks for it', () => {
  const key = Symbol.for('corral.codeCache.skip');
  const g = globalThis as Record<symbol, unknown>;
  delete g[key];
  skipCodeCache();
  assert.equal(g[key], true);
  delete g[key];
});
