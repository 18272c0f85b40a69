// Writing responses: JSON bodies, Status objects for errors, and the warnings header.
import type { ServerResponse } from 'node:http';
import { ApiError, internalError } from '../errors.js';

export function sendJSON(
  res: ServerResponse,
  code: number,
  body: unknown,
  contentType = 'application/json',
): void {
  const data = Buffer.from(JSON.stringify(body));
  res.writeHead(code, {
    'Content-Type': contentType,
    'Content-Length': data.length,
    'Cache-Control': 'no-cache, private',
  });
  res.end(data);
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
