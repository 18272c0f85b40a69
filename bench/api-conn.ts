// A lean HTTP/1.1 client for the load generator: a pool of persistent (keep-alive) connections,
// plain TCP or TLS with the client certificate, one request at a time per connection (no
// pipelining), responses framed by Content-Length or chunked encoding. It does what Go's
// net/http (kubectl's transport) does per request, without Node's http.Agent/ClientRequest
// machinery, which costs the load generator — on the same two cores as the server — about as much
// CPU per GET as the server's whole handling of it.
import net from 'node:net';
import tls from 'node:tls';

export interface Reply {
  status: number;
  body: Buffer;
}

/** The cluster CA and the client's certificate and key (PEM), for an https:// server. */
export interface ClientTls {
  ca: string;
  cert: string;
  key: string;
}

const CRLF2 = Buffer.from('\r\n\r\n');

interface Pending {
  resolve: (r: Reply) => void;
  reject: (e: Error) => void;
}

/** One keep-alive connection; `send` must not be called again before its reply. */
class Conn {
  private buf: Buffer = Buffer.alloc(0);
  /** Unparsed bytes as read, their total, and how many the response needs at least. */
  private parts: Buffer[] = [];
  private have = 0;
  private need = 0;
  private pending: Pending | undefined;
  closed = false;

  constructor(readonly sock: net.Socket) {
    sock.setNoDelay(true);
    sock.on('data', (d: Buffer) => {
      // A large body (a LIST) arrives in many reads: join them once it is complete.
      this.parts.push(d);
      this.have += d.length;
      if (this.have < this.need) return;
      this.buf = this.parts.length === 1 ? this.parts[0]! : Buffer.concat(this.parts);
      this.parts = [this.buf];
      this.parse();
    });
    const fail = (e: Error) => {
      this.closed = true;
      const p = this.pending;
      this.pending = undefined;
      p?.reject(e);
    };
    sock.on('error', fail);
    sock.on('close', () => fail(new Error('connection closed before the reply')));
  }

  send(head: string, body: Buffer | undefined): Promise<Reply> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => this.sock.destroy(new Error('no answer in 30 s')), 30_000);
      this.pending = {
        resolve: (r) => {
          clearTimeout(timer);
          resolve(r);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      };
      // One write per request, as a client that builds its request in one buffer does.
      this.sock.write(body ? Buffer.concat([Buffer.from(head, 'latin1'), body]) : head);
    });
  }

  /** Takes one complete response off the buffer, if there is one. */
  private parse(): void {
    const end = this.buf.indexOf(CRLF2);
    if (end < 0 || !this.pending) return;
    const head = this.buf.toString('latin1', 0, end);
    const status = Number(head.slice(9, 12));
    let length = -1;
    let chunked = false;
    let close = false;
    for (const line of head.split('\r\n')) {
      const c = line.indexOf(':');
      if (c < 0) continue;
      const name = line.slice(0, c).toLowerCase();
      const value = line.slice(c + 1).trim();
      if (name === 'content-length') length = Number(value);
      else if (name === 'transfer-encoding') chunked = value.toLowerCase().includes('chunked');
      else if (name === 'connection') close = value.toLowerCase() === 'close';
    }
    let body: Buffer;
    let rest: Buffer;
    if (chunked) {
      const parts: Buffer[] = [];
      let at = end + 4;
      for (;;) {
        const nl = this.buf.indexOf('\r\n', at);
        if (nl < 0) return;
        const size = parseInt(this.buf.toString('latin1', at, nl), 16);
        if (this.buf.length < nl + 2 + size + 2) return;
        if (size === 0) {
          // No trailers are sent: the last chunk is followed by an empty line.
          at = nl + 4;
          break;
        }
        parts.push(this.buf.subarray(nl + 2, nl + 2 + size));
        at = nl + 2 + size + 2;
      }
      body = Buffer.concat(parts);
      rest = this.buf.subarray(at);
    } else {
      const n = length < 0 ? 0 : length;
      if (this.buf.length < end + 4 + n) {
        this.need = end + 4 + n;
        return;
      }
      body = this.buf.subarray(end + 4, end + 4 + n);
      rest = this.buf.subarray(end + 4 + n);
    }
    this.buf = rest;
    this.parts = rest.length ? [rest] : [];
    this.have = rest.length;
    this.need = 0;
    const p = this.pending;
    this.pending = undefined;
    if (close) {
      this.closed = true;
      this.sock.destroy();
    }
    p.resolve({ status, body });
  }

  destroy(): void {
    this.closed = true;
    this.sock.destroy();
  }
}

/** Up to `size` keep-alive connections to `base`, opened on demand and reused. */
export class ConnPool {
  private readonly idle: Conn[] = [];
  private readonly all = new Set<Conn>();
  private readonly waiting: ((c: Conn) => void)[] = [];

  constructor(
    readonly base: URL,
    private readonly size: number,
    private readonly tlsOpts?: ClientTls,
  ) {}

  private open(): Promise<Conn> {
    const port = Number(this.base.port);
    const host = this.base.hostname;
    return new Promise((resolve, reject) => {
      const sock = this.tlsOpts
        ? tls.connect({ host, port, servername: net.isIP(host) ? undefined : host, ...this.tlsOpts })
        : net.connect({ host, port });
      sock.once(this.tlsOpts ? 'secureConnect' : 'connect', () => {
        sock.off('error', reject);
        const c = new Conn(sock);
        this.all.add(c);
        resolve(c);
      });
      sock.once('error', reject);
    });
  }

  private async take(): Promise<Conn> {
    for (let c = this.idle.pop(); c; c = this.idle.pop()) {
      if (!c.closed) return c;
      this.all.delete(c); // the server closed it while idle
    }
    if (this.all.size < this.size) return this.open();
    return new Promise((r) => this.waiting.push(r));
  }

  private give(c: Conn): void {
    if (c.closed) {
      this.all.delete(c);
      // A waiter gets a fresh connection instead.
      const w = this.waiting.shift();
      if (w) void this.open().then(w);
      return;
    }
    const w = this.waiting.shift();
    if (w) w(c);
    else this.idle.push(c);
  }

  async request(method: string, path: string, headers: string, body: Buffer | undefined): Promise<Reply> {
    const c = await this.take();
    const head =
      `${method} ${path} HTTP/1.1\r\nHost: ${this.base.host}\r\n${headers}` +
      (body ? `Content-Length: ${body.length}\r\n` : '') +
      '\r\n';
    try {
      return await c.send(head, body);
    } finally {
      this.give(c);
    }
  }

  close(): void {
    for (const c of this.all) c.destroy();
    this.all.clear();
    this.idle.length = 0;
  }
}
