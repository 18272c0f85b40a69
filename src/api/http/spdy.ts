// The server side of a SPDY/3.1 session, just what kubectl's port-forward needs (k8s.io's
// spdystream is the client): the peer opens streams (SYN_STREAM with headers), we accept each
// (SYN_REPLY), then DATA both ways with FIN for a half-close, RST_STREAM, PING echoed, GOAWAY.
// No flow control: spdystream neither sends nor honours WINDOW_UPDATE.
//
// Frames: a control frame is 1|version(15) type(16) flags(8) length(24) data; a data frame is
// 0|stream-id(31) flags(8) length(24) data. Header blocks (count, then length-prefixed name and
// value, all 32-bit) are one zlib stream per direction, with the SPDY/3 dictionary (spdy-dict.ts).
// The peer's are inflated; ours are sent as stored (uncompressed) deflate blocks, which any inflater
// reads, so no compressor state is needed.
import { EventEmitter } from 'node:events';
import { createInflate, type Inflate } from 'node:zlib';
import { SPDY3_DICTIONARY, adler32 } from './spdy-dict.js';

const SYN_STREAM = 1;
const SYN_REPLY = 2;
const RST_STREAM = 3;
const PING = 6;
const GOAWAY = 7;
const HEADERS = 8;
const FLAG_FIN = 0x01;
/** RST_STREAM status codes used here. */
export const RST_PROTOCOL_ERROR = 1;
export const RST_CANCEL = 5;
/** Largest DATA payload we send in one frame. */
const MAX_DATA = 64 * 1024;

export type SpdyHeaders = Record<string, string>;

export class SpdyStream extends EventEmitter {
  /** The peer sent FIN: no more data comes. */
  remoteEnded = false;
  localEnded = false;
  reset = false;

  constructor(
    private readonly session: SpdySession,
    readonly id: number,
    readonly headers: SpdyHeaders,
  ) {
    super();
  }

  write(data: Buffer): void {
    if (this.localEnded || this.reset) return;
    for (let i = 0; i < data.length; i += MAX_DATA)
      this.session.data(this.id, data.subarray(i, i + MAX_DATA), 0);
  }

  /** Half-close: FIN (with `data` if given). */
  end(data: Buffer = Buffer.alloc(0)): void {
    if (this.localEnded || this.reset) return;
    this.write(data);
    this.localEnded = true;
    this.session.data(this.id, Buffer.alloc(0), FLAG_FIN);
    this.session.settle(this);
  }

  /** Abort the stream (RST_STREAM). */
  cancel(status = RST_CANCEL): void {
    if (this.reset) return;
    this.reset = true;
    this.session.rst(this.id, status);
    this.emit('reset');
    this.session.settle(this);
  }
}

type Frame = { control: boolean; type: number; id: number; flags: number; data: Buffer };

export class SpdySession extends EventEmitter {
  private buf: Buffer = Buffer.alloc(0);
  private queue: Frame[] = [];
  private busy = false;
  private inflate?: Inflate;
  private inflated: Buffer = Buffer.alloc(0);
  private wantHeaders?: (h: SpdyHeaders) => void;
  private sentHeaders = false;
  private streams = new Map<number, SpdyStream>();
  private lastId = 0;
  private closed = false;

  /** `send` writes bytes to the transport, `shut` ends it. Events: 'stream' (SpdyStream), 'close'. */
  constructor(
    private readonly send: (b: Buffer) => void,
    private readonly shut: () => void,
  ) {
    super();
  }

  /** Bytes from the transport. */
  push(d: Buffer): void {
    this.buf = this.buf.length ? Buffer.concat([this.buf, d]) : d;
    while (this.buf.length >= 8) {
      const len = this.buf.readUInt32BE(4) & 0xffffff;
      if (this.buf.length < 8 + len) break;
      const w0 = this.buf.readUInt32BE(0);
      const control = (w0 & 0x80000000) !== 0;
      this.queue.push({
        control,
        type: control ? w0 & 0xffff : 0,
        id: control ? 0 : w0 & 0x7fffffff,
        flags: this.buf[4]!,
        data: this.buf.subarray(8, 8 + len),
      });
      this.buf = this.buf.subarray(8 + len);
    }
    this.drain();
  }

  /** The transport is gone. */
  end(): void {
    if (this.closed) return;
    this.closed = true;
    for (const s of this.streams.values())
      if (!s.reset) {
        s.reset = true;
        s.emit('reset');
      }
    this.streams.clear();
    this.inflate?.destroy();
    this.emit('close');
  }

  /** GOAWAY, then end the transport. */
  close(): void {
    if (this.closed) return;
    const b = Buffer.alloc(8);
    b.writeUInt32BE(this.lastId, 0);
    this.control(GOAWAY, 0, b);
    this.shut();
    this.end();
  }

  /** Frames are handled in order; a SYN_STREAM waits for its headers to be inflated. */
  private drain(): void {
    while (!this.busy && this.queue.length && !this.closed) {
      const f = this.queue.shift()!;
      if (f.control) this.onControl(f);
      else this.onData(f);
    }
  }

