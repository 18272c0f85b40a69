// Test-only proto2 encoder: builds messages field by field so the decoder can be checked against
// bytes laid out exactly as Go's generated marshallers do.
export type Field =
  | [number, string] // length-delimited string
  | [number, Buffer] // bytes or an already encoded message
  | [number, bigint] // varint
  | [number, boolean]; // varint 0/1

export function varint(n: bigint): Buffer {
  let v = BigInt.asUintN(64, n);
  const out: number[] = [];
  do {
    let b = Number(v & 0x7fn);
    v >>= 7n;
    if (v !== 0n) b |= 0x80;
    out.push(b);
  } while (v !== 0n);
  return Buffer.from(out);
}

export function msg(...fields: Field[]): Buffer {
  const parts: Buffer[] = [];
  for (const [num, v] of fields) {
    if (typeof v === 'bigint' || typeof v === 'boolean') {
      parts.push(varint(BigInt(num << 3)), varint(typeof v === 'boolean' ? (v ? 1n : 0n) : v));
    } else {
      const b = typeof v === 'string' ? Buffer.from(v, 'utf8') : v;
      parts.push(varint(BigInt((num << 3) | 2)), varint(BigInt(b.length)), b);
    }
  }
  return Buffer.concat(parts);
}

export function mapEntry(num: number, key: string, value: string | Buffer): Field {
  return [num, msg([1, key], [2, value])];
}

export function envelope(apiVersion: string, kind: string, raw: Buffer): Buffer {
  return Buffer.concat([
    Buffer.from('k8s\0', 'latin1'),
    msg([1, msg([1, apiVersion], [2, kind])], [2, raw], [3, ''], [4, '']),
  ]);
}

/** ObjectMeta as kubectl writes it: explicit empty strings and zero generation. */
export function meta(name: string, namespace = '', extra: Field[] = []): Buffer {
  return msg([1, name], [2, ''], [3, namespace], [4, ''], [5, ''], [6, ''], [7, 0n], [8, msg()], ...extra);
}
