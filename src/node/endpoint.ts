// The agent's local endpoint: HTTP over the unix socket <dataDir>/node.sock (mode 0600).
//   GET  /pods                                  → {pods: [...], manifestErrors: {...}}
//   GET  /logs?pod=&namespace=&container=&follow=1&previous=1&timestamps=1&...  → the container's
//        log text as kubectl logs prints it (endpoint-logs.ts)
//   POST /exec?pod=&namespace=&container=&cmd=JSON  with `Upgrade: corral-exec`: the connection
//        then carries stdin raw from the client (half-close = EOF) and frames to the client:
//        1 byte stream (1 stdout, 2 stderr, 3 exit code as decimal text), 4 bytes length, data.
//        With `&tty=1[&stdin=1][&rows=R&cols=C]` the command gets a pty of its own (relayed by
//        corral-helper; its output is stream 1) and the client sends frames too: stream 0 stdin,
//        stream 4 a window size as text "ROWS COLS", stream 255 (or half-close) end of stdin.
//   POST /portforward?pod=&namespace=&port=N  (same upgrade): the connection becomes a byte
//        stream to 127.0.0.1:N in the pod's network namespace (half-close passed on); an error
//        (nothing listens there) is a 404 whose body says so.
//   POST /attach?pod=&namespace=&container=  (same upgrade): the running container's output from
//        now on, frames 1/2 as it is logged, until that instance ends (frame 3: its exit code, or
//        empty when unknown). With &stdin=1, for a container with spec.stdin, what the client sends
//        goes to the container's stdin (half-close: the end of this attach's input; stdin.ts).
//        With &tty=1 the client sends frames as for exec with a tty: 0 stdin, 4 "ROWS COLS" (sizes
//        a tty: true container's terminal), 255 end of stdin.
import { rmSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { connect, createServer as createNetServer, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { join } from 'node:path';
import type { ExecOptions } from '../oci/runtime.js';
import type { TerminalControl, TerminalRelayOptions } from '../oci/terminal.js';
import type { NodeAgent } from './agent.js';
import { containerStatus, serveLogs } from './endpoint-logs.js';
import { instanceLog, LogTail } from './log-read.js';
import { connectPodPort } from './port-forward.js';
import { attachStdin, closeStdin } from './stdin.js';
import type { PodWorker } from './pod-worker.js';

export function socketPath(dataDir: string): string {
  return join(dataDir, 'node.sock');
}

function frame(stream: number, data: Buffer): Buffer {
  const h = Buffer.alloc(5);
  h[0] = stream;
  h.writeUInt32BE(data.length, 1);
  return Buffer.concat([h, data]);
}

/** Splits a byte stream into frames (1 byte stream, 4 bytes length, data). */
function deframer(on: (stream: number, data: Buffer) => void): (d: Buffer) => void {
  let buf: Buffer = Buffer.alloc(0);
  return (d) => {
    buf = buf.length ? Buffer.concat([buf, d]) : d;
    while (buf.length >= 5 && buf.length >= 5 + buf.readUInt32BE(1)) {
      const n = buf.readUInt32BE(1);
      on(buf[0]!, buf.subarray(5, 5 + n));
      buf = buf.subarray(5 + n);
    }
  };
}

/** "ROWS COLS" (stream 4) → numbers, or undefined when malformed. */
function parseSize(text: string): { rows: number; cols: number } | undefined {
  const m = /^\s*(\d{1,5})\s+(\d{1,5})\s*$/.exec(text);
  if (!m) return undefined;
  const rows = Number(m[1]);
  const cols = Number(m[2]);
  return rows > 0 && cols > 0 && rows < 65536 && cols < 65536 ? { rows, cols } : undefined;
}

/** Two connected unix stream sockets (Node has no socketpair): one end goes to the exec'd process. */
function socketPair(dir: string): Promise<[Socket, Socket]> {
  const path = join(dir, `.exec-${process.pid}-${Math.random().toString(36).slice(2)}.sock`);
  return new Promise((resolve, reject) => {
    const srv = createNetServer();
    srv.once('error', reject);
    srv.listen(path, () => {
      const a = connect(path);
      srv.once('connection', (b: Socket) => {
        srv.close();
        rmSync(path, { force: true });
        a.once('connect', () => resolve([a, b]));
        if (!a.connecting) resolve([a, b]);
      });
    });
  });
}

export function serve(agent: NodeAgent): Promise<Server> {
  const path = socketPath(agent.opts.dataDir);
  rmSync(path, { force: true });
  const q = (req: IncomingMessage) => new URL(req.url ?? '/', 'http://node').searchParams;
  const find = (req: IncomingMessage) => {
    const p = q(req);
    const w = agent.worker(p.get('pod') ?? '', p.get('namespace') || 'default');
    if (!w) throw new Error(`no pod "${p.get('pod')}" on this node; see corral node pods`);
    const ctr =
      p.get('container') ||
      w.containerNames().find((c) => !w.pod.spec.initContainers?.some((i) => i.name === c))!;
    if (!w.containerNames().includes(ctr))
      throw new Error(
        `pod ${w.pod.metadata.name} has no container "${ctr}"; it has ${w.containerNames().join(', ')}`,
      );
    return { w, ctr };
  };
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    try {
      const url = new URL(req.url ?? '/', 'http://node');
      if (req.method === 'GET' && url.pathname === '/pods') {
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ pods: agent.pods(), manifestErrors: agent.manifestErrors() }));
        return;
      }
      if (req.method === 'GET' && url.pathname === '/logs')
        return void serveLogs(agent, find(req), url, req, res);
      res.statusCode = 404;
      res.end(`unknown endpoint ${url.pathname}\n`);
    } catch (e) {
      res.statusCode = 404;
      res.end(`${(e as Error).message}\n`);
    }
  });
  server.on('upgrade', (req: IncomingMessage, sock: Duplex) => {
    void (async () => {
      try {
        const path = new URL(req.url ?? '/', 'http://node').pathname;
        const { w, ctr } = find(req);
        if (path === '/portforward') return await portForward(agent, w, q(req), sock);
        const r = w.running(ctr);
        if (!r) throw new Error(`container ${ctr} is not running`);
        if (path === '/attach') await attach(agent, w, ctr, r.id, q(req), sock);
        else if (path === '/exec') await execIn(agent, r, q(req), sock);
        else throw new Error(`unknown endpoint ${path}`);
      } catch (e) {
        sock.end(
          `HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n${(e as Error).message}\n`,
        );
      }
    })();
  });
  return new Promise((res, rej) => {
    server.once('error', rej);
    server.listen(path, () => res(server));
  });
}

