import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyPatch, PatchError } from '../../../src/api/patch/index.js';

const opts = { kind: 'ConfigMap', apiVersion: 'v1' };
const cm = {
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name: 'c', labels: { a: '1' } },
  data: { x: 'y' },
  list: [1, 2, 3],
};
const jp = (ops: unknown) =>
  applyPatch('application/json-patch+json', cm, JSON.stringify(ops), opts) as Record<string, unknown>;

test('JSON patch: add, remove, replace, move, copy, test', () => {
  const out = jp([
    { op: 'add', path: '/metadata/labels/b~1c', value: '2' },
    { op: 'add', path: '/list/-', value: 4 },
    { op: 'add', path: '/list/0', value: 0 },
    { op: 'remove', path: '/list/1' },
    { op: 'replace', path: '/data/x', value: 'z' },
    { op: 'copy', from: '/data/x', path: '/data/copy' },
    { op: 'move', from: '/metadata/labels/a', path: '/metadata/labels/moved' },
    { op: 'test', path: '/data/copy', value: 'z' },
  ]);
  assert.deepEqual(out, {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'c', labels: { 'b/c': '2', moved: '1' } },
    data: { x: 'z', copy: 'z' },
    list: [0, 2, 3, 4],
  });
  assert.deepEqual(cm.list, [1, 2, 3], 'input untouched');
});

test('JSON patch errors are 422 (or 400 for malformed operations) and atomic', () => {
  const err = (ops: unknown, code: number, re: RegExp) =>
    assert.throws(
      () => jp(ops),
      (e: unknown) => e instanceof PatchError && e.code === code && re.test(e.message),
    );
  err([{ op: 'test', path: '/data/x', value: 'nope' }], 422, /testing value \/data\/x failed/);
  err([{ op: 'remove', path: '/data/missing' }], 422, /nonexistent key/);
  err([{ op: 'replace', path: '/spec/x', value: 1 }], 422, /missing path: "\/spec\/x"/);
  err([{ op: 'add', path: '/list/9', value: 1 }], 422, /out of range/);
  err([{ op: 'frob', path: '/a' }], 400, /unexpected op "frob"/);
  err({ op: 'add' }, 400, /must be a JSON array/);
  assert.throws(
    () => applyPatch('application/json-patch+json', cm, '[{', opts),
    (e: unknown) => e instanceof PatchError && e.code === 400,
  );
});

test('merge patch: objects merge, null deletes, arrays replace', () => {
  const out = applyPatch(
    'application/merge-patch+json',
    cm,
    JSON.stringify({ metadata: { labels: { a: null, color: 'blue' } }, list: [9], data: null }),
    opts,
  );
  assert.deepEqual(out, {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'c', labels: { color: 'blue' } },
    list: [9],
  });
});

test('unknown patch type is 415', () => {
  assert.throws(
    () => applyPatch('text/plain', cm, '{}', opts),
    (e: unknown) => e instanceof PatchError && e.code === 415 && e.reason === 'UnsupportedMediaType',
  );
});

test('non-apply patches with a manager record an Update in managedFields', () => {
  const now = new Date('2025-01-02T03:04:05Z');
  const out = applyPatch('application/merge-patch+json', cm, '{"metadata":{"labels":{"color":"blue"}}}', {
    ...opts,
    manager: 'kubectl-label',
    now,
  }) as { metadata: { managedFields: unknown } };
  assert.deepEqual(out.metadata.managedFields, [
    {
      manager: 'kubectl-label',
      operation: 'Update',
      apiVersion: 'v1',
      time: '2025-01-02T03:04:05Z',
      fieldsType: 'FieldsV1',
      fieldsV1: { 'f:metadata': { 'f:labels': { 'f:color': {} } } },
    },
  ]);
});
