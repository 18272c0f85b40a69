// Turns a proto2 message into the JSON object Kubernetes' JSON serializer would produce for the
// same Go value: empty scalars, messages, lists and maps are left out (Go's omitempty), bytes are
// base64, Quantity is its string, Time is RFC 3339 and int64 becomes a JSON number.
import { MESSAGES, type FieldDef } from './schema.js';
import { ProtobufError, readFields, type WireValue } from './wire.js';

type Json = string | number | boolean | null | Json[] | { [k: string]: Json };

function expect2(v: WireValue, where: string): Buffer {
  if (v.wire !== 2)
    throw new ProtobufError(`${where}: expected a length-delimited field, got wire type ${v.wire}`);
  return v.bytes;
}

function varints(v: WireValue, where: string): bigint[] {
  if (v.wire === 0) return [v.n];
  if (v.wire === 2) {
    // Packed encoding of a repeated scalar.
    return readPacked(v.bytes);
  }
  throw new ProtobufError(`${where}: expected a varint, got wire type ${v.wire}`);
}

function readPacked(buf: Buffer): bigint[] {
  const out: bigint[] = [];
  let cur = 0n;
  let shift = 0n;
  for (const b of buf) {
    cur |= BigInt(b & 0x7f) << shift;
    if ((b & 0x80) === 0) {
      out.push(cur);
      cur = 0n;
      shift = 0n;
    } else shift += 7n;
  }
  return out;
}

function decodeTime(buf: Buffer): string | undefined {
  let seconds = 0n;
  for (const f of readFields(buf))
    if (f.field === 1 && f.value.wire === 0) seconds = BigInt.asIntN(64, f.value.n);
  // An empty message (or Go's zero time) is an unset time.
  if (buf.length === 0 || seconds === -62135596800n) return undefined;
  return new Date(Number(seconds) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function firstString(buf: Buffer, field: number): string {
  let s = '';
  for (const f of readFields(buf))
    if (f.field === field && f.value.wire === 2) s = f.value.bytes.toString('utf8');
  return s;
}

function decodeIntOrString(buf: Buffer): Json {
  let type = 0n;
  let intVal = 0n;
  let strVal = '';
  for (const f of readFields(buf)) {
    if (f.field === 1 && f.value.wire === 0) type = f.value.n;
    else if (f.field === 2 && f.value.wire === 0) intVal = BigInt.asIntN(32, f.value.n);
    else if (f.field === 3 && f.value.wire === 2) strVal = f.value.bytes.toString('utf8');
  }
  return type === 1n ? strVal : Number(intVal);
}

/** One non-repeated value of `type`; undefined means "unset" (omitted from JSON). */
function decodeValue(type: string, v: WireValue, where: string): Json | undefined {
  switch (type) {
    case 'string':
      return expect2(v, where).toString('utf8');
    case 'bytes':
      return expect2(v, where).toString('base64');
    case 'bool':
      return varints(v, where)[0] !== 0n;
    case 'int32':
      return Number(BigInt.asIntN(32, varints(v, where)[0] ?? 0n));
    case 'int64':
      return Number(BigInt.asIntN(64, varints(v, where)[0] ?? 0n));
    case 'Time':
      return decodeTime(expect2(v, where));
    case 'Quantity':
      return firstString(expect2(v, where), 1) || undefined;
    case 'FieldsV1': {
      const raw = firstString(expect2(v, where), 1);
      if (raw === '') return undefined;
      try {
        return JSON.parse(raw) as Json;
      } catch {
        throw new ProtobufError(`${where}: fieldsV1 is not valid JSON`);
      }
    }
    case 'IntOrString':
      return decodeIntOrString(expect2(v, where));
    case 'ExtraValue': {
      const items: Json[] = [];
      for (const f of readFields(expect2(v, where)))
        if (f.field === 1 && f.value.wire === 2) items.push(f.value.bytes.toString('utf8'));
      return items;
    }
    default:
      return decodeMessage(expect2(v, where), type, where);
  }
}

function isEmpty(v: Json | undefined): boolean {
  if (v === undefined || v === null || v === '' || v === 0 || v === false) return true;
  if (Array.isArray(v)) return v.length === 0;
  if (typeof v === 'object') return Object.keys(v).length === 0;
  return false;
}

const ZERO: Record<string, Json> = { string: '', bytes: '', Quantity: '0', ExtraValue: [] };

function decodeMapEntry(buf: Buffer, valueType: string, where: string): [string, Json] {
  let key = '';
  let value: Json | undefined;
  for (const f of readFields(buf)) {
    if (f.field === 1) key = expect2(f.value, `${where} key`).toString('utf8');
    else if (f.field === 2) value = decodeValue(valueType, f.value, `${where}[${key}]`);
  }
  // An absent value is the type's zero value (map values are kept even when empty).
  return [key, value ?? ZERO[valueType] ?? {}];
}

export function decodeMessage(buf: Buffer, msg: string, where = msg): { [k: string]: Json } {
  const fields = MESSAGES.get(msg);
  if (fields === undefined) throw new ProtobufError(`no schema for message ${msg}`);
  const out: { [k: string]: Json } = {};
  for (const { field, value } of readFields(buf)) {
    const def: FieldDef | undefined = fields.get(field);
    if (def === undefined) continue; // a field this server does not know: skip, like an old client would
    const at = `${where}.${def.name}`;
    const map = /^map<(.+)>$/.exec(def.type);
    if (map !== null) {
      const obj = (out[def.name] ??= {}) as { [k: string]: Json };
      const [k, v] = decodeMapEntry(expect2(value, at), map[1]!, at);
      obj[k] = v;
    } else if (def.repeated) {
      const arr = (out[def.name] ??= []) as Json[];
      const scalar = def.type === 'bool' || def.type === 'int32' || def.type === 'int64';
      if (scalar && value.wire === 2)
        for (const n of readPacked(value.bytes)) arr.push(decodeValue(def.type, { wire: 0, n }, at) ?? 0);
      else {
        const v = decodeValue(def.type, value, at);
        arr.push(v === undefined ? (def.type === 'string' ? '' : {}) : v);
      }
    } else if (def.inline) {
      Object.assign(out, decodeMessage(expect2(value, at), def.type, where));
    } else {
      const v = decodeValue(def.type, value, at);
      if (def.keep && v === undefined) out[def.name] = {};
      else if (def.keep || !isEmpty(v)) out[def.name] = v!;
      else delete out[def.name]; // proto2 last-one-wins: an explicit empty value unsets the field
    }
  }
  return out;
}
