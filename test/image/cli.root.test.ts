// `corral image …` from the command line: output for people, one-line errors, exit 125.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { busyboxLayer, file, isRoot, tempDir, writeOciLayout } from './support.js';

const entry = fileURLToPath(new URL('./cli-entry.js', import.meta.url));

function corral(data: string, ...args: string[]): { out: string; err: string; code: number | null } {
  const r = spawnSync(process.execPath, [entry, '--data-dir', data, 'image', ...args], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { out: r.stdout, err: r.stderr, code: r.status };
}

test('image ls, import, inspect, rm, prune', { skip: !isRoot }, async (t) => {
  const data = tempDir(t);
  let r = corral(data, 'ls');
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /^REPOSITORY\s+TAG\s+IMAGE ID\s+CREATED\s+SIZE$/m);
  assert.match(r.out, /^busybox\s+latest\s+[a-f0-9]{12}\s/m);
  assert.match(r.out, /^corral\.local\/busybox\s+latest\s/m);

  const tmp = tempDir(t);
  writeOciLayout(join(tmp, 'l'), [
    { refName: 'test/app:1', layers: [busyboxLayer(), [file('x', 'y')]], cmd: ['echo', 'hi'] },
  ]);
  execFileSync('tar', ['-cf', join(tmp, 'a.tar'), '-C', join(tmp, 'l'), '.']);
  r = corral(data, 'import', join(tmp, 'a.tar'));
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /^Imported test\/app:1 \([a-f0-9]{12}\)$/m);

  r = corral(data, 'inspect', 'test/app:1');
  assert.equal(r.code, 0, r.err);
  const [info] = JSON.parse(r.out);
  assert.deepEqual(info.Config.Cmd, ['echo', 'hi']);
  assert.deepEqual(info.Names, ['docker.io/test/app:1']);

  r = corral(data, 'rm', 'test/app:1');
  assert.equal(r.code, 0, r.err);
  r = corral(data, 'prune');
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /^Deleted [1-9]\d* blobs and 2 unpacked layers, .* freed$/m);
  assert.doesNotMatch(corral(data, 'ls').out, /test\/app/);
});

test('bad input: one line on stderr, exit 125', { skip: !isRoot }, async (t) => {
  const data = tempDir(t);
  for (const [args, re] of [
    [
      ['inspect', 'nosuch'],
      /^corral: image "nosuch" not found: pull it with corral image pull nosuch or import it\n$/,
    ],
    [['pull', 'Bad:Ref:x'], /^corral: invalid image reference "Bad:Ref:x": .*\n$/],
    [['import', '/nonexistent.tar'], /^corral: cannot import \/nonexistent\.tar: no such file\n$/],
    [['rm', 'nosuch'], /^corral: image "nosuch" not found/],
  ] as const) {
    const r = corral(data, ...args);
    assert.equal(r.code, 125, `${args}: ${r.err}`);
    assert.match(r.err, re);
    assert.equal(r.err.trim().split('\n').length, 1);
  }
});
