// Request bodies: read with a size limit, decoded from JSON or Kubernetes protobuf, then checked
// against the kind's schema per fieldValidation (Strict → 400, Warn → Warning header, Ignore).
import type { IncomingMessage } from 'node:http';
import { ApiError, badRequest, unsupportedMediaType } from '../errors.js';
import { decodeK8sProtobuf, isK8sProtobuf, ProtobufError } from '../protobuf/index.js';
import { unknownFields } from '../resources/schema.js';
import { apiVersionOf, type KObject, type ResourceDef } from '../resources/types.js';
import { mediaType } from './negotiate.js';

const MAX_BODY = 3 * 1024 * 1024;

export async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > MAX_BODY)
      throw new ApiError(413, 'RequestEntityTooLarge', 'Request entity too large: limit is 3145728');
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks);
}

/** The body as a JSON value (JSON or protobuf); undefined for an empty body. */
export function decodeBody(buf: Buffer, contentType: string | undefined): unknown {
  if (buf.length === 0) return undefined;
  if (isK8sProtobuf(contentType)) {
    try {
      return decodeK8sProtobuf(buf);
    } catch (e) {
      if (e instanceof ProtobufError) throw unsupportedMediaType(contentType ?? '', e.message);
      throw e;
    }
  }
  const mt = mediaType(contentType);
  if (mt && mt !== 'application/json' && !mt.endsWith('+json') && mt !== 'application/apply-patch+yaml') {
    throw unsupportedMediaType(contentType ?? '');
  }
  try {
    return JSON.parse(buf.toString('utf8'));
  } catch (e) {
    // Server-side apply bodies may be YAML in principle; kubectl sends JSON.
    throw badRequest(`the body of the request could not be decoded as JSON: ${(e as Error).message}`);
  }
}

export type FieldValidation = 'Strict' | 'Warn' | 'Ignore';

export function fieldValidation(param: string | null): FieldValidation {
  if (!param) return 'Warn';
  if (param === 'Strict' || param === 'Warn' || param === 'Ignore') return param;
  throw badRequest(`fieldValidation parameter unsupported: ${param}. Must be one of: Strict, Warn, Ignore`);
}

/**
 * The body as an object of the kind: type meta checked, unknown fields rejected (Strict),
 * reported (Warn, via `warn`) or dropped (Warn and Ignore, as the typed decoder does).
 */
export function asObject(
  def: ResourceDef,
  value: unknown,
  validation: FieldValidation,
  warn: (w: string) => void,
  expectKind = def.kind,
): KObject {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw badRequest(`Object '${expectKind}' is missing in '${JSON.stringify(value ?? null).slice(0, 100)}'`);
  }
  const o = value as KObject;
  const cannot = `${expectKind} in version "${def.version}" cannot be handled as a ${expectKind}`;
  if (o.kind !== undefined && o.kind !== expectKind) {
    throw badRequest(
      `${cannot}: the object provided is unrecognized (must be of type ${expectKind}): kind ${JSON.stringify(o.kind)}`,
    );
  }
  if (o.apiVersion !== undefined && o.apiVersion !== apiVersionOf(def) && expectKind === def.kind) {
    throw badRequest(
      `${cannot}: the API version in the data (${o.apiVersion}) does not match the expected API version (${apiVersionOf(def)})`,
    );
  }
  if (
    o.metadata !== undefined &&
    (typeof o.metadata !== 'object' || o.metadata === null || Array.isArray(o.metadata))
  ) {
    throw badRequest(
      `${cannot}: json: cannot unmarshal ${typeof o.metadata} into Go struct field ${expectKind}.metadata of type v1.ObjectMeta`,
    );
  }
  o.metadata ??= {};
  {
    const unknown = unknownFields(o, def.schema);
    if (unknown.length && validation === 'Strict') {
      throw badRequest(
        `${cannot}: strict decoding error: ${unknown.map((f) => `unknown field "${f}"`).join(', ')}`,
      );
    }
    if (validation === 'Warn') for (const f of unknown) warn(`unknown field "${f}"`);
    for (const f of unknown) dropPath(o, f);
  }
  return o;
}

function dropPath(o: unknown, path: string): void {
  const segs = path.match(/[^.[\]]+/g) ?? [];
  let cur = o as Record<string, unknown>;
  for (const s of segs.slice(0, -1)) {
    const next = cur?.[s];
    if (next === null || typeof next !== 'object') return;
    cur = next as Record<string, unknown>;
  }
  delete cur[segs[segs.length - 1]!];
}
