// PATCH bodies (JSON patch, merge patch, strategic merge patch, server-side apply) applied to the
// current object. The patch algorithms live in src/api/patch/ (another developer's module);
// until it lands every patch answers 415 with a clear message.
import { unsupportedMediaType } from '../errors.js';
import type { KObject, ResourceDef } from '../resources/types.js';

export const PATCH_TYPES = [
  'application/json-patch+json',
  'application/merge-patch+json',
  'application/strategic-merge-patch+json',
  'application/apply-patch+yaml',
] as const;
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
}

export function applyPatchRequest(p: PatchRequest): KObject {
  throw unsupportedMediaType(p.type, 'PATCH is not available yet in this Corral build (the patch module is missing); use kubectl replace or --validate=false apply');
}
