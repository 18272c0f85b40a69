// pods/log, pods/exec and pods/attach proxied to the node agent that runs the pod.
//
// How the API server reaches the agent: the Node object carries the path of the agent's local
// endpoint socket (annotation NODE_ENDPOINT_ANNOTATION, written by the agent at registration).
// That works when both run on one machine (`corral up`, or `corral server` + `corral node` side
// by side); an agent on another machine needs a TLS endpoint (kubelet :10250) — not built yet.
//
// Exec and attach speak WebSocket `v5.channel.k8s.io` to the client (channel byte first: 0 stdin,
// 1 stdout, 2 stderr, 3 status, 4 resize as JSON {"Width","Height"}, 255 close-stdin) and the
// endpoint's own framing to the agent (src/node/endpoint.ts: stdin raw with half-close for EOF, or
// with tty=true frames 0 stdin / 4 "ROWS COLS"; frames 1/2 output, 3 exit code as text).
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { ApiError, badRequest } from '../errors.js';
import type { Store } from '../registry/store.js';
import { nodes } from '../resources/nodes.js';
import type { KObject } from '../resources/types.js';
import type { ServerContext } from './context.js';
import { acceptWebSocket, offeredProtocols, type WebSocketConn } from './websocket.js';

export const NODE_ENDPOINT_ANNOTATION = 'corral.dev/endpoint-socket';
const V5 = 'v5.channel.k8s.io';

type ContainerSpec = { name: string; stdin?: boolean };
type PodSpec = { nodeName?: string; containers?: ContainerSpec[]; initContainers?: ContainerSpec[] };

function containerOf(pod: KObject, q: URLSearchParams): string {
  const spec = (pod.spec ?? {}) as PodSpec;
  const names = [...(spec.containers ?? []), ...(spec.initContainers ?? [])].map((c) => c.name);
  const c = q.get('container') || (spec.containers?.length === 1 ? spec.containers[0]!.name : '');
  if (!c)
    throw badRequest(
      `a container name must be specified for pod ${pod.metadata.name}, choose one of: [${names.join(' ')}]`,
    );
  if (!names.includes(c)) throw badRequest(`container ${c} is not valid for pod ${pod.metadata.name}`);
  return c;
}

export async function endpointOf(ctx: ServerContext, pod: KObject): Promise<string> {
  const nodeName = ((pod.spec ?? {}) as PodSpec).nodeName;
  if (!nodeName) throw badRequest(`pod ${pod.metadata.name} does not have a host assigned`);
  let node: KObject;
  try {
    node = await (ctx.stores.get(nodes) as Store).get('', nodeName);
  } catch {
    throw new ApiError(
      503,
      'ServiceUnavailable',
      `node "${nodeName}" of pod ${pod.metadata.name} is not registered`,
    );
  }
  const sock = node.metadata.annotations?.[NODE_ENDPOINT_ANNOTATION];
  if (!sock)
    throw new ApiError(
      503,
      'ServiceUnavailable',
      `node "${nodeName}" publishes no endpoint this API server can reach (annotation ${NODE_ENDPOINT_ANNOTATION})`,
    );
  return sock;
}

function nodeError(res: IncomingMessage): Promise<ApiError> {
  return new Promise((resolve) => {
    let b = '';
    res.setEncoding('utf8');
    res.on('data', (c: string) => (b += c));
    res.on('end', () => resolve(badRequest(b.trim() || `node agent answered ${res.statusCode}`)));
    res.on('error', () => resolve(badRequest(`node agent answered ${res.statusCode}`)));
  });
}

/** PodLogOptions from the query, checked as Kubernetes does, in the agent endpoint's terms. */
function logQuery(q: URLSearchParams): URLSearchParams {
  const out = new URLSearchParams();
  const flag = (k: string) => q.get(k) === 'true' || q.get(k) === '1';
  for (const k of ['follow', 'previous', 'timestamps']) if (flag(k)) out.set(k, '1');
  const int = (k: string, min: number, must: string): number | undefined => {
    const v = q.get(k);
    if (v === null || v === '') return undefined;
    const n = Number(v);
    if (!Number.isInteger(n)) throw badRequest(`${k}: Invalid value: "${v}": must be an integer`);
    if (n < min) throw badRequest(`${k}: Invalid value: ${n}: ${must}`);
    return n;
  };
  const tailLines = int('tailLines', 0, 'must be greater than or equal to 0');
  const limitBytes = int('limitBytes', 1, 'must be greater than 0');
  const sinceSeconds = int('sinceSeconds', 1, 'must be greater than 0');
  const sinceTime = q.get('sinceTime');
  if (sinceSeconds !== undefined && sinceTime)
    throw badRequest('at most one of `sinceTime` or `sinceSeconds` may be specified');
  if (tailLines !== undefined) out.set('tailLines', String(tailLines));
  if (limitBytes !== undefined) out.set('limitBytes', String(limitBytes));
  if (sinceSeconds !== undefined)
    out.set('sinceTime', new Date(Date.now() - sinceSeconds * 1000).toISOString());
  else if (sinceTime) {
    if (Number.isNaN(Date.parse(sinceTime)))
      throw badRequest(`sinceTime: Invalid value: "${sinceTime}": must be an RFC 3339 time`);
    out.set('sinceTime', sinceTime);
  }
  return out;
}

