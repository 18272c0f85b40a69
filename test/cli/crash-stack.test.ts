// A crash in a minified bundle is reported at its TypeScript source line: a small module bundled
// as scripts/bundle.mjs bundles the CLI (short names, a linked source map), made to throw.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { sourceMappedStack } from '../../src/cli/crash-stack.js';

test('frames of a minified bundle are mapped to the source file, line and column', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'corral-crash-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const src = join(dir, 'broken.ts');
  writeFileSync(
    src,
    [
      'export function parseTheThing(input: string): number {',
      '  const value: number = Number(input);',
      "  if (Number.isNaN(value)) throw new Error('not a number: ' + input);",
      '  return value;',
      '}',
      '',
    ].join('\n'),
  );
  await build({
    entryPoints: [src],
    outfile: join(dir, 'broken.cjs'),
    bundle: true,
    format: 'cjs',
    platform: 'node',
    sourcemap: 'linked',
    minify: true,
    logLevel: 'silent',
  });
  const mod = createRequire(import.meta.url)(join(dir, 'broken.cjs')) as { parseTheThing(s: string): number };
  let stack = '';
  try {
    mod.parseTheThing('x');
  } catch (e) {
    stack = (e as Error).stack ?? '';
  }
  assert.match(stack, /broken\.cjs:\d+:\d+/, 'the raw trace points into the bundle');
  const mapped = await sourceMappedStack(stack);
  assert.ok(mapped.includes(`${src}:3:`), mapped);
  assert.doesNotMatch(mapped.split('\n')[1]!, /broken\.cjs/);
  // The message and frames outside the bundle stay as they were.
  assert.equal(mapped.split('\n')[0], 'Error: not a number: x');
  assert.equal(mapped.split('\n').slice(2).join('\n'), stack.split('\n').slice(2).join('\n'));
});

test('a bundle without a source map, and other lines, are left alone', async () => {
  const stack = 'Error: boom\n    at f (/nowhere/x.cjs:1:2)\n    at node:internal/main:3:4';
  assert.equal(await sourceMappedStack(stack), stack);
});
