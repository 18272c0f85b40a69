// PATCH bodies for the API server: JSON Patch, JSON Merge Patch, strategic merge patch and
// server-side apply, plus managedFields bookkeeping for ordinary writes.
//
// Limits (documented, deliberate):
// - apply-patch+yaml bodies must be JSON (which kubectl sends); block-style YAML is rejected (400).
// - Strategic merge and apply know the list semantics in schema.ts; other lists are atomic.
// - No version conversion: managedFields entries of other apiVersions are compared as-is.
// - managedFields FieldsV1 omit the "." markers Kubernetes adds for maps created by an Update.
import { PatchError, badRequest } from './errors.js';
import { applyJsonPatch } from './json-patch.js';
import { isObject, parseJsonBody, type Json, type JsonObject } from './json-util.js';
import { applyMergePatch } from './merge-patch.js';
import { applyStrategicMergePatch } from './strategic-merge.js';
import { serverSideApply } from './apply.js';
import { updateManagedFields } from './managed-fields.js';

export { PatchError, type PatchCause, type PatchReason } from './errors.js';
export { updateManagedFields, type Operation, type ManagedFieldsOptions } from './managed-fields.js';
export { applyJsonPatch } from './json-patch.js';
export { applyMergePatch } from './merge-patch.js';
export { applyStrategicMergePatch } from './strategic-merge.js';
export { serverSideApply, type ApplyOptions } from './apply.js';

export const PATCH_TYPES = [
  'application/json-patch+json',
  'application/merge-patch+json',
  'application/strategic-merge-patch+json',
  'application/apply-patch+yaml',
] as const;

export interface PatchOptions {
  kind: string;
  apiVersion: string;
  /** The fieldManager query parameter. Required for apply; for other patches it records an Update. */
  manager?: string;
  force?: boolean;
  subresource?: string;
  now?: Date;
}

function parse(patch: Buffer | string, contentType: string): Json {
  try {
    return parseJsonBody(patch, contentType);
  } catch (e) {
    if (contentType === 'application/apply-patch+yaml')
      throw badRequest(
        'error decoding YAML: apply patches must be JSON (flow-style YAML); this server does not parse block YAML — send JSON as kubectl does',
      );
    throw badRequest(`error decoding patch: ${(e as Error).message}`);
  }
}

/** Applies a PATCH body to `current` and returns the new object; throws PatchError (400/409/415/422). */
export function applyPatch(
  contentType: string,
  current: object,
  patch: Buffer | string,
  opts: PatchOptions,
): object {
  const type = contentType.split(';')[0]!.trim().toLowerCase();
  const cur = current as JsonObject;
  let result: Json;
  switch (type) {
    case 'application/json-patch+json':
      result = applyJsonPatch(cur, parse(patch, type));
      break;
    case 'application/merge-patch+json':
      result = applyMergePatch(cur, parse(patch, type));
      break;
    case 'application/strategic-merge-patch+json':
      result = applyStrategicMergePatch(cur, parse(patch, type), opts.kind);
      break;
    case 'application/apply-patch+yaml': {
      if (opts.manager === undefined || opts.manager === '')
        throw new PatchError(
          'BadRequest',
          'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch',
        );
      return serverSideApply(cur, parse(patch, type), {
        kind: opts.kind,
        apiVersion: opts.apiVersion,
        manager: opts.manager,
        force: opts.force === true,
        ...(opts.subresource ? { subresource: opts.subresource } : {}),
        ...(opts.now ? { now: opts.now } : {}),
      });
    }
    default:
      throw new PatchError(
        'UnsupportedMediaType',
        `the body of the request was in an unknown format - accepted media types include: ${PATCH_TYPES.join(', ')}`,
      );
  }
  if (!isObject(result)) throw new PatchError('Invalid', 'the patch result is not an object');
  if (opts.manager === undefined || opts.manager === '') return result;
  return updateManagedFields(cur, result, opts.manager, 'Update', {
    kind: opts.kind,
    apiVersion: opts.apiVersion,
    ...(opts.subresource ? { subresource: opts.subresource } : {}),
    ...(opts.now ? { now: opts.now } : {}),
  });
}
