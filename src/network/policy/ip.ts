// IPv4/IPv6 addresses as bigints and inclusive ranges of them: enough to turn ipBlock
// (cidr minus except) and pod IPs into the non-overlapping elements an nft interval set requires.

export type Family = 4 | 6;
/** Inclusive [first, last]. */
export type Range = readonly [bigint, bigint];

export interface Addr {
  family: Family;
  value: bigint;
}

export interface Cidr {
  family: Family;
  prefix: number;
  first: bigint;
  last: bigint;
}

const BITS: Record<Family, number> = { 4: 32, 6: 128 };

function parseV4(s: string): bigint | undefined {
  const parts = s.split('.');
  if (parts.length !== 4) return undefined;
  let v = 0n;
  for (const p of parts) {
    // Leading zeros are ambiguous (octal in some parsers), so Kubernetes rejects them too.
    if (!/^(0|[1-9]\d{0,2})$/.test(p) || Number(p) > 255) return undefined;
    v = (v << 8n) | BigInt(p);
  }
  return v;
}

function parseV6(s: string): bigint | undefined {
  if (!/^[0-9a-fA-F:.]+$/.test(s)) return undefined;
  let text = s;
  if (text.includes('.')) {
    // A trailing dotted quad ("::ffff:1.2.3.4") stands for the last two groups.
    const i = text.lastIndexOf(':');
    const v4 = parseV4(text.slice(i + 1));
    if (v4 === undefined) return undefined;
    text = `${text.slice(0, i + 1)}${(v4 >> 16n).toString(16)}:${(v4 & 0xffffn).toString(16)}`;
  }
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const split = (h: string | undefined) => (h === undefined || h === '' ? [] : h.split(':'));
  const head = split(halves[0]);
  const tail = halves.length === 2 ? split(halves[1]) : [];
  const groups: number[] = [];
  for (const g of [...head, ...tail]) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
  }
  const given = head.length + tail.length;
  if (halves.length === 2 ? given > 7 : given !== 8) return undefined;
  groups.push(...head.map((g) => parseInt(g, 16)));
  if (halves.length === 2) for (let i = given; i < 8; i++) groups.push(0);
  groups.push(...tail.map((g) => parseInt(g, 16)));
  return groups.reduce((v, g) => (v << 16n) | BigInt(g), 0n);
}

/** Parses a literal IPv4 or IPv6 address (no zone, no brackets). */
export function parseIp(s: string): Addr | undefined {
  if (typeof s !== 'string') return undefined;
  if (s.includes(':')) {
    const value = parseV6(s);
    return value === undefined ? undefined : { family: 6, value };
  }
  const value = parseV4(s);
  return value === undefined ? undefined : { family: 4, value };
}

/** Parses `addr/prefix`; host bits are masked off (Kubernetes accepts them in ipBlock). */
export function parseCidr(s: string): Cidr | undefined {
  if (typeof s !== 'string') return undefined;
  const m = /^([^/]+)\/(0|[1-9]\d{0,2})$/.exec(s);
  if (!m) return undefined;
  const a = parseIp(m[1]!);
  const prefix = Number(m[2]);
  if (!a || prefix > BITS[a.family]) return undefined;
  const host = (1n << BigInt(BITS[a.family] - prefix)) - 1n;
  const first = a.value & ~host;
  return { family: a.family, prefix, first, last: first | host };
}

// Rulesets print the same pod addresses many times; formatting them is the compiler's hot spot.
const formatted: Record<Family, Map<bigint, string>> = { 4: new Map(), 6: new Map() };

export function formatIp(family: Family, v: bigint): string {
  const cache = formatted[family];
  let s = cache.get(v);
  if (s === undefined) {
    if (cache.size > 100_000) cache.clear();
    s = formatUncached(family, v);
    cache.set(v, s);
  }
  return s;
}

function formatUncached(family: Family, v: bigint): string {
  if (family === 4) return [24n, 16n, 8n, 0n].map((s) => String((v >> s) & 0xffn)).join('.');
  const g: number[] = [];
  for (let s = 112n; s >= 0n; s -= 16n) g.push(Number((v >> s) & 0xffffn));
  // RFC 5952: compress the longest run (length >= 2) of zero groups.
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) [best, bestLen] = [i, j - i];
    i = j;
  }
  const hex = (xs: number[]) => xs.map((x) => x.toString(16)).join(':');
  if (best < 0) return hex(g);
  return `${hex(g.slice(0, best))}::${hex(g.slice(best + bestLen))}`;
}

/** Sorted, non-overlapping, non-adjacent ranges covering the same addresses as `rs`. */
export function mergeRanges(rs: readonly Range[]): Range[] {
  const sorted = [...rs].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const out: [bigint, bigint][] = [];
  for (const [a, b] of sorted) {
    const last = out[out.length - 1];
    if (last && a <= last[1] + 1n) {
      if (b > last[1]) last[1] = b;
    } else out.push([a, b]);
  }
  return out;
}

/** The addresses of `base` that are in none of `cut`. */
export function subtractRanges(base: readonly Range[], cut: readonly Range[]): Range[] {
  let cur = mergeRanges(base);
  for (const [c0, c1] of mergeRanges(cut)) {
    const next: Range[] = [];
    for (const [a, b] of cur) {
      if (c1 < a || c0 > b) {
        next.push([a, b]);
        continue;
      }
      if (c0 > a) next.push([a, c0 - 1n]);
      if (c1 < b) next.push([c1 + 1n, b]);
    }
    cur = next;
  }
  return cur;
}

/** Whether `v` is in `rs`, which must be sorted and non-overlapping (as mergeRanges returns). */
export function rangesContain(rs: readonly Range[], v: bigint): boolean {
  let lo = 0;
  let hi = rs.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const [a, b] = rs[mid]!;
    if (v < a) hi = mid - 1;
    else if (v > b) lo = mid + 1;
    else return true;
  }
  return false;
}

/** One nft interval-set element: an address, a prefix when the range is one, else `a-b`. */
export function rangeElement(family: Family, [a, b]: Range): string {
  if (a === b) return formatIp(family, a);
  const size = b - a + 1n;
  if ((size & (size - 1n)) === 0n && (a & (size - 1n)) === 0n) {
    return `${formatIp(family, a)}/${BITS[family] - (size.toString(2).length - 1)}`;
  }
  return `${formatIp(family, a)}-${formatIp(family, b)}`;
}
