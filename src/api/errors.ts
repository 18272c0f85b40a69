// The API layer's one error type. Every failure a client can cause becomes an ApiError, which
// the HTTP layer turns into a metav1.Status body whose reason/code/details kubectl understands
// (kubectl-surface.md §9).

export interface StatusCause {
  reason?: string;
  message: string;
  field?: string;
}

export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  uid?: string;
  causes?: StatusCause[];
  retryAfterSeconds?: number;
}

export class ApiError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
    readonly details?: StatusDetails,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  toStatus(): Record<string, unknown> {
    return {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: this.message,
      reason: this.reason,
      ...(this.details ? { details: this.details } : {}),
      code: this.code,
    };
  }
}

/** A resource as Kubernetes names it in messages: `pods`, `roles.rbac.authorization.k8s.io`. */
export interface GroupResource {
  group: string;
  plural: string;
}

export function qualified(gr: GroupResource): string {
  return gr.group ? `${gr.plural}.${gr.group}` : gr.plural;
}

const details = (gr: GroupResource, name: string): StatusDetails => ({
  name,
  ...(gr.group ? { group: gr.group } : {}),
  kind: gr.plural,
});

export const notFound = (gr: GroupResource, name: string) =>
  new ApiError(404, 'NotFound', `${qualified(gr)} "${name}" not found`, details(gr, name));

export const alreadyExists = (gr: GroupResource, name: string) =>
  new ApiError(409, 'AlreadyExists', `${qualified(gr)} "${name}" already exists`, details(gr, name));

export const conflict = (
  gr: GroupResource,
  name: string,
  why = 'the object has been modified; please apply your changes to the latest version and try again',
) =>
  new ApiError(
    409,
    'Conflict',
    `Operation cannot be fulfilled on ${qualified(gr)} "${name}": ${why}`,
    details(gr, name),
  );

export const badRequest = (message: string) => new ApiError(400, 'BadRequest', message);

export const forbidden = (gr: GroupResource, name: string, why: string) =>
  new ApiError(
    403,
    'Forbidden',
    `${qualified(gr)}${name ? ` "${name}"` : ''} is forbidden: ${why}`,
    details(gr, name),
  );

export const methodNotSupported = (gr: GroupResource, verb: string) =>
  new ApiError(405, 'MethodNotAllowed', `${verb} is not supported on resources of kind "${qualified(gr)}"`, {
    ...(gr.group ? { group: gr.group } : {}),
    kind: gr.plural,
  });

export const unsupportedMediaType = (contentType: string, hint = '') =>
  new ApiError(
    415,
    'UnsupportedMediaType',
    `the body of the request was in an unknown format - accepted media types include: application/json${hint ? `; ${hint}` : ''} (got ${JSON.stringify(contentType)})`,
  );

export const gone = (message: string) => new ApiError(410, 'Expired', message);

export const serviceUnavailable = (message: string) => new ApiError(503, 'ServiceUnavailable', message);

export const internalError = (message: string) =>
  new ApiError(500, 'InternalError', `Internal error occurred: ${message}`, { causes: [{ message }] });

/** One invalid field, as field.Error in Kubernetes' apimachinery. */
export interface FieldError {
  type:
    | 'FieldValueRequired'
    | 'FieldValueInvalid'
    | 'FieldValueNotSupported'
    | 'FieldValueForbidden'
    | 'FieldValueDuplicate'
    | 'FieldValueTooLong';
  field: string;
  value?: unknown;
  detail?: string;
}

export const required = (field: string, detail = ''): FieldError => ({
  type: 'FieldValueRequired',
  field,
  detail,
});
export const invalidValue = (field: string, value: unknown, detail: string): FieldError => ({
  type: 'FieldValueInvalid',
  field,
  value,
  detail,
});
export const notSupported = (field: string, value: unknown, valid: string[]): FieldError => ({
  type: 'FieldValueNotSupported',
  field,
  value,
  detail: `supported values: ${valid.map((v) => JSON.stringify(v)).join(', ')}`,
});
export const forbiddenField = (field: string, detail: string): FieldError => ({
  type: 'FieldValueForbidden',
  field,
  detail,
});
export const duplicate = (field: string, value: unknown): FieldError => ({
  type: 'FieldValueDuplicate',
  field,
  value,
});

/** The message half of a field error, as apimachinery's ErrorBody(). */
export function fieldErrorBody(e: FieldError): string {
  const shown = (v: unknown) =>
    typeof v === 'string' ? JSON.stringify(v) : v === undefined ? 'null' : JSON.stringify(v);
  switch (e.type) {
    case 'FieldValueRequired':
      return `Required value${e.detail ? `: ${e.detail}` : ''}`;
    case 'FieldValueForbidden':
      return `Forbidden${e.detail ? `: ${e.detail}` : ''}`;
    case 'FieldValueDuplicate':
      return `Duplicate value: ${shown(e.value)}`;
    case 'FieldValueNotSupported':
      return `Unsupported value: ${shown(e.value)}${e.detail ? `: ${e.detail}` : ''}`;
    case 'FieldValueTooLong':
      return `Too long: ${e.detail ?? ''}`;
    default:
      return `Invalid value: ${shown(e.value)}${e.detail ? `: ${e.detail}` : ''}`;
  }
}

/** 422 Invalid: `Pod "bad1" is invalid: spec.containers[0].image: Required value`. */
export function invalid(kind: string, group: string, name: string, errs: FieldError[]): ApiError {
  const parts = errs.map((e) => `${e.field}: ${fieldErrorBody(e)}`);
  const summary = parts.length === 1 ? parts[0]! : `[${parts.join(', ')}]`;
  return new ApiError(422, 'Invalid', `${kind} "${name}" is invalid: ${summary}`, {
    name,
    ...(group ? { group } : {}),
    kind,
    causes: errs.map((e) => ({ reason: e.type, message: fieldErrorBody(e), field: e.field })),
  });
}
