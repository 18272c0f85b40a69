// The driver's protocol pieces, without root.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import {
  HelperError,
  LineSplitter,
  helperPath,
  parseHelperMessage,
  startPlan,
} from '../../../src/kernel/plan/helper.js';
import { encodeLine } from '../../../src/kernel/plan/plan.js';

test('helper messages are parsed, with escapes undone', () => {
  assert.deepEqual(parseHelperMessage('pid\t4242'), { type: 'pid', pid: 4242 });
  assert.deepEqual(parseHelperMessage('prestart'), { type: 'prestart' });
  assert.deepEqual(parseHelperMessage('created'), { type: 'created' });
  const line = encodeLine(['error', 'mount /proc: proc (proc)\twith tab\nand newline: No such device']).slice(
    0,
    -1,
  );
  assert.deepEqual(parseHelperMessage(line), {
    type: 'error',
    step: 'mount',
    message: 'mount /proc: proc (proc)\twith tab\nand newline: No such device',
  });
  assert.equal(
    (parseHelperMessage('error\tcaps: capset: Operation not permitted') as { step: string }).step,
    'caps',
  );
});

test('unknown or malformed messages are protocol errors', () => {
  assert.throws(
    () => parseHelperMessage('hello'),
    (e: unknown) => e instanceof HelperError && e.step === 'protocol',
  );
  assert.throws(() => parseHelperMessage('pid\tabc'), HelperError);
  assert.throws(() => parseHelperMessage('pid\t-3'), HelperError);
});

test('lines split across chunks are reassembled', () => {
  const s = new LineSplitter();
  assert.deepEqual(s.push('pi'), []);
  assert.deepEqual(s.push('d\t12\npres'), ['pid\t12']);
  assert.deepEqual(s.push('tart\ncreated\n'), ['prestart', 'created']);
  assert.equal(s.pending, '');
});

test('the helper is found next to the build, or where CORRAL_HELPER says', () => {
  assert.equal(helperPath({ CORRAL_HELPER: '/opt/x/corral-helper' }), '/opt/x/corral-helper');
  const p = helperPath({});
  assert.match(p, /native\/corral-helper$/);
  assert.ok(existsSync(p), `${p} exists (run make -C native)`);
});

test('a preserve-fds mismatch is refused before spawning anything', async () => {
  await assert.rejects(
    startPlan([{ op: 'arg', value: 'true' }], {
      stdio: ['ignore', 'ignore', 'ignore'],
      preserveFds: [1],
      detached: false,
    }),
    (e: unknown) => e instanceof HelperError && e.step === 'preserve-fds',
  );
});

test('a missing helper binary is a clear error', async () => {
  await assert.rejects(
    startPlan([{ op: 'arg', value: 'true' }], {
      stdio: ['ignore', 'ignore', 'ignore'],
      detached: false,
      helper: '/nonexistent/corral-helper',
    }),
    (e: unknown) => e instanceof HelperError && /cannot start corral-helper/.test(e.message),
  );
});

test('a bad plan is reported by the helper with the record name (no root needed)', async () => {
  await assert.rejects(
    startPlan(
      [
        { op: 'pivot-root', mode: 'sideways' as 'pivot' },
        { op: 'arg', value: 'true' },
      ],
      {
        stdio: ['ignore', 'ignore', 'ignore'],
        detached: false,
      },
    ),
    (e: unknown) =>
      e instanceof HelperError && e.step === 'pivot-root' && /expected pivot or chroot/.test(e.message),
  );
});
