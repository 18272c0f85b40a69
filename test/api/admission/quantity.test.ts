// Exact quantities: parsing to thousandths, sums and Kubernetes' canonical text.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ApiError } from '../../../src/api/errors.js';
import { add, cmp, format, qty } from '../../../src/api/admission/quantity.js';

test('quantities parse exactly and print canonically', () => {
  const f = (s: string) => format(qty(s, 'x'));
  assert.equal(f('1000m'), '1');
  assert.equal(f('1500m'), '1500m');
  assert.equal(f('0.5'), '500m');
  assert.equal(f('2000'), '2k');
  assert.equal(f('1.5Gi'), '1536Mi');
  assert.equal(f('1024Ki'), '1Mi');
  assert.equal(f('1e3'), '1k');
  assert.equal(f('0.1m'), '1m'); // rounded up to milli precision
  assert.equal(format(add(qty('128Mi', 'x'), qty('64Mi', 'x'))), '192Mi');
  assert.equal(format(add(qty('0.1', 'x'), qty('0.2', 'x'))), '300m');
  assert.equal(cmp(qty('1', 'x'), qty('1000m', 'x')), 0);
  assert.equal(cmp(qty('1Gi', 'x'), qty('1G', 'x')), 1);
  assert.throws(
    () => qty('lots', 'spec.hard.pods'),
    (e: unknown) => e instanceof ApiError && e.code === 400 && /spec\.hard\.pods/.test(e.message),
  );
});