/** attach -i to a container without spec.stdin (the API server says the same). */
export function noStdin(ctr: string): string {
  return (
    `container ${ctr} has no stdin (spec.containers[].stdin is not true), so the node agent does not ` +
    "keep a container's stdin open: set stdin: true in the pod spec, or attach without -i"
  );
}

const SWITCH = 'HTTP/1.1 101 Switching Protocols\r\nUpgrade: corral-exec\r\nConnection: Upgrade\r\n\r\n';

/** /portforward: the connection becomes a byte pipe to 127.0.0.1:PORT in the pod's netns. */
async function portForward(agent: NodeAgent, w: PodWorker, p: URLSearchParams, sock: Duplex): Promise<void> {
  const port = Number(p.get('port'));
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    throw new Error(`port: "${p.get('port') ?? ''}" is not a port number (1-65535)`);
  const pid = w.pod.spec.hostNetwork ? undefined : w.sandboxPid;
  if (!w.pod.spec.hostNetwork && !pid) throw new Error(`pod ${w.pod.metadata.name} has no running sandbox`);
  let conn: Duplex;
  try {
    conn = await connectPodPort(agent.opts.dataDir, pid, port);
  } catch (e) {
    throw new Error(
      `failed to connect to localhost:${port} inside the network namespace of pod ${w.pod.metadata.name}: ${(e as Error).message}`,
      { cause: e },
    );
  }
  if (sock.destroyed) return void conn.destroy();
  sock.write(SWITCH);
  sock.pipe(conn);
  conn.pipe(sock);
  // pipe() passes each side's end on (and flushes first); only a broken side breaks the other:
  // destroying on a clean close would cut off what is still being written.
  const broken = () => {
    sock.destroy();
    conn.destroy();
  };
  sock.on('error', broken);
  conn.on('error', broken);
}

type Running = NonNullable<ReturnType<PodWorker['running']>>;

