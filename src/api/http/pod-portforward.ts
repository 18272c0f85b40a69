// pods/portforward: kubectl port-forward, proxied to the node agent that runs the pod.
//
// kubectl (client-go ≥ 1.31) opens a WebSocket with subprotocol `SPDY/3.1+portforward.k8s.io` and
// runs a SPDY/3.1 session inside its binary messages; when the upgrade is refused it falls back to
// plain SPDY (`Upgrade: SPDY/3.1`, `X-Stream-Protocol-Version: portforward.k8s.io`). Both are
// served here: the same session (spdy.ts) over either transport.
//
// Protocol portforward.k8s.io: for each local connection the client opens two streams with headers
// streamType (error|data), port and requestID. We accept both; once paired, the agent's endpoint
// connects to 127.0.0.1:port in the pod's network namespace and the data stream carries the bytes.
// When that fails, the error stream carries the message (kubectl prints it, as for the kubelet's
// "error forwarding port ..."); either way both streams end with FIN when the connection is done.
import http, { type IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { badRequest } from '../errors.js';
import type { KObject } from '../resources/types.js';
import type { ServerContext } from './context.js';
import { endpointOf } from './pod-connect.js';
import { RST_PROTOCOL_ERROR, SpdySession, type SpdyStream } from './spdy.js';
import { acceptWebSocket, offeredProtocols, upgradeSockets } from './websocket.js';

const PROTOCOL = 'portforward.k8s.io';
const TUNNEL = `SPDY/3.1+${PROTOCOL}`;

export async function proxyPortForward(
  ctx: ServerContext,
  pod: KObject,
  req: IncomingMessage,
): Promise<void> {
  const socketPath = await endpointOf(ctx, pod);
  const offered = offeredProtocols(req);
  const raw = upgradeSockets.get(req);
  let session: SpdySession;
  if (offered.includes(TUNNEL)) {
    const ws = acceptWebSocket(req, TUNNEL);
    session = new SpdySession(
      (b) => ws.send(b),
      () => ws.close(1000),
    );
    ws.on('message', (m: Buffer) => session.push(m));
    ws.on('close', () => session.end());
  } else if (
    raw &&
    String(req.headers.upgrade ?? '').toLowerCase() === 'spdy/3.1' &&
    String(req.headers['x-stream-protocol-version'] ?? '')
      .split(',')
      .map((s) => s.trim())
      .includes(PROTOCOL)
  ) {
    raw.write(
      'HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\n' +
        `X-Stream-Protocol-Version: ${PROTOCOL}\r\n\r\n`,
    );
    session = new SpdySession(
      (b) => void (raw.writable && raw.write(b)),
      () => raw.end(),
    );
    raw.on('data', (d: Buffer) => session.push(d));
    raw.on('close', () => session.end());
  } else {
    const how = String(req.headers.upgrade ?? '') || 'none';
    throw badRequest(
      `unsupported upgrade ${how}: pods/portforward needs a WebSocket with subprotocol ${TUNNEL} or SPDY/3.1 with ${PROTOCOL}`,
    );
  }
  const target = {
    socketPath,
    pod: pod.metadata.name ?? '',
    namespace: pod.metadata.namespace ?? 'default',
    uid: pod.metadata.uid ?? '',
  };
  const pairs = new Map<string, { error?: SpdyStream; data?: SpdyStream }>();
  session.on('stream', (s: SpdyStream) => {
    const type = s.headers.streamtype;
    const id = s.headers.requestid ?? '';
    if ((type !== 'error' && type !== 'data') || !s.headers.port) return s.cancel(RST_PROTOCOL_ERROR);
    session.reply(s);
    const pair = pairs.get(id) ?? {};
    pair[type] = s;
    pairs.set(id, pair);
    if (pair.error && pair.data) {
      pairs.delete(id);
      void forward(target, pair.data, pair.error);
    }
  });
}

async function forward(
  t: { socketPath: string; pod: string; namespace: string; uid: string },
  data: SpdyStream,
  error: SpdyStream,
): Promise<void> {
  const port = data.headers.port ?? '';
  const finish = (message?: string) => {
    if (message) error.end(Buffer.from(message));
    else error.end();
    data.end();
  };
  if (!/^\d{1,5}$/.test(port) || Number(port) < 1 || Number(port) > 65535)
    return finish(`invalid port "${port}": a port is a number from 1 to 65535`);
  // What the client sends while the agent connects is kept for then.
  const link: { node?: Duplex; early: Buffer[]; ended: boolean } = { early: [], ended: false };
  data.on('data', (b: Buffer) => (link.node ? link.node.write(b) : link.early.push(b)));
  data.on('end', () => (link.node ? link.node.end() : (link.ended = true)));
  data.on('reset', () => {
    link.node?.destroy();
    error.end();
  });
  let conn: Duplex;
  try {
    conn = await connectNode(t.socketPath, new URLSearchParams({ pod: t.pod, namespace: t.namespace, port }));
  } catch (e) {
    return finish(`error forwarding port ${port} to pod ${t.pod}, uid ${t.uid}: ${(e as Error).message}`);
  }
  if (data.reset) return void conn.destroy();
  link.node = conn;
  for (const b of link.early) conn.write(b);
  if (link.ended) conn.end();
  conn.on('data', (b: Buffer) => data.write(b));
  conn.on('end', () => finish());
  conn.on('error', () => data.cancel());
  conn.on('close', () => finish());
}

function connectNode(socketPath: string, qs: URLSearchParams): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const r = http.request({
      socketPath,
      path: `/portforward?${qs}`,
      method: 'POST',
      headers: { Connection: 'Upgrade', Upgrade: 'corral-exec' },
    });
    r.on('upgrade', (_res, sock: Socket, head: Buffer) => {
      sock.allowHalfOpen = true;
      if (head.length) sock.unshift(head);
      resolve(sock);
    });
    r.on('response', (res: IncomingMessage) => {
      let b = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (b += c));
      res.on('end', () => reject(new Error(b.trim() || `node agent answered ${res.statusCode}`)));
    });
    r.on('error', (e) => reject(new Error(`node agent unreachable: ${e.message}`)));
    r.end();
  });
}
