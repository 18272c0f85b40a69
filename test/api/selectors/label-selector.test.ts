import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  parseLabelSelector,
  labelSelectorFromObject,
  SelectorError,
} from '../../../src/api/selectors/index.js';

const web = { app: 'web', tier: 'front', env: 'prod' };
const db = { app: 'db', tier: 'back' };
const none = {};

function sel(text: string) {
  return parseLabelSelector(text);
}

test('equality-based requirements', () => {
  assert.equal(sel('app=web').matches(web), true);
  assert.equal(sel('app==web').matches(web), true);
  assert.equal(sel('app=web').matches(db), false);
  assert.equal(sel('app!=web').matches(db), true);
  assert.equal(sel('app!=web').matches(web), false);
  // != also matches objects without the label, as in Kubernetes
  assert.equal(sel('app!=web').matches(none), true);
  assert.equal(sel('app=web').matches(undefined), false);
});

test('set-based requirements, existence and comma = AND', () => {
  assert.equal(sel('app in (web,db)').matches(db), true);
  assert.equal(sel('app in (web, api)').matches(db), false);
  assert.equal(sel('app notin (web)').matches(db), true);
  assert.equal(sel('app notin (web)').matches(none), true);
  assert.equal(sel('env').matches(web), true);
  assert.equal(sel('env').matches(db), false);
  assert.equal(sel('!env').matches(db), true);
  assert.equal(sel('!env').matches(web), false);
  assert.equal(sel('app=web,tier=front').matches(web), true);
  assert.equal(sel('app=web,tier=back').matches(web), false);
  assert.equal(sel(' app in ( web ) , !missing ').matches(web), true);
  assert.equal(sel('tier in (front,back),env notin (dev)').matches(db), true);
});

test('keywords in value positions, empty values and prefixed keys', () => {
  assert.equal(sel('x=in').matches({ x: 'in' }), true);
  assert.equal(sel('x in (in,notin)').matches({ x: 'notin' }), true);
  assert.equal(sel('x=').matches({ x: '' }), true);
  assert.equal(sel('x in ()').matches({ x: '' }), true);
  assert.equal(sel('example.com/role=a').matches({ 'example.com/role': 'a' }), true);
});

test('gt and lt compare integers', () => {
  assert.equal(sel('n>3').matches({ n: '5' }), true);
  assert.equal(sel('n<3').matches({ n: '5' }), false);
  assert.equal(sel('n>3').matches({ n: 'x' }), false);
  assert.equal(sel('n>3').matches({}), false);
});

test('empty selector matches everything; canonical string is sorted', () => {
  assert.equal(sel('').empty, true);
  assert.equal(sel('').matches(web), true);
  assert.equal(sel('tier in (b,a),app=web,!x,y').toString(), 'app=web,tier in (a,b),!x,y');
});

test('parse errors use Kubernetes messages', () => {
  const cases: [string, string][] = [
    ['app=', ''], // valid: empty value
    ['=web', "found '=', expected: !, identifier, or 'end of string'"],
    ['app=web,', "found '', expected: identifier after ','"],
    ['app in web', "unable to parse requirement: found 'web', expected: '('"],
    ['app in (a', "unable to parse requirement: found '', expected: ',', or ')'"],
    ['app=web tier=x', "found 'tier', expected: ',' or 'end of string'"],
    ['!', "unable to parse requirement: found '', expected: identifier"],
    ['app notin', "unable to parse requirement: found '', expected: '('"],
  ];
  for (const [text, msg] of cases) {
    if (msg === '') {
      assert.doesNotThrow(() => sel(text));
      continue;
    }
    assert.throws(
      () => sel(text),
      (e: unknown) => e instanceof SelectorError && e.message === msg,
      text,
    );
  }
  assert.throws(
    () => sel('bad_key_=1'),
    /^SelectorError: unable to parse requirement: invalid label key "bad_key_": name part must consist/,
  );
  assert.throws(
    () => sel('a=-bad'),
    /unable to parse requirement: invalid label value: "-bad": at key: "a": a valid label/,
  );
  assert.throws(() => sel('a/b/c=1'), /invalid label key "a\/b\/c"/);
});

test('LabelSelector objects: matchLabels + matchExpressions, nil vs empty', () => {
  const s = labelSelectorFromObject({
    matchLabels: { app: 'web' },
    matchExpressions: [
      { key: 'tier', operator: 'In', values: ['front', 'edge'] },
      { key: 'env', operator: 'NotIn', values: ['dev'] },
      { key: 'env', operator: 'Exists' },
      { key: 'legacy', operator: 'DoesNotExist' },
    ],
  });
  assert.equal(s.matches(web), true);
  assert.equal(s.matches({ ...web, legacy: 'y' }), false);
  assert.equal(s.matches({ ...web, env: 'dev' }), false);
  assert.equal(labelSelectorFromObject({}).matches(db), true);
  assert.equal(labelSelectorFromObject(null).matches(db), false);
  assert.equal(labelSelectorFromObject(undefined).matches({}), false);
  assert.throws(
    () => labelSelectorFromObject({ matchExpressions: [{ key: 'a', operator: 'Foo', values: [] }] }),
    /"Foo" is not a valid label selector operator/,
  );
  assert.throws(
    () => labelSelectorFromObject({ matchExpressions: [{ key: 'a', operator: 'In', values: [] }] }),
    /values set can't be empty/,
  );
  assert.throws(
    () => labelSelectorFromObject({ matchExpressions: [{ key: 'a', operator: 'Exists', values: ['x'] }] }),
    /values set must be empty/,
  );
});
