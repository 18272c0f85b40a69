import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeLine, encodeLine, encodePlan } from '../../src/kernel/plan/plan.js';

test('fields with tabs, newlines and backslashes survive encoding', () => {
  const fields = ['mount', 'a\tb', 'c\nd', 'e\\f', ''];
  const line = encodeLine(fields);
  assert.equal(line.split('\n').length, 2, 'one record is one line');
  assert.deepEqual(decodeLine(line.slice(0, -1)), fields);
});

test('a plan starts with version and ends with end', () => {
  const text = encodePlan([
    { op: 'ns-new', type: 'pid' },
    { op: 'caps', set: 'bounding', mask: 0xa80425fbn },
    { op: 'arg', value: 'sh' },
  ]);
  assert.equal(text, 'version\t1\nns-new\tpid\ncaps\tbounding\ta80425fb\narg\tsh\nend\n');
});
