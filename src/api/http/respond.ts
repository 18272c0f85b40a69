// Writing responses: JSON bodies, Status objects for errors, and the warnings header.
import type { ServerResponse } from 'node:http';
import { ApiError, internalError } from '../errors.js';

export function sendJSON(
  res: ServerResponse,
  code: number,
  body: unknown,
  contentType = 'application/json',
): void {
  sendBytes(res, code, Buffer.from(JSON.stringify(body)), contentType);
}

/** A JSON body already encoded (cached objects, lists assembled from them). */
export function sendBytes(
  res: ServerResponse,
  code: number,
  data: Buffer,
  contentType = 'application/json',
): void {
  res.writeHead(code, {
    'Content-Type': contentType,
    'Content-Length': data.length,
    'Cache-Control': 'no-cache, private',
  });
  res.end(data);
}

/**
 * A list's JSON from its envelope, which ends in `"items":[]}` (JSON.stringify of an object whose
 * last key is an empty items array), and the items' JSON.
 */
export function joinList(envelope: string, items: Buffer[]): Buffer {
  if (!envelope.endsWith('[]}')) throw new Error('joinList: the envelope must end with an empty items array');
  const parts: Buffer[] = [Buffer.from(envelope.slice(0, -2))];
  const comma = Buffer.from(',');
  items.forEach((b, i) => {
    if (i) parts.push(comma);
    parts.push(b);
  });
  parts.push(Buffer.from(']}'));
  return Buffer.concat(parts);
}

export function sendText(res: ServerResponse, code: number, text: string): void {
  res.writeHead(code, {
    'Content-Type': 'text/plain; charset=utf-8',
    'Cache-Control': 'no-cache, private',
    'X-Content-Type-Options': 'nosniff',
  });
  res.end(text);
}

export function sendError(res: ServerResponse, err: unknown, log: (msg: string) => void = () => {}): void {
  const e = err instanceof ApiError ? err : internalError(err instanceof Error ? err.message : String(err));
  if (!(err instanceof ApiError))
    log(`internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  if (res.headersSent) {
    res.destroy();
    return;
  }
  sendJSON(res, e.code, e.toStatus());
}

/** `Warning: 299 - "text"`, which kubectl prints as `Warning: text`. */
export function addWarning(res: ServerResponse, text: string): void {
  const value = `299 - ${JSON.stringify(text)}`;
  const prev = res.getHeader('Warning');
  res.setHeader('Warning', prev ? [...(Array.isArray(prev) ? prev : [String(prev)]), value] : value);
}

export function successStatus(details: Record<string, unknown>): Record<string, unknown> {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details };
}
