import { test } from 'node:test';
import assert from 'node:assert/strict';
import { selectorMatches } from '../../../src/network/policy/selector.js';

test('label selectors: matchLabels and every matchExpressions operator', () => {
  const l = { app: 'web', tier: 'front' };
  assert.equal(selectorMatches({}, l), true);
  assert.equal(selectorMatches(null, l), false);
  assert.equal(selectorMatches(undefined, {}), false);
  assert.equal(selectorMatches({ matchLabels: { app: 'web' } }, l), true);
  assert.equal(selectorMatches({ matchLabels: { app: 'web', tier: 'back' } }, l), false);
  const e = (operator: string, values?: string[], key = 'tier') => ({
    matchExpressions: [{ key, operator, values }],
  });
  assert.equal(selectorMatches(e('In', ['front', 'x']), l), true);
  assert.equal(selectorMatches(e('In', ['back']), l), false);
  assert.equal(selectorMatches(e('In', ['front'], 'missing'), l), false);
  assert.equal(selectorMatches(e('NotIn', ['back']), l), true);
  assert.equal(selectorMatches(e('NotIn', ['front']), l), false);
  assert.equal(selectorMatches(e('NotIn', ['x'], 'missing'), l), true);
  assert.equal(selectorMatches(e('Exists'), l), true);
  assert.equal(selectorMatches(e('Exists', [], 'missing'), l), false);
  assert.equal(selectorMatches(e('DoesNotExist', [], 'missing'), l), true);
  assert.equal(selectorMatches(e('DoesNotExist'), l), false);
  // An operator validation would reject never widens a selection.
  assert.equal(selectorMatches(e('Matches', ['front']), l), false);
  assert.equal(selectorMatches({ matchLabels: { app: 'web' }, ...e('In', ['back']) }, l), false);
});
