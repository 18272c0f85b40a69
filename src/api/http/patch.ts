// PATCH bodies (JSON patch, merge patch, strategic merge patch, server-side apply) applied to the
// current object by the patch module, and managedFields bookkeeping for ordinary writes. Patch
// errors become ApiErrors with the module's code, reason and causes.
import { ApiError, unsupportedMediaType } from '../errors.js';
import { applyPatch, PATCH_TYPES, PatchError, updateManagedFields } from '../patch/index.js';
import { apiVersionOf, type KObject, type ResourceDef } from '../resources/types.js';

export type PatchType = (typeof PATCH_TYPES)[number];

export function patchTypeOf(contentType: string | undefined): PatchType {
  const mt = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  if ((PATCH_TYPES as readonly string[]).includes(mt)) return mt as PatchType;
  throw unsupportedMediaType(contentType ?? '', `PATCH accepts ${PATCH_TYPES.join(', ')}`);
}

export interface PatchRequest {
  def: ResourceDef;
  type: PatchType;
  /** The raw patch body. */
  body: Buffer;
  /** undefined: the object does not exist (only apply may then create it). */
  current: KObject | undefined;
  fieldManager: string;
  force: boolean;
  subresource: string;
}

function toApiError(e: unknown): unknown {
  if (!(e instanceof PatchError)) return e;
  return new ApiError(e.code, e.reason, e.message, e.causes.length ? { causes: e.causes } : undefined);
}

export function applyPatchRequest(p: PatchRequest): KObject {
  try {
    const out = applyPatch(p.type, p.current ?? {}, p.body, {
      kind: p.def.kind,
      apiVersion: apiVersionOf(p.def),
      manager: p.fieldManager,
      force: p.force,
      ...(p.subresource ? { subresource: p.subresource } : {}),
    }) as KObject;
    out.metadata ??= {};
    return out;
  } catch (e) {
    throw toApiError(e);
  }
}

/** The object with managedFields recording a create/update by `manager`. */
export function recordWrite(
  def: ResourceDef,
  old: KObject | undefined,
  obj: KObject,
  manager: string,
  subresource: string,
): KObject {
  try {
    return updateManagedFields(old, obj, manager, 'Update', {
      kind: def.kind,
      apiVersion: apiVersionOf(def),
      ...(subresource ? { subresource } : {}),
    }) as unknown as KObject;
  } catch (e) {
    throw toApiError(e);
  }
}

/** Kubernetes' default manager: the User-Agent's program name (`kubectl`, `node-fetch`). */
export function defaultManager(userAgent: string | undefined): string {
  return (userAgent ?? '').split('/')[0]?.trim() || 'unknown';
}
