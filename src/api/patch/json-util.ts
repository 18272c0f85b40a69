// Small helpers for plain JSON values shared by the patch strategies.
export type Json = null | boolean | number | string | Json[] | JsonObject;
export interface JsonObject {
  [k: string]: Json;
}

export function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function clone<T>(v: T): T {
  return v === undefined ? v : (JSON.parse(JSON.stringify(v)) as T);
}

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) {
    return Array.isArray(b) && a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  }
  if (isObject(a) && isObject(b)) {
    const ka = Object.keys(a);
    if (ka.length !== Object.keys(b).length) return false;
    return ka.every((k) => Object.prototype.hasOwnProperty.call(b, k) && deepEqual(a[k], b[k]));
  }
  return false;
}

export function parseJsonBody(patch: Buffer | string, what: string): Json {
  const text = typeof patch === 'string' ? patch : patch.toString('utf8');
  try {
    return JSON.parse(text) as Json;
  } catch (e) {
    throw new SyntaxError(`${what}: the body is not valid JSON: ${(e as Error).message}`, { cause: e });
  }
}