export async function proxyLog(
  ctx: ServerContext,
  pod: KObject,
  q: URLSearchParams,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const container = containerOf(pod, q);
  const qs = logQuery(q);
  const socketPath = await endpointOf(ctx, pod);
  qs.set('pod', pod.metadata.name ?? '');
  qs.set('namespace', pod.metadata.namespace ?? 'default');
  qs.set('container', container);
  const up = await new Promise<IncomingMessage>((resolve, reject) => {
    const r = http.get({ socketPath, path: `/logs?${qs}` }, resolve);
    r.on('error', (e) =>
      reject(new ApiError(503, 'ServiceUnavailable', `node agent unreachable: ${e.message}`)),
    );
    req.on('close', () => r.destroy());
  });
  if (up.statusCode !== 200) throw await nodeError(up);
  res.writeHead(200, { 'Content-Type': 'text/plain', 'Cache-Control': 'no-cache, private' });
  if (qs.has('follow')) res.flushHeaders();
  // The agent applies every option (it reads the CRI records' times): the text goes as it comes.
  up.pipe(res);
  await new Promise<void>((resolve) => {
    up.on('close', resolve);
    res.on('close', () => {
      up.destroy();
      resolve();
    });
  });
}

function status(code: number | undefined, message?: string): Buffer {
  const st =
    code === 0
      ? { metadata: {}, status: 'Success' }
      : code === undefined
        ? { metadata: {}, status: 'Failure', reason: 'InternalError', message: message ?? 'exec failed' }
        : {
            metadata: {},
            status: 'Failure',
            message: `command terminated with non-zero exit code: exit status ${code}`,
            reason: 'NonZeroExitCode',
            details: { causes: [{ reason: 'ExitCode', message: String(code) }] },
          };
  return Buffer.concat([Buffer.from([3]), Buffer.from(JSON.stringify(st))]);
}

export async function proxyExec(
  ctx: ServerContext,
  pod: KObject,
  sub: string,
  q: URLSearchParams,
  req: IncomingMessage,
): Promise<void> {
  const container = containerOf(pod, q);
  const socketPath = await endpointOf(ctx, pod);
  // Before the protocol check: kubectl retries a refused WebSocket upgrade with SPDY, and this is
  // the message the user needs either way.
  const spec = (pod.spec ?? {}) as PodSpec;
  const attached = [...(spec.containers ?? []), ...(spec.initContainers ?? [])].find(
    (c) => c.name === container,
  );
  if (sub === 'attach' && (q.get('stdin') === 'true' || q.get('stdin') === '1') && !attached?.stdin)
    throw badRequest(
      `container ${container} has no stdin (spec.containers[].stdin is not true), so the node agent does not ` +
        "keep a container's stdin open: set stdin: true in the pod spec, or attach without -i",
    );
  const offered = offeredProtocols(req);
  if (!offered.includes(V5)) {
    const how = String(req.headers.upgrade ?? '') || 'none';
    throw badRequest(`unsupported upgrade ${how}: pods/${sub} needs a WebSocket with subprotocol ${V5}`);
  }
  const flag = (k: string) => q.get(k) === 'true' || q.get(k) === '1';
  const wantStdin = flag('stdin');
  const tty = flag('tty');
  const qs = new URLSearchParams({
    pod: pod.metadata.name ?? '',
    namespace: pod.metadata.namespace ?? 'default',
    container,
  });
  if (sub === 'attach' && wantStdin) qs.set('stdin', '1');
  if (sub === 'attach' && tty) qs.set('tty', '1');
  if (sub !== 'attach') {
    const command = q.getAll('command');
    if (!command.length) throw badRequest('you must specify at least 1 command');
    qs.set('cmd', JSON.stringify(command));
    if (tty) {
      qs.set('tty', '1');
      qs.set('stdin', wantStdin ? '1' : '0');
    }
  }
  const ws = acceptWebSocket(req, V5);
  // With a tty the agent takes frames: 0 stdin, 4 "ROWS COLS". Without, stdin goes raw.
  const framed = tty;
  const toNode = (stream: 0 | 4, data: Buffer): Buffer => (framed ? nodeFrame(stream, data) : data);
  let node: Socket | undefined;
  const pendingIn: Buffer[] = [];
  let stdinClosed = !wantStdin;
  let size: { rows: number; cols: number } | undefined;
  let firstSize: (() => void) | undefined;
  ws.on('message', (m: Buffer) => {
    if (!m.length) return;
    if (m[0] === 0 && wantStdin) {
      if (node) node.write(toNode(0, m.subarray(1)));
      else pendingIn.push(toNode(0, m.subarray(1)));
    } else if (m[0] === 255 && m[1] === 0) {
      stdinClosed = true;
      if (node && framed) node.write(nodeFrame(255, Buffer.alloc(0)));
      else node?.end();
    } else if (m[0] === 4 && framed) {
      const sz = parseResize(m.subarray(1));
      if (!sz) return;
      if (node) node.write(toNode(4, Buffer.from(`${sz.rows} ${sz.cols}`)));
      else size = sz;
      firstSize?.();
    }
  });
  ws.on('close', () => node?.destroy());
  if (framed && sub !== 'attach') {
    // kubectl sends the terminal's size right after the handshake: start the command with it, so
    // its first `stty size` is right (a client that sends none only waits this short while).
    await new Promise<void>((res) => {
      firstSize = res;
      setTimeout(res, 500).unref();
    });
    firstSize = undefined;
    if (size) {
      qs.set('rows', String(size.rows));
      qs.set('cols', String(size.cols));
    }
  }
  try {
    node = await connectExec(socketPath, `/${sub === 'attach' ? 'attach' : 'exec'}?${qs}`);
  } catch (e) {
    ws.send(status(undefined, (e as Error).message));
    return ws.close(1000);
  }
  if (ws.isClosed) return void node.destroy();
  for (const b of pendingIn) node.write(b);
  // attach: the size that came meanwhile sizes the running terminal now.
  if (sub === 'attach' && framed && size) node.write(nodeFrame(4, Buffer.from(`${size.rows} ${size.cols}`)));
  // A tty's stdin ends with frame 255: the connection stays open for resizes.
  if (stdinClosed && framed) node.write(nodeFrame(255, Buffer.alloc(0)));
  else if (stdinClosed) node.end();
  pumpExec(node, ws, sub === 'attach');
}