/** /exec: a command in the container, optionally on a pty of its own (tty=1). */
async function execIn(agent: NodeAgent, r: Running, p: URLSearchParams, sock: Duplex): Promise<void> {
  const cmd = JSON.parse(p.get('cmd') ?? '[]') as string[];
  if (!cmd.length) throw new Error('no command given');
  const tty = p.get('tty') === '1';
  const wantIn = !tty || p.get('stdin') === '1';
  const size = parseSize(`${p.get('rows') ?? ''} ${p.get('cols') ?? ''}`);
  const env = r.process.env ?? [];
  const dir = agent.opts.dataDir;
  const [inA, inB] = await socketPair(dir);
  const [outA, outB] = await socketPair(dir);
  const [errA, errB] = await socketPair(dir);
  let control: TerminalControl | undefined;
  const opts: ExecOptions & TerminalRelayOptions = {
    stdio: [wantIn ? inB : 'ignore', outB, errB],
    ...(tty ? { tty: true, terminalRelay: { onStarted: (t) => (control = t) } } : {}),
  };
  let ex;
  try {
    ex = await agent.ctx.runtime.exec(
      r.id,
      {
        ...r.process,
        args: cmd,
        terminal: tty,
        // as the CRI runtimes do for a tty: a TERM for the shell's line editing
        ...(tty && !env.some((e) => e.startsWith('TERM=')) ? { env: [...env, 'TERM=xterm'] } : {}),
        ...(tty && size ? { consoleSize: { height: size.rows, width: size.cols } } : {}),
      },
      opts,
    );
  } finally {
    for (const s of [inB, outB, errB]) s.destroy();
    if (!wantIn) inA.destroy();
  }
  sock.write(SWITCH);
  if (tty) {
    sock.on(
      'data',
      deframer((stream, data) => {
        if (stream === 0 && wantIn) inA.write(data);
        else if (stream === 255) inA.end();
        else if (stream === 4) {
          const sz = parseSize(data.toString());
          if (sz) control?.resize(sz.rows, sz.cols);
        }
      }),
    );
  } else sock.on('data', (d: Buffer) => inA.write(d));
  sock.on('end', () => inA.end());
  sock.on('error', () => undefined);
  inA.on('error', () => undefined);
  const drained = [outA, errA].map(
    (s, i) =>
      new Promise<void>((res) => {
        s.on('data', (d: Buffer) => sock.write(frame(i + 1, d)));
        s.on('close', () => res());
        s.on('error', () => undefined);
      }),
  );
  const code = (await ex.exited) ?? 1;
  await Promise.race([Promise.all(drained), new Promise((res) => setTimeout(res, 2000))]);
  inA.destroy();
  sock.end(frame(3, Buffer.from(String(code))));
}

/**
 * /attach: follow the container's log from its current end until the instance `id` stops
 * running, as frames 1/2; then frame 3 with its exit code when the pod status knows it.
 */
async function attach(
  agent: NodeAgent,
  w: PodWorker,
  ctr: string,
  id: string,
  p: URLSearchParams,
  sock: Duplex,
): Promise<void> {
  const spec = [...w.pod.spec.containers, ...(w.pod.spec.initContainers ?? [])].find((c) => c.name === ctr);
  const wantIn = p.get('stdin') === '1';
  if (wantIn && !spec?.stdin) throw new Error(noStdin(ctr));
  // stdin: what the client sends goes into the container's stdin pipe (stdin.ts) until it ends.
  const input = wantIn ? attachStdin(id, join(w.stateDir, 'bundles', id), !!spec?.stdinOnce) : undefined;
  const file = instanceLog(agent.logDir(w, ctr), w.pod.metadata.name, containerStatus(w, ctr), false);
  // From now on: what the log holds already is not attach's to show.
  const log = file ? new LogTail(file, statSync(file).size) : undefined;
  sock.write(SWITCH);
  let closed = false;
  sock.on('close', () => (closed = true));
  sock.on('error', () => undefined);
  if (p.get('tty') === '1') {
    const terminal = w.running(ctr)?.terminal;
    sock.on(
      'data',
      deframer((stream, data) => {
        if (stream === 0) input?.write(data);
        else if (stream === 255 && input) closeStdin(input);
        else if (stream === 4) {
          const sz = parseSize(data.toString());
          if (sz) terminal?.resize(sz.rows, sz.cols);
        }
      }),
    );
    if (input) sock.on('close', () => closeStdin(input));
  } else if (input) {
    sock.on('data', (d: Buffer) => input.write(d));
    sock.on('end', () => closeStdin(input));
    sock.on('close', () => closeStdin(input));
  } else sock.resume(); // no input: the client's half-close is all it may send
  const pump = (): void => {
    for (const line of (log?.read() ?? '').split('\n')) {
      const m = /^\S+ (stdout|stderr) ([PF]) (.*)$/s.exec(line); // s: a tty's lines end in \r
      if (m) sock.write(frame(m[1] === 'stdout' ? 1 : 2, Buffer.from(m[3] + (m[2] === 'F' ? '\n' : ''))));
    }
  };

  while (!closed && w.running(ctr)?.id === id) {
    pump();
    await new Promise((res) => setTimeout(res, 100));
  }
  // The log writer may still hold the last lines of the instance.
  await new Promise((res) => setTimeout(res, 200));
  pump();
  if (closed) return;
  const st = w.status().containerStatuses?.find((c) => c.name === ctr);
  const code = st?.state?.terminated?.exitCode ?? st?.lastState?.terminated?.exitCode;
  sock.end(frame(3, Buffer.from(code === undefined ? '' : String(code))));
}

export { frame, deframer, parseSize };
