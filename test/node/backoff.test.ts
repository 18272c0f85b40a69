// CrashLoopBackOff delays: base, doubling to the cap, and back to the base after a run that
// lasted the reset window (10 s / 5 min / 10 min by default; scaled with the base for tests).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Backoff, backoffFor, DEFAULT_BACKOFF } from '../../src/node/backoff.js';

test('10 s doubling to 5 min; a run of 10 min resets to 10 s', () => {
  const b = new Backoff(DEFAULT_BACKOFF);
  const delays = Array.from({ length: 7 }, () => b.delay(1000));
  assert.deepEqual(delays, [10_000, 20_000, 40_000, 80_000, 160_000, 300_000, 300_000]);
  assert.equal(b.delay(599_999), 300_000, 'just under 10 minutes: no reset');
  assert.equal(b.delay(600_000), 10_000, '10 minutes of running: reset');
  assert.equal(b.delay(0), 20_000);
});

test('a scaled base scales cap and reset window; restore keeps the state across agents', () => {
  assert.deepEqual(backoffFor(100), { baseMs: 100, maxMs: 3000, resetMs: 6000 });
  const b = new Backoff(backoffFor(100));
  b.delay(0);
  b.delay(0);
  const again = new Backoff(backoffFor(100));
  again.restore(b.current);
  assert.equal(again.delay(0), 400);
  assert.equal(again.delay(6000), 100);
});