  private onControl(f: Frame): void {
    if (f.type === SYN_STREAM && f.data.length >= 10) {
      const id = f.data.readUInt32BE(0) & 0x7fffffff;
      this.busy = true;
      this.readHeaders(f.data.subarray(10), (headers) => {
        this.busy = false;
        if (id <= this.lastId || id % 2 === 0) {
          this.rst(id, RST_PROTOCOL_ERROR);
        } else {
          this.lastId = id;
          const s = new SpdyStream(this, id, headers);
          this.streams.set(id, s);
          if (f.flags & FLAG_FIN) s.remoteEnded = true;
          this.emit('stream', s);
          if (s.remoteEnded) s.emit('end');
        }
        this.drain();
      });
    } else if (f.type === HEADERS && f.data.length >= 4) {
      this.busy = true; // headers after the reply carry nothing we use; inflate them to stay in sync
      this.readHeaders(f.data.subarray(4), () => {
        this.busy = false;
        this.drain();
      });
    } else if (f.type === RST_STREAM && f.data.length >= 8) {
      const s = this.streams.get(f.data.readUInt32BE(0) & 0x7fffffff);
      if (s && !s.reset) {
        s.reset = true;
        s.emit('reset');
        this.settle(s);
      }
    } else if (f.type === PING && f.data.length >= 4) {
      // The peer's pings (odd ids from a client) are echoed.
      this.control(PING, 0, f.data.subarray(0, 4));
    } else if (f.type === GOAWAY) {
      this.shut();
      this.end();
    }
    // SETTINGS, WINDOW_UPDATE: nothing to do.
  }

  private onData(f: Frame): void {
    const s = this.streams.get(f.id);
    if (!s || s.remoteEnded || s.reset) return;
    if (f.data.length) s.emit('data', Buffer.from(f.data));
    if (f.flags & FLAG_FIN) {
      s.remoteEnded = true;
      s.emit('end');
      this.settle(s);
    }
  }

  private readHeaders(block: Buffer, done: (h: SpdyHeaders) => void): void {
    if (!this.inflate) {
      this.inflate = createInflate({ dictionary: SPDY3_DICTIONARY });
      this.inflate.on('data', (d: Buffer) => {
        this.inflated = Buffer.concat([this.inflated, d]);
        this.takeHeaders();
      });
      this.inflate.on('error', () => this.close());
    }
    this.wantHeaders = done;
    this.inflate.write(block);
    this.inflate.flush();
  }

  /** A header block is self-delimiting: parse it once all of it was inflated. */
  private takeHeaders(): void {
    const b = this.inflated;
    if (!this.wantHeaders || b.length < 4) return;
    const n = b.readUInt32BE(0);
    const h: SpdyHeaders = {};
    let off = 4;
    for (let i = 0; i < n; i++) {
      if (b.length < off + 4) return;
      const kl = b.readUInt32BE(off);
      if (b.length < off + 8 + kl) return;
      const k = b.subarray(off + 4, off + 4 + kl).toString('latin1');
      const vl = b.readUInt32BE(off + 4 + kl);
      if (b.length < off + 8 + kl + vl) return;
      h[k.toLowerCase()] = b.subarray(off + 8 + kl, off + 8 + kl + vl).toString('latin1');
      off += 8 + kl + vl;
    }
    this.inflated = b.subarray(off);
    const done = this.wantHeaders;
    this.wantHeaders = undefined;
    done(h);
  }

  /** SYN_REPLY with no headers: the stream is accepted. */
  reply(s: SpdyStream): void {
    const id = Buffer.alloc(4);
    id.writeUInt32BE(s.id);
    this.control(SYN_REPLY, 0, Buffer.concat([id, this.headerBlock()]));
  }

  private headerBlock(): Buffer {
    const nv = Buffer.alloc(4); // zero name/value pairs
    // A non-final stored block: 0 (BFINAL=0, BTYPE=00, padded), LEN, ~LEN (little-endian).
    const stored = Buffer.alloc(5);
    stored.writeUInt16LE(nv.length, 1);
    stored.writeUInt16LE(~nv.length & 0xffff, 3);
    // Then an empty stored block, as a zlib sync flush ends: an inflater (Go's flate) hands out
    // what it has only at a block boundary it has seen.
    const parts = [stored, nv, Buffer.from([0, 0, 0, 0xff, 0xff])];
    if (!this.sentHeaders) {
      this.sentHeaders = true;
      // zlib header: deflate with a 32K window (0x78), FDICT set (0x20; 0x7820 % 31 == 0), DICTID.
      const head = Buffer.alloc(6);
      head[0] = 0x78;
      head[1] = 0x20;
      head.writeUInt32BE(adler32(SPDY3_DICTIONARY), 2);
      parts.unshift(head);
    }
    return Buffer.concat(parts);
  }

  data(id: number, payload: Buffer, flags: number): void {
    if (this.closed) return;
    const h = Buffer.alloc(8);
    h.writeUInt32BE(id & 0x7fffffff, 0);
    h.writeUInt32BE(((flags & 0xff) << 24) | payload.length, 4);
    this.send(Buffer.concat([h, payload]));
  }

  rst(id: number, status: number): void {
    const b = Buffer.alloc(8);
    b.writeUInt32BE(id & 0x7fffffff, 0);
    b.writeUInt32BE(status, 4);
    this.control(RST_STREAM, 0, b);
  }

  private control(type: number, flags: number, payload: Buffer): void {
    if (this.closed) return;
    const h = Buffer.alloc(8);
    h.writeUInt32BE((0x8000 | 3) * 0x10000 + type, 0);
    h.writeUInt32BE(((flags & 0xff) << 24) | payload.length, 4);
    this.send(Buffer.concat([h, payload]));
  }

  /** Forget a stream once both sides are done with it. */
  settle(s: SpdyStream): void {
    if (s.reset || (s.localEnded && s.remoteEnded)) this.streams.delete(s.id);
  }
}
