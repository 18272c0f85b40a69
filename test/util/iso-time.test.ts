import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isoTime } from '../../src/util/iso-time.js';

test('isoTime is Date#toISOString', () => {
  const fixed = [0, 951782400000, 951868799999, 4107542400000, 253402300799999, Date.now(), 1795977353260];
  let seed = 7;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 253402300799999;
  for (const ms of [...fixed, ...Array.from({ length: 20000 }, () => Math.floor(rnd()))])
    assert.equal(isoTime(ms), new Date(ms).toISOString(), String(ms));
  for (const ms of [-1, 253402300800000]) assert.equal(isoTime(ms), new Date(ms).toISOString());
  assert.match(isoTime(), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
});
