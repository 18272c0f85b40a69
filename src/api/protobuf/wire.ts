// A minimal proto2 wire-format reader: enough to walk the messages kubectl sends. It only splits
// a buffer into (field number, wire type, value) records; what the fields mean is schema.ts's job.

export class ProtobufError extends Error {
  override name = 'ProtobufError';
}

export type WireValue =
  | { wire: 0; n: bigint } // varint
  | { wire: 1; n: bigint } // fixed64 (raw little-endian bits)
  | { wire: 2; bytes: Buffer } // length-delimited
  | { wire: 5; n: bigint }; // fixed32

export interface WireField {
  field: number;
  value: WireValue;
}

function readVarint(buf: Buffer, pos: number): [bigint, number] {
  let result = 0n;
  let shift = 0n;
  for (let i = 0; i < 10; i++) {
    if (pos >= buf.length) throw new ProtobufError('truncated varint');
    const b = buf[pos++]!;
    result |= BigInt(b & 0x7f) << shift;
    if ((b & 0x80) === 0) return [BigInt.asUintN(64, result), pos];
    shift += 7n;
  }
  throw new ProtobufError('varint longer than 10 bytes');
}

/** Splits one message into its fields, in wire order (repeated fields appear once per element). */
export function readFields(buf: Buffer): WireField[] {
  const out: WireField[] = [];
  let pos = 0;
  while (pos < buf.length) {
    const [key, p1] = readVarint(buf, pos);
    pos = p1;
    const field = Number(key >> 3n);
    const wire = Number(key & 7n);
    if (field === 0) throw new ProtobufError('field number 0 is invalid');
    switch (wire) {
      case 0: {
        const [n, p] = readVarint(buf, pos);
        pos = p;
        out.push({ field, value: { wire: 0, n } });
        break;
      }
      case 1:
        if (pos + 8 > buf.length) throw new ProtobufError('truncated fixed64');
        out.push({ field, value: { wire: 1, n: buf.readBigUInt64LE(pos) } });
        pos += 8;
        break;
      case 2: {
        const [len, p] = readVarint(buf, pos);
        const end = p + Number(len);
        if (len > BigInt(buf.length) || end > buf.length) throw new ProtobufError(`truncated field ${field}`);
        out.push({ field, value: { wire: 2, bytes: buf.subarray(p, end) } });
        pos = end;
        break;
      }
      case 5:
        if (pos + 4 > buf.length) throw new ProtobufError('truncated fixed32');
        out.push({ field, value: { wire: 5, n: BigInt(buf.readUInt32LE(pos)) } });
        pos += 4;
        break;
      default:
        // Groups (3, 4) are not used by Kubernetes messages.
        throw new ProtobufError(`unsupported wire type ${wire} for field ${field}`);
    }
  }
  return out;
}
