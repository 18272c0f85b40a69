// Errors of the patch module. `code` and `reason` are the HTTP status and metav1.Status reason the
// API server should answer with; `causes` become `details.causes`.
export interface PatchCause {
  reason: string;
  message: string;
  field?: string;
}

export type PatchReason = 'BadRequest' | 'Invalid' | 'Conflict' | 'UnsupportedMediaType';

const CODES: Record<PatchReason, number> = {
  BadRequest: 400,
  Invalid: 422,
  Conflict: 409,
  UnsupportedMediaType: 415,
};

export class PatchError extends Error {
  override name = 'PatchError';
  readonly code: number;
  constructor(
    readonly reason: PatchReason,
    message: string,
    readonly causes: PatchCause[] = [],
  ) {
    super(message);
    this.code = CODES[reason];
  }
}

export function badRequest(message: string): PatchError {
  return new PatchError('BadRequest', message);
}

export function invalid(message: string): PatchError {
  return new PatchError('Invalid', message);
}
