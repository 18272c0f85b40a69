// sameJSON decides "did this write change anything" and "did the spec change" on every update: it
// must agree exactly with comparing canonical JSON texts, which the previous definition did, and
// canonical() must print what it always printed. Checked against the earlier definitions on
// random JSON values and on edits of them.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { canonical, sameJSON } from '../../../src/api/resources/canonical.js';

/** canonical() as first written: the reference. */
function reference(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v) ?? 'null';
  if (Array.isArray(v)) return `[${v.map(reference).join(',')}]`;
  const entries = Object.entries(v as Record<string, unknown>)
    .filter(([, x]) => x !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, x]) => `${JSON.stringify(k)}:${reference(x)}`).join(',')}}`;
}

/** A small deterministic PRNG, so that a failure reproduces. */
function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const KEYS = ['a', 'b', 'B', 'é', 'x y', '', '10', '2', 'spec', 'z'];
const LEAVES: unknown[] = [null, undefined, 0, -0, 1, 1.5, NaN, Infinity, '', '0', 'x', true, false];

function value(r: () => number, depth: number): unknown {
  const pick = r();
  if (depth <= 0 || pick < 0.4) return LEAVES[Math.floor(r() * LEAVES.length)];
  if (pick < 0.7) return Array.from({ length: Math.floor(r() * 4) }, () => value(r, depth - 1));
  const o: Record<string, unknown> = {};
  for (let i = Math.floor(r() * 5); i > 0; i--) o[KEYS[Math.floor(r() * KEYS.length)]!] = value(r, depth - 1);
  return o;
}

/** The same value with its object keys in another order (and maybe an undefined key more). */
function shuffled(v: unknown, r: () => number): unknown {
  if (v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) return v.map((x) => shuffled(x, r));
  const entries = Object.entries(v as Record<string, unknown>).sort(() => r() - 0.5);
  const o: Record<string, unknown> = {};
  for (const [k, x] of entries) o[k] = shuffled(x, r);
  if (r() < 0.2) o.extra = undefined;
  return o;
}

/** The value with one leaf somewhere replaced (which may or may not change its JSON). */
function edited(v: unknown, r: () => number): unknown {
  if (v === null || typeof v !== 'object' || r() < 0.2) return LEAVES[Math.floor(r() * LEAVES.length)];
  if (Array.isArray(v)) {
    if (!v.length) return [null];
    const i = Math.floor(r() * v.length);
    return v.map((x, j) => (j === i ? edited(x, r) : x));
  }
  const keys = Object.keys(v);
  if (!keys.length) return { a: 1 };
  const k = keys[Math.floor(r() * keys.length)]!;
  return { ...(v as Record<string, unknown>), [k]: edited((v as Record<string, unknown>)[k], r) };
}

test('canonical prints what the reference prints', () => {
  const r = rng(1);
  for (let i = 0; i < 3000; i++) {
    const v = value(r, 4);
    assert.equal(canonical(v), reference(v));
  }
});

test('sameJSON agrees with comparing canonical texts', () => {
  const r = rng(2);
  let equal = 0;
  let different = 0;
  for (let i = 0; i < 5000; i++) {
    const a = value(r, 4);
    const b = r() < 0.5 ? shuffled(a, r) : edited(shuffled(a, r), r);
    const want = reference(a) === reference(b);
    assert.equal(sameJSON(a, b), want, `${reference(a)} vs ${reference(b)}`);
    assert.equal(sameJSON(b, a), want);
    if (want) equal++;
    else different++;
  }
  // Both outcomes were exercised plenty.
  assert.ok(equal > 1000 && different > 1000, `${equal} equal, ${different} different`);
  assert.equal(sameJSON({ a: [undefined] }, { a: [null] }), true);
  assert.equal(sameJSON({ a: undefined }, {}), true);
  assert.equal(sameJSON([], {}), false);
  assert.equal(sameJSON({ a: 1 }, { a: '1' }), false);
  assert.equal(sameJSON(NaN, null), true);
});
