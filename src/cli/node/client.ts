// The CLI side of the agent's local endpoint (src/node/endpoint.ts).
import { request, type IncomingMessage } from 'node:http';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Socket } from 'node:net';

export function sock(dataDir: string): string {
  const p = join(dataDir, 'node.sock');
  if (!existsSync(p)) throw new Error(`no node agent at ${p}; start one with corral node --manifests DIR`);
  return p;
}

export function get(dataDir: string, path: string): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: sock(dataDir), path, method: 'GET' }, resolve);
    req.on('error', (e) => reject(new Error(`cannot reach the node agent: ${e.message}`)));
    req.end();
  });
}

export async function getText(dataDir: string, path: string): Promise<{ status: number; body: string }> {
  const res = await get(dataDir, path);
  let body = '';
  res.setEncoding('utf8');
  for await (const c of res) body += c;
  return { status: res.statusCode ?? 0, body };
}

function frame(stream: number, data: Buffer): Buffer {
  const h = Buffer.alloc(5);
  h[0] = stream;
  h.writeUInt32BE(data.length, 1);
  return Buffer.concat([h, data]);
}

/** With `tty`: the path asks for tty=1, stdin goes as frames, and resizes follow `tty.onStarted`. */
export interface ExecTerminal {
  onStarted(t: { resize(rows: number, cols: number): void }): void;
}

/** Run a command in a pod's container; stdin from `input`, output to ours; resolves with its exit code. */
export function exec(
  dataDir: string,
  path: string,
  input: NodeJS.ReadableStream | undefined,
  tty?: ExecTerminal,
): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({
      socketPath: sock(dataDir),
      path,
      method: 'POST',
      headers: { Connection: 'Upgrade', Upgrade: 'corral-exec' },
    });
    req.on('response', async (res) => {
      let body = '';
      for await (const c of res) body += c;
      reject(new Error(body.trim() || `exec failed (${res.statusCode})`));
    });
    req.on('error', (e) => reject(new Error(`cannot reach the node agent: ${e.message}`)));
    req.on('upgrade', (_res, s: Socket, head: Buffer) => {
      let buf = Buffer.alloc(0);
      let code: number | undefined;
      const take = (d: Buffer): void => {
        buf = Buffer.concat([buf, d]);
        while (buf.length >= 5 && buf.length >= 5 + buf.readUInt32BE(1)) {
          const n = buf.readUInt32BE(1);
          const data = buf.subarray(5, 5 + n);
          if (buf[0] === 1) process.stdout.write(data);
          else if (buf[0] === 2) process.stderr.write(data);
          else code = Number(data.toString());
          buf = buf.subarray(5 + n);
        }
      };
      // Frames that came in the same read as the 101 arrive as `head`: a short command's whole
      // output and exit code can (then no 'data' follows).
      take(head);
      s.on('data', take);
      s.on('close', () => resolve(code ?? 1));
      const send = (d: Buffer | string): boolean =>
        s.write(tty ? frame(0, Buffer.isBuffer(d) ? d : Buffer.from(d)) : d);
      tty?.onStarted({
        resize: (rows, cols) => {
          if (!s.writableEnded) s.write(frame(4, Buffer.from(`${rows} ${cols}`)));
        },
      });
      s.on('close', () => input?.pause());
      if (input) {
        input.on('data', (d: Buffer | string) => send(d));
        input.on('end', () => s.end());
      } else if (!tty) s.end(); // with a tty the stream stays open for resizes
    });
    req.end();
  });
}
