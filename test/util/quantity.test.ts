import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseBytes, parseQuantity } from '../../src/util/quantity.js';

test('quantities with binary, decimal and milli suffixes', () => {
  assert.equal(parseBytes('64Mi', 'x'), 64 * 1024 * 1024);
  assert.equal(parseBytes('1G', 'x'), 1e9);
  assert.equal(parseBytes('1.5Ki', 'x'), 1536);
  assert.equal(parseQuantity('500m', 'x'), 0.5);
  assert.equal(parseBytes('4096', 'x'), 4096);
});

test('a bad quantity names the field and shows the fix', () => {
  assert.throws(
    () => parseBytes('64MB', '--memory'),
    /^Error: --memory: "64MB" is not a quantity; use e\.g\. 64Mi/,
  );
  assert.throws(() => parseBytes('-1', '--memory'), /--memory: "-1" must be a non-negative size/);
});
