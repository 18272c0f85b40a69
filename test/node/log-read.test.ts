// The kubelet's log options over CRI records: timestamps once per line (not per partial record),
// tailLines counting whole lines, limitBytes across batches, sinceTime; and which instance's file
// `previous` reads.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { instanceLog, LogFormatter, rfc3339Nano } from '../../src/node/log-read.js';
import type { ContainerStatus } from '../../src/node/types.js';

const REC = [
  '2026-01-01T00:00:01.100000000Z stdout F one',
  '2026-01-01T00:00:02.000000000Z stdout P tw',
  '2026-01-01T00:00:02.500000000Z stderr F err',
  '2026-01-01T00:00:03.123456789Z stdout F o',
  'garbage',
  '2026-01-01T00:00:04.000000001Z stdout F three',
].join('\n');

test('RFC3339Nano as Go prints it: trailing zeros of the fraction cut', () => {
  assert.equal(rfc3339Nano('2026-01-01T00:00:01.100000000Z'), '2026-01-01T00:00:01.1Z');
  assert.equal(rfc3339Nano('2026-01-01T00:00:02.000000000Z'), '2026-01-01T00:00:02Z');
  assert.equal(rfc3339Nano('2026-01-01T00:00:03.123456789Z'), '2026-01-01T00:00:03.123456789Z');
});

test('records to text: partial records joined, timestamps once per line, tail, limit, since', () => {
  assert.equal(new LogFormatter({}).format(REC).toString(), 'one\ntwerr\no\nthree\n');
  assert.equal(
    new LogFormatter({ timestamps: true }).format(REC).toString(),
    '2026-01-01T00:00:01.1Z one\n2026-01-01T00:00:02Z tw2026-01-01T00:00:02.5Z err\no\n2026-01-01T00:00:04.000000001Z three\n',
  );
  assert.equal(new LogFormatter({ tailLines: 2 }).format(REC).toString(), 'err\no\nthree\n');
  assert.equal(new LogFormatter({ tailLines: 0 }).format(REC).toString(), '');
  assert.equal(
    new LogFormatter({ sinceMs: Date.parse('2026-01-01T00:00:03Z') }).format(REC).toString(),
    'o\nthree\n',
  );
  const lim = new LogFormatter({ limitBytes: 6, tailLines: 1 });
  assert.equal(lim.format(REC).toString(), 'three\n');
  assert.equal(lim.done, true);
  const more = new LogFormatter({ limitBytes: 6, tailLines: 1 });
  assert.equal(more.format('2026-01-01T00:00:01Z stdout F ab').toString(), 'ab\n');
  // later batches (follow): no tail, the rest of the byte budget
  assert.equal(more.format(REC).toString(), 'one');
  assert.equal(more.done, true);
});

test('the file of the current and of the previous instance', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'corral-logread-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  for (const n of [0, 1, 2]) writeFileSync(join(dir, `${n}.log`), '');
  const st = (state: ContainerStatus['state'], last: boolean, restartCount: number): ContainerStatus => ({
    name: 'c',
    image: 'busybox',
    state,
    lastState: last ? { terminated: { exitCode: 1, reason: 'Error', startedAt: '', finishedAt: '' } } : {},
    ready: false,
    started: false,
    restartCount,
  });
  const running = st({ running: { startedAt: '' } }, true, 2);
  assert.equal(instanceLog(dir, 'p', running, false), join(dir, '2.log'));
  assert.equal(instanceLog(dir, 'p', running, true), join(dir, '1.log'));
  // waiting to restart: lastState is the instance that just ended, the newest file
  const backoff = st({ waiting: { reason: 'CrashLoopBackOff' } }, true, 2);
  assert.equal(instanceLog(dir, 'p', backoff, false), join(dir, '2.log'));
  assert.equal(instanceLog(dir, 'p', backoff, true), join(dir, '2.log'));
  assert.throws(
    () => instanceLog(dir, 'p', st({ running: { startedAt: '' } }, false, 0), true),
    /previous terminated container "c" in pod "p" not found/,
  );
  assert.throws(
    () => instanceLog(dir, 'p', st({ waiting: { reason: 'ContainerCreating' } }, false, 0), false),
    /container "c" in pod "p" is waiting to start: ContainerCreating/,
  );
});
