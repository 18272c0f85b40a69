import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseFieldSelector, escapeFieldValue, SelectorError } from '../../../src/api/selectors/index.js';

const pod: Record<string, string> = {
  'metadata.name': 'web',
  'metadata.namespace': 'dev',
  'spec.nodeName': 'node-1',
  'status.phase': 'Running',
};
const get = (p: string) => pod[p];

test('=, == and != terms, ANDed', () => {
  assert.equal(parseFieldSelector('metadata.name=web').matches(get), true);
  assert.equal(parseFieldSelector('metadata.name==web').matches(get), true);
  assert.equal(parseFieldSelector('metadata.name=db').matches(get), false);
  const s = parseFieldSelector('spec.nodeName=node-1,status.phase!=Succeeded,status.phase!=Failed');
  assert.equal(s.matches(get), true);
  assert.equal(
    s.matches((p) => ({ ...pod, 'status.phase': 'Failed' })[p]),
    false,
  );
  assert.deepEqual(s.fields().sort(), ['spec.nodeName', 'status.phase']);
  assert.equal(s.requiresExactMatch('spec.nodeName'), 'node-1');
  assert.equal(s.requiresExactMatch('status.phase'), undefined);
});

test('a missing field reads as the empty string', () => {
  assert.equal(
    parseFieldSelector('spec.nodeName=').matches(() => undefined),
    true,
  );
  assert.equal(
    parseFieldSelector('spec.nodeName!=x').matches(() => undefined),
    true,
  );
});

test('empty selector and empty terms', () => {
  assert.equal(parseFieldSelector('').empty, true);
  assert.equal(parseFieldSelector('').matches(get), true);
  assert.equal(parseFieldSelector('metadata.name=web,').requirements.length, 1);
});

test('escaped values round-trip', () => {
  const v = 'a,b=c\\d';
  const text = `metadata.name=${escapeFieldValue(v)}`;
  assert.equal(text, 'metadata.name=a\\,b\\=c\\\\d');
  const s = parseFieldSelector(text);
  assert.equal(s.requirements[0]!.value, v);
  assert.equal(
    s.matches(() => v),
    true,
  );
  assert.equal(s.toString(), text);
});

test('bad selectors give Kubernetes errors', () => {
  assert.throws(
    () => parseFieldSelector('metadata.name'),
    (e: unknown) =>
      e instanceof SelectorError &&
      e.message === "invalid selector: 'metadata.name'; can't understand 'metadata.name'",
  );
  assert.throws(() => parseFieldSelector('a=b\\x'), /invalid escape sequence/);
  assert.throws(() => parseFieldSelector('a=b=c'), /unescaped special character/);
});
