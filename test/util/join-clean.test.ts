import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { joinClean } from '../../src/util/join-clean.js';

test('joinClean gives what path.join gives, clean parts or not', () => {
  const parts = [
    '/',
    '/a',
    '/a/b',
    'a',
    'a/b',
    '.hidden',
    'x.json',
    '',
    '.',
    '..',
    'a/./b',
    'a/../b',
    '/a/',
    'a//b',
    '/x/..',
    '...',
  ];
  let n = 0;
  for (const a of parts)
    for (const b of parts)
      for (const c of ['', 'c', '../c', '/c', 'c/']) {
        const args = c === '' ? [a, b] : [a, b, c];
        assert.equal(joinClean(args[0]!, ...args.slice(1)), join(...args), JSON.stringify(args));
        n++;
      }
  assert.equal(joinClean('/sys/fs/cgroup/cpu', 'corral/corral-abc'), '/sys/fs/cgroup/cpu/corral/corral-abc');
  assert.ok(n > 1000);
});
