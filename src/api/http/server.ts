// The HTTP(S) front of the API server: routing of discovery, OpenAPI, health and resource paths.
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import https from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { forbiddenError, type AuthzAttributes } from '../auth/types.js';
import { ApiError } from '../errors.js';
import { authenticate } from './authn.js';
import type { ServerContext } from './context.js';
import { aggregated, apiGroupDoc, apiGroupList, apiResourceList, apiVersions } from './discovery.js';
import { wantsAggregated } from './negotiate.js';
import { groupVersionDocument, openapiRoot } from './openapi.js';
import { parseResourcePath } from './request-info.js';
import { handleResource } from './resource-handler.js';
import { sendError, sendJSON, sendText } from './respond.js';
import { upgradeSockets } from './websocket.js';

export const VERSION_INFO = {
  major: '1',
  minor: '32',
  gitVersion: 'v1.32.4-corral',
  gitCommit: '0000000000000000000000000000000000000000',
  gitTreeState: 'clean',
  buildDate: '2026-01-01T00:00:00Z',
  goVersion: 'go1.23.0',
  compiler: 'gc',
  platform: 'linux/amd64',
};

export interface TlsMaterial {
  cert: string;
  key: string;
  ca: string;
}

export interface HttpServerOptions {
  host: string;
  port: number;
  tls?: TlsMaterial;
}

export function createHttpServer(ctx: ServerContext, opts: HttpServerOptions): http.Server {
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    route(ctx, req, res).catch((e: unknown) => sendError(res, e, ctx.log));
  };
  const server = opts.tls
    ? https.createServer(
        {
          cert: opts.tls.cert,
          key: opts.tls.key,
          ca: opts.tls.ca,
          requestCert: true,
          rejectUnauthorized: false,
        },
        handler,
      )
    : http.createServer(handler);
  server.keepAliveTimeout = 65_000;
  // Upgrade requests (exec/attach over WebSocket, kubectl's SPDY fallback) take the normal route;
  // a handler that accepts one takes over the socket, any other answer is a plain response.
  server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    if (head.length) socket.unshift(head);
    socket.on('error', () => undefined);
    upgradeSockets.set(req, socket);
    const res = new http.ServerResponse(req);
    res.assignSocket(socket);
    res.on('finish', () => socket.end());
    handler(req, res);
  });
  return server;
}

export async function listen(server: http.Server, host: string, port: number): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return (server.address() as AddressInfo).port;
}

const notFoundStatus = () =>
  new ApiError(404, 'NotFound', 'the server could not find the requested resource', {});

async function route(ctx: ServerContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://x');
  const path = url.pathname.replace(/\/+$/, '') || '/';
  const method = req.method ?? 'GET';
  if (process.env.CORRAL_API_TRACE)
    ctx.log(
      `${method} ${req.url} accept=${req.headers.accept ?? ''} ct=${req.headers['content-type'] ?? ''}`,
    );
  const user = await authenticate(req, ctx.authn, ctx.authorize);
  const info = parseResourcePath(
    path,
    method,
    url.searchParams.get('watch') === 'true' || url.searchParams.get('watch') === '1',
  );
  // Discovery, OpenAPI, health and version are non-resource URLs: authorized by path and verb.
  if (!info) await authorizePath(ctx, user, method, url.pathname);
  if (method === 'GET') {
    switch (path) {
      case '/version':
        return sendJSON(res, 200, VERSION_INFO);
      case '/healthz':
      case '/livez':
      case '/readyz':
        return sendText(res, 200, 'ok');
      case '/api': {
        const agg = wantsAggregated(req.headers.accept);
        if (agg) return sendJSON(res, 200, aggregated(true, agg), agg);
        return sendJSON(res, 200, apiVersions(req.headers.host ?? '127.0.0.1:6443'));
      }
      case '/apis': {
        const agg = wantsAggregated(req.headers.accept);
        if (agg) return sendJSON(res, 200, aggregated(false, agg), agg);
        return sendJSON(res, 200, apiGroupList());
      }
      case '/openapi/v3':
        return sendJSON(res, 200, openapiRoot());
    }
    if (path.startsWith('/healthz/') || path.startsWith('/livez/') || path.startsWith('/readyz/'))
      return sendText(res, 200, 'ok');
    if (path.startsWith('/openapi/v3/')) {
      const m = /^\/openapi\/v3\/(?:api\/(v1)|apis\/([^/]+)\/([^/]+))$/.exec(path);
      const doc = m ? groupVersionDocument(m[2] ?? '', m[1] ?? m[3]!) : undefined;
      if (!doc) throw notFoundStatus();
      res.setHeader('Cache-Control', 'public, immutable');
      return sendJSON(res, 200, doc);
    }
    const gv = /^\/(?:api\/(v1)|apis\/([^/]+)\/([^/]+))$/.exec(path);
    if (gv) {
      const list = apiResourceList(gv[2] ?? '', gv[1] ?? gv[3]!);
      if (!list) throw notFoundStatus();
      return sendJSON(res, 200, list);
    }
    const g = /^\/apis\/([^/]+)$/.exec(path);
    if (g) {
      const doc = apiGroupDoc(g[1]!);
      if (!doc) throw notFoundStatus();
      return sendJSON(res, 200, doc);
    }
  }
  if (!info) throw notFoundStatus();
  return handleResource(ctx, { user, url }, info, req, res);
}

async function authorizePath(
  ctx: ServerContext,
  user: AuthzAttributes['user'],
  method: string,
  path: string,
): Promise<void> {
  const a: AuthzAttributes = {
    user,
    verb: method === 'HEAD' ? 'get' : method.toLowerCase(),
    namespace: '',
    apiGroup: '',
    resource: '',
    subresource: '',
    name: '',
    path,
  };
  if (!(await ctx.authorize(a)).allowed) throw forbiddenError(a);
}
