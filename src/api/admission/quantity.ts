// Exact resource quantities for admission: quota sums and LimitRange comparisons must not drift
// as floats do, so values are held as BigInt thousandths (Kubernetes rounds to milli precision
// too), with the SI/binary flavour kept so sums print as Kubernetes prints them ("192Mi", "1500m").
import { badRequest } from '../errors.js';

export interface Qty {
  milli: bigint;
  binary: boolean;
}

const DECIMAL: Record<string, number> = { '': 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18, m: -3 };
const BINARY: Record<string, number> = { Ki: 10, Mi: 20, Gi: 30, Ti: 40, Pi: 50, Ei: 60 };

export const ZERO: Qty = { milli: 0n, binary: false };

/** Parses a quantity; a bad one is a 400 naming `field`. */
export function qty(text: unknown, field: string): Qty {
  const s = typeof text === 'number' ? String(text) : typeof text === 'string' ? text.trim() : '';
  const m = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+)|([a-zA-Z]*))$/.exec(s);
  if (!m || (!m[2] && !m[3]) || (m[5] && DECIMAL[m[5]] === undefined && BINARY[m[5]] === undefined)) {
    throw badRequest(
      `${field}: quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$' (got ${JSON.stringify(text)})`,
    );
  }
  const sign = m[1] === '-' ? -1n : 1n;
  const digits = `${m[2] ?? ''}${m[3] ?? ''}`;
  const frac = (m[3] ?? '').length;
  let num = BigInt(digits || '0');
  let den = 10n ** BigInt(frac);
  const suffix = m[5] ?? '';
  const binary = BINARY[suffix] !== undefined;
  if (binary) num *= 2n ** BigInt(BINARY[suffix]!);
  else {
    const exp = m[4] !== undefined ? Number(m[4]) : DECIMAL[suffix]!;
    if (exp >= 0) num *= 10n ** BigInt(exp);
    else den *= 10n ** BigInt(-exp);
  }
  // Thousandths, rounded up as resource.Quantity rounds sub-milli values.
  const scaled = num * 1000n;
  const milli = (scaled + den - 1n) / den;
  return { milli: sign * milli, binary };
}

export const add = (a: Qty, b: Qty): Qty => ({ milli: a.milli + b.milli, binary: a.binary || b.binary });
export const sub = (a: Qty, b: Qty): Qty => ({ milli: a.milli - b.milli, binary: a.binary || b.binary });
export const cmp = (a: Qty, b: Qty): number => (a.milli < b.milli ? -1 : a.milli > b.milli ? 1 : 0);
export const max = (a: Qty, b: Qty): Qty => (cmp(a, b) >= 0 ? a : b);

/** Canonical text, as resource.Quantity.String(): "1", "500m", "2k", "128Mi". */
export function format(q: Qty): string {
  const neg = q.milli < 0n;
  const v = neg ? -q.milli : q.milli;
  const s = neg ? '-' : '';
  if (v % 1000n !== 0n) return `${s}${v}m`;
  const whole = v / 1000n;
  if (whole === 0n) return '0';
  if (q.binary) {
    for (const [suf, bits] of Object.entries(BINARY).reverse()) {
      const unit = 2n ** BigInt(bits);
      if (whole % unit === 0n) return `${s}${whole / unit}${suf}`;
    }
    // Not a whole number of Ki: printed in decimal SI, as Kubernetes does.
  }
  for (const [suf, exp] of [
    ['E', 18],
    ['P', 15],
    ['T', 12],
    ['G', 9],
    ['M', 6],
    ['k', 3],
  ] as const) {
    const unit = 10n ** BigInt(exp);
    if (whole % unit === 0n) return `${s}${whole / unit}${suf}`;
  }
  return `${s}${whole}`;
}

/** The parsed form of a `{name: quantity}` map, skipping nothing: a bad value is a 400. */
export function qtyMap(m: unknown, field: string): Map<string, Qty> {
  const out = new Map<string, Qty>();
  if (!m || typeof m !== 'object') return out;
  for (const [k, v] of Object.entries(m as Record<string, unknown>)) out.set(k, qty(v, `${field}.${k}`));
  return out;
}

/** `a=1,b=2Mi` with keys sorted, as the quota admission prints resource lists. */
export function printList(m: Map<string, Qty>): string {
  return [...m.keys()]
    .sort()
    .map((k) => `${k}=${format(m.get(k)!)}`)
    .join(',');
}
