// Server-side WebSocket (RFC 6455), just what the Kubernetes channel protocols need: the
// handshake with a subprotocol, binary messages (fragmented or not), ping/pong and close.
// Node has a WebSocket client but no server; this avoids a dependency for ~150 lines.
import { createHash } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

/** Requests that arrived as an HTTP upgrade: their raw socket, for handlers that accept it. */
export const upgradeSockets = new WeakMap<IncomingMessage, Duplex>();

/** The subprotocols a WebSocket upgrade request offers (empty if it is not one). */
export function offeredProtocols(req: IncomingMessage): string[] {
  if (!upgradeSockets.has(req)) return [];
  if (String(req.headers.upgrade ?? '').toLowerCase() !== 'websocket') return [];
  if (!req.headers['sec-websocket-key']) return [];
  return String(req.headers['sec-websocket-protocol'] ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

export class WebSocketConn extends EventEmitter {
  private buf: Buffer = Buffer.alloc(0);
  private frags: Buffer[] = [];
  private closed = false;

  constructor(private readonly sock: Duplex) {
    super();
    sock.on('data', (d: Buffer) => this.onData(d));
    sock.on('close', () => this.finish());
    sock.on('error', () => this.finish());
  }

  private finish(): void {
    if (this.closed) return;
    this.closed = true;
    this.emit('close');
  }

  get isClosed(): boolean {
    return this.closed;
  }

  private onData(d: Buffer): void {
    this.buf = this.buf.length ? Buffer.concat([this.buf, d]) : d;
    for (;;) {
      if (this.buf.length < 2) return;
      const b0 = this.buf[0]!;
      const b1 = this.buf[1]!;
      let len = b1 & 0x7f;
      let off = 2;
      if (len === 126) {
        if (this.buf.length < 4) return;
        len = this.buf.readUInt16BE(2);
        off = 4;
      } else if (len === 127) {
        if (this.buf.length < 10) return;
        len = Number(this.buf.readBigUInt64BE(2));
        off = 10;
      }
      const masked = (b1 & 0x80) !== 0;
      const mask = masked ? this.buf.subarray(off, off + 4) : undefined;
      if (masked) off += 4;
      if (this.buf.length < off + len) return;
      const payload = Buffer.from(this.buf.subarray(off, off + len));
      this.buf = this.buf.subarray(off + len);
      if (mask) for (let i = 0; i < payload.length; i++) payload[i]! ^= mask[i & 3]!;
      this.onFrame((b0 & 0x80) !== 0, b0 & 0x0f, payload);
    }
  }

  private onFrame(fin: boolean, opcode: number, payload: Buffer): void {
    switch (opcode) {
      case 0x0:
      case 0x1:
      case 0x2:
        this.frags.push(payload);
        if (fin) {
          const msg = Buffer.concat(this.frags);
          this.frags = [];
          this.emit('message', msg);
        }
        return;
      case 0x8: // close: answer it and end
        this.frame(0x8, payload.subarray(0, 2));
        this.sock.end();
        this.finish();
        return;
      case 0x9:
        this.frame(0xa, payload);
        return;
      default:
        return; // pong and reserved opcodes
    }
  }

  private frame(opcode: number, payload: Buffer): void {
    if (this.sock.writableEnded || this.sock.destroyed) return;
    const n = payload.length;
    const head = n < 126 ? Buffer.alloc(2) : n < 65536 ? Buffer.alloc(4) : Buffer.alloc(10);
    head[0] = 0x80 | opcode;
    if (n < 126) head[1] = n;
    else if (n < 65536) {
      head[1] = 126;
      head.writeUInt16BE(n, 2);
    } else {
      head[1] = 127;
      head.writeBigUInt64BE(BigInt(n), 2);
    }
    this.sock.write(Buffer.concat([head, payload]));
  }

  send(data: Buffer): void {
    this.frame(0x2, data);
  }

  /** Close with a status code (1000 = normal) and end the connection. */
  close(code = 1000): void {
    if (this.closed) return;
    const p = Buffer.alloc(2);
    p.writeUInt16BE(code);
    this.frame(0x8, p);
    this.sock.end();
    // A client that never answers the close must not keep the socket.
    setTimeout(() => this.sock.destroy(), 5000).unref();
  }
}

/** Complete the handshake on an upgrade request, choosing `protocol`. */
export function acceptWebSocket(req: IncomingMessage, protocol: string): WebSocketConn {
  const sock = upgradeSockets.get(req);
  if (!sock) throw new Error('not an upgrade request');
  const key = String(req.headers['sec-websocket-key']);
  const accept = createHash('sha1')
    .update(key + GUID)
    .digest('base64');
  sock.write(
    'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
      `Sec-WebSocket-Accept: ${accept}\r\nSec-WebSocket-Protocol: ${protocol}\r\n\r\n`,
  );
  return new WebSocketConn(sock);
}
