// RFC 6902 JSON Patch (`application/json-patch+json`) with RFC 6901 JSON pointers. Operations
// apply in order to a copy; any failure rejects the whole patch.
import { invalid, badRequest } from './errors.js';
import { clone, deepEqual, isObject, type Json, type JsonObject } from './json-util.js';

function parsePointer(ptr: string): string[] {
  if (ptr === '') return [];
  if (!ptr.startsWith('/')) throw invalid(`JSON pointer "${ptr}" must start with "/"`);
  return ptr
    .slice(1)
    .split('/')
    .map((s) => {
      if (/~[^01]|~$/.test(s))
        throw invalid(`JSON pointer "${ptr}" has an invalid escape (use ~0 for ~ and ~1 for /)`);
      return s.replace(/~1/g, '/').replace(/~0/g, '~');
    });
}

function arrayIndex(tok: string, len: number, forAdd: boolean, ptr: string): number {
  if (forAdd && tok === '-') return len;
  if (!/^(0|[1-9][0-9]*)$/.test(tok))
    throw invalid(`doc is missing path: "${ptr}": "${tok}" is not an array index`);
  const i = Number(tok);
  if (i > len || (!forAdd && i === len))
    throw invalid(`doc is missing path: "${ptr}": index ${i} out of range`);
  return i;
}

/** Resolves all but the last token; returns the container and the last token. */
function parent(doc: Json, tokens: string[], ptr: string): [JsonObject | Json[], string] {
  let cur: Json = doc;
  for (const tok of tokens.slice(0, -1)) {
    if (Array.isArray(cur)) cur = cur[arrayIndex(tok, cur.length, false, ptr)]!;
    else if (isObject(cur) && Object.prototype.hasOwnProperty.call(cur, tok)) cur = cur[tok]!;
    else throw invalid(`doc is missing path: "${ptr}"`);
  }
  if (!Array.isArray(cur) && !isObject(cur)) throw invalid(`doc is missing path: "${ptr}"`);
  return [cur, tokens[tokens.length - 1]!];
}

function get(doc: Json, ptr: string): Json {
  let cur: Json = doc;
  for (const tok of parsePointer(ptr)) {
    if (Array.isArray(cur)) cur = cur[arrayIndex(tok, cur.length, false, ptr)]!;
    else if (isObject(cur) && Object.prototype.hasOwnProperty.call(cur, tok)) cur = cur[tok]!;
    else throw invalid(`doc is missing path: "${ptr}"`);
  }
  return cur;
}

function add(doc: Json, ptr: string, value: Json): Json {
  const tokens = parsePointer(ptr);
  if (tokens.length === 0) return value;
  const [c, last] = parent(doc, tokens, ptr);
  if (Array.isArray(c)) c.splice(arrayIndex(last, c.length, true, ptr), 0, value);
  else c[last] = value;
  return doc;
}

function remove(doc: Json, ptr: string): [Json, Json] {
  const tokens = parsePointer(ptr);
  if (tokens.length === 0) throw invalid('cannot remove the whole document (path "")');
  const [c, last] = parent(doc, tokens, ptr);
  if (Array.isArray(c)) {
    const i = arrayIndex(last, c.length, false, ptr);
    return [doc, c.splice(i, 1)[0]!];
  }
  if (!Object.prototype.hasOwnProperty.call(c, last))
    throw invalid(`unable to remove nonexistent key: ${last}: missing value`);
  const old = c[last]!;
  delete c[last];
  return [doc, old];
}

function replace(doc: Json, ptr: string, value: Json): Json {
  const tokens = parsePointer(ptr);
  if (tokens.length === 0) return value;
  const [c, last] = parent(doc, tokens, ptr);
  if (Array.isArray(c)) c[arrayIndex(last, c.length, false, ptr)] = value;
  else {
    if (!Object.prototype.hasOwnProperty.call(c, last))
      throw invalid(`replace operation does not apply: doc is missing key: ${ptr}: missing value`);
    c[last] = value;
  }
  return doc;
}

interface Op {
  op: string;
  path: string;
  from?: string;
  value?: Json;
}

function checkOp(raw: unknown, i: number): Op {
  if (!isObject(raw)) throw badRequest(`json patch operation ${i} must be an object`);
  const { op, path } = raw;
  if (typeof op !== 'string') throw badRequest(`json patch operation ${i}: "op" must be a string`);
  if (typeof path !== 'string')
    throw badRequest(`json patch operation ${i} (${op}): "path" must be a string`);
  if ((op === 'move' || op === 'copy') && typeof raw.from !== 'string')
    throw badRequest(`json patch operation ${i} (${op}): "from" must be a string`);
  if ((op === 'add' || op === 'replace' || op === 'test') && !('value' in raw))
    throw badRequest(`json patch operation ${i} (${op}): missing "value"`);
  return raw as unknown as Op;
}

/** Applies an RFC 6902 patch document (a JSON array of operations) to a copy of `doc`. */
export function applyJsonPatch(doc: Json, ops: Json): Json {
  if (!Array.isArray(ops)) throw badRequest('json patch must be a JSON array of operations');
  let out = clone(doc);
  ops.forEach((raw, i) => {
    const o = checkOp(raw, i);
    switch (o.op) {
      case 'add':
        out = add(out, o.path, clone(o.value!));
        break;
      case 'remove':
        out = remove(out, o.path)[0];
        break;
      case 'replace':
        out = replace(out, o.path, clone(o.value!));
        break;
      case 'move': {
        if (o.path === o.from || o.path.startsWith(`${o.from!}/`)) {
          if (o.path === o.from) break;
          throw invalid(`move operation: "from" ${o.from} is a prefix of "path" ${o.path}`);
        }
        const [d, v] = remove(out, o.from!);
        out = add(d, o.path, v);
        break;
      }
      case 'copy':
        out = add(out, o.path, clone(get(out, o.from!)));
        break;
      case 'test':
        if (!deepEqual(get(out, o.path), o.value))
          throw invalid(`testing value ${o.path} failed: test failed`);
        break;
      default:
        throw badRequest(
          `json patch operation ${i}: unexpected op "${o.op}" (use add, remove, replace, move, copy or test)`,
        );
    }
  });
  return out;
}