function nodeFrame(stream: number, data: Buffer): Buffer {
  const h = Buffer.alloc(5);
  h[0] = stream;
  h.writeUInt32BE(data.length, 1);
  return Buffer.concat([h, data]);
}

/** Channel 4 of v5.channel.k8s.io: {"Width":W,"Height":H}. */
function parseResize(b: Buffer): { rows: number; cols: number } | undefined {
  try {
    const v = JSON.parse(b.toString()) as { Width?: unknown; Height?: unknown };
    const rows = Number(v.Height);
    const cols = Number(v.Width);
    if (!Number.isInteger(rows) || !Number.isInteger(cols) || rows <= 0 || cols <= 0) return undefined;
    return { rows: Math.min(rows, 65535), cols: Math.min(cols, 65535) };
  } catch {
    return undefined;
  }
}

function connectExec(socketPath: string, path: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const r = http.request({
      socketPath,
      path,
      method: 'POST',
      headers: { Connection: 'Upgrade', Upgrade: 'corral-exec' },
    });
    r.on('upgrade', (_res, sock: Socket, head: Buffer) => {
      if (head.length) sock.unshift(head);
      resolve(sock);
    });
    r.on('response', (res) => void nodeError(res).then((e) => reject(new Error(e.message))));
    r.on('error', (e) => reject(new Error(`node agent unreachable: ${e.message}`)));
    r.end();
  });
}

/** The agent's frames (1 byte stream, 4 bytes length, data) to WebSocket channel messages. An
 *  attach ends with Success whatever the container's exit code (as the kubelet's attach). */
function pumpExec(node: Socket, ws: WebSocketConn, attach: boolean): void {
  let buf: Buffer = Buffer.alloc(0);
  let done = false;
  node.on('data', (d: Buffer) => {
    buf = Buffer.concat([buf, d]);
    while (buf.length >= 5) {
      const len = buf.readUInt32BE(1);
      if (buf.length < 5 + len) break;
      const stream = buf[0]!;
      const data = buf.subarray(5, 5 + len);
      buf = buf.subarray(5 + len);
      if (stream === 1 || stream === 2) ws.send(Buffer.concat([Buffer.from([stream]), data]));
      else if (stream === 3) {
        done = true;
        const code = attach ? 0 : Number(data.toString());
        ws.send(status(Number.isInteger(code) ? code : undefined, `exec ended: ${data.toString()}`));
        ws.close(1000);
      }
    }
  });
  node.on('error', () => undefined);
  node.on('close', () => {
    if (done) return;
    ws.send(status(undefined, 'the node agent closed the exec stream'));
    ws.close(1000);
  });
}
