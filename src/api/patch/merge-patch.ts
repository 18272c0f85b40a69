// RFC 7386 JSON Merge Patch (`application/merge-patch+json`): objects merge recursively, null
// deletes, anything else (arrays included) replaces.
import { clone, isObject, type Json, type JsonObject } from './json-util.js';

export function applyMergePatch(target: Json, patch: Json): Json {
  if (!isObject(patch)) return clone(patch);
  const out: JsonObject = isObject(target) ? clone(target) : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = applyMergePatch(out[k] ?? null, v);
  }
  return out;
}
