// A small streaming tar reader and a deterministic tar writer: enough of ustar, GNU long names
// and PAX for image layers (which are what docker, skopeo and buildah write), with no dependency.

export type TarType = 'file' | 'link' | 'symlink' | 'char' | 'block' | 'dir' | 'fifo' | 'other';

export interface TarHeader {
  name: string;
  type: TarType;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  mtime: number;
  linkname: string;
  devmajor: number;
  devminor: number;
  /** From PAX `SCHILY.xattr.*` records: name → raw value. */
  xattrs: Record<string, Buffer>;
}

const BLOCK = 512;

/** Reads exact byte counts from an async stream of chunks. */
class ByteReader {
  private buf: Buffer = Buffer.alloc(0);
  private done = false;
  constructor(private readonly it: AsyncIterator<Buffer | string>) {}

  private async fill(n: number): Promise<boolean> {
    while (this.buf.length < n && !this.done) {
      const r = await this.it.next();
      if (r.done) this.done = true;
      else
        this.buf = this.buf.length ? Buffer.concat([this.buf, Buffer.from(r.value)]) : Buffer.from(r.value);
    }
    return this.buf.length >= n;
  }

  /** Exactly n bytes, or null at a clean end of stream before any of them. */
  async read(n: number): Promise<Buffer | null> {
    if (!(await this.fill(n))) {
      if (this.buf.length === 0) return null;
      throw new TarFormatError('unexpected end of archive');
    }
    const out = this.buf.subarray(0, n);
    this.buf = this.buf.subarray(n);
    return out;
  }

  /** Pass n bytes to `sink` chunk by chunk (without gathering them in memory). */
  async pipe(n: number, sink: (chunk: Buffer) => void | Promise<void>): Promise<void> {
    let left = n;
    while (left > 0) {
      if (this.buf.length === 0 && !(await this.fill(1)))
        throw new TarFormatError('unexpected end of archive');
      const take = Math.min(left, this.buf.length);
      const chunk = this.buf.subarray(0, take);
      this.buf = this.buf.subarray(take);
      left -= take;
      await sink(chunk);
    }
  }

  /** Consume the rest of the stream (so a digest over it covers the trailing padding too). */
  async drain(): Promise<void> {
    this.buf = Buffer.alloc(0);
    while (!this.done) {
      const r = await this.it.next();
      if (r.done) this.done = true;
    }
  }
}

export class TarFormatError extends Error {}

function str(b: Buffer, off: number, len: number): string {
  const s = b.subarray(off, off + len);
  const z = s.indexOf(0);
  return (z === -1 ? s : s.subarray(0, z)).toString('utf8');
}

function num(b: Buffer, off: number, len: number): number {
  const f = b.subarray(off, off + len);
  if (f[0] !== undefined && f[0] & 0x80) {
    // GNU base-256: big-endian, top bit of the first byte is the marker.
    let v = f[0] & 0x7f;
    for (let i = 1; i < f.length; i++) v = v * 256 + (f[i] ?? 0);
    return v;
  }
  const s = str(b, off, len).trim();
  return s ? parseInt(s, 8) : 0;
}

function checksumOk(h: Buffer): boolean {
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 32 : (h[i] ?? 0);
  return sum === num(h, 148, 8);
}

const TYPES: Record<string, TarType> = {
  '0': 'file',
  '\0': 'file',
  '7': 'file',
  '1': 'link',
  '2': 'symlink',
  '3': 'char',
  '4': 'block',
  '5': 'dir',
  '6': 'fifo',
};

function parsePax(data: Buffer): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  let off = 0;
  while (off < data.length) {
    const sp = data.indexOf(0x20, off);
    if (sp === -1) break;
    const len = parseInt(data.subarray(off, sp).toString('ascii'), 10);
    if (!(len > 0)) throw new TarFormatError('bad PAX record');
    const rec = data.subarray(sp + 1, off + len - 1); // without the trailing newline
    const eq = rec.indexOf(0x3d);
    if (eq !== -1) out.set(rec.subarray(0, eq).toString('utf8'), Buffer.from(rec.subarray(eq + 1)));
    off += len;
  }
  return out;
}

/**
 * Read a tar stream; `onEntry` gets each header and must consume the body through `body`
 * (passing a sink) or leave it, in which case it is skipped.
 */
export async function readTar(
  source: AsyncIterable<Buffer | string> | Iterable<Buffer>,
  onEntry: (
    h: TarHeader,
    body: (sink: (chunk: Buffer) => void | Promise<void>) => Promise<void>,
  ) => Promise<void>,
): Promise<void> {
  const it =
    Symbol.asyncIterator in source
      ? source[Symbol.asyncIterator]()
      : (async function* () {
          yield* source;
        })();
  const r = new ByteReader(it);
  let longName: string | undefined;
  let longLink: string | undefined;
  let pax = new Map<string, Buffer>();
  let globalPax = new Map<string, Buffer>();
  for (;;) {
    const h = await r.read(BLOCK);
    if (!h) break;
    if (h.every((x) => x === 0)) break; // end-of-archive marker
    if (!checksumOk(h)) throw new TarFormatError('bad header checksum (not a tar archive, or a corrupt one)');
    const flag = String.fromCharCode(h[156] ?? 0);
    const size = num(h, 124, 12);
    const padded = Math.ceil(size / BLOCK) * BLOCK;
    if (flag === 'L' || flag === 'K' || flag === 'x' || flag === 'g') {
      const data = await r.read(padded);
      if (!data) throw new TarFormatError('unexpected end of archive');
      const body = data.subarray(0, size);
      if (flag === 'L') longName = str(body, 0, body.length);
      else if (flag === 'K') longLink = str(body, 0, body.length);
      else if (flag === 'x') pax = parsePax(body);
      else globalPax = new Map([...globalPax, ...parsePax(body)]);
      continue;
    }
    const p = new Map([...globalPax, ...pax]);
    const magic = str(h, 257, 6);
    const prefix = magic.startsWith('ustar') ? str(h, 345, 155) : '';
    let name = longName ?? (prefix ? `${prefix}/${str(h, 0, 100)}` : str(h, 0, 100));
    if (p.has('path')) name = p.get('path')!.toString('utf8');
    let linkname = longLink ?? str(h, 157, 100);
    if (p.has('linkpath')) linkname = p.get('linkpath')!.toString('utf8');
    const xattrs: Record<string, Buffer> = {};
    for (const [k, v] of p) if (k.startsWith('SCHILY.xattr.')) xattrs[k.slice(13)] = v;
    const pnum = (k: string, d: number): number => (p.has(k) ? Number(p.get(k)!.toString()) : d);
    const hdr: TarHeader = {
      name,
      type: TYPES[flag] ?? 'other',
      mode: num(h, 100, 8) & 0o7777,
      uid: pnum('uid', num(h, 108, 8)),
      gid: pnum('gid', num(h, 116, 8)),
      size: pnum('size', size),
      mtime: Math.floor(pnum('mtime', num(h, 136, 12))),
      linkname,
      devmajor: num(h, 329, 8),
      devminor: num(h, 337, 8),
      xattrs,
    };
    longName = longLink = undefined;
    pax = new Map();
    // Only regular files carry data (a hard link's size field is ignored by every writer's reader).
    const dataSize = hdr.type === 'file' || hdr.type === 'other' ? hdr.size : 0;
    let consumed = false;
    await onEntry(hdr, async (sink) => {
      if (consumed) throw new Error('tar entry body read twice');
      consumed = true;
      await r.pipe(dataSize, sink);
    });
    if (!consumed) await r.pipe(dataSize, () => undefined);
    const pad = Math.ceil(dataSize / BLOCK) * BLOCK - dataSize;
    if (pad && !(await r.read(pad))) throw new TarFormatError('unexpected end of archive');
  }
  await r.drain();
}

// ---- writer ----

export interface TarWriteEntry {
  name: string;
  type: 'file' | 'dir' | 'symlink' | 'link' | 'char';
  mode: number;
  data?: Buffer;
  linkname?: string;
  uid?: number;
  gid?: number;
  mtime?: number;
  devmajor?: number;
  devminor?: number;
  xattrs?: Record<string, string>;
}

function octal(n: number, len: number): string {
  return n.toString(8).padStart(len - 1, '0') + '\0';
}

function header(name: string, e: TarWriteEntry, size: number, flag: string, linkname = ''): Buffer {
  const h = Buffer.alloc(BLOCK);
  h.write(name, 0, 100, 'utf8');
  h.write(octal(e.mode & 0o7777, 8), 100, 'ascii');
  h.write(octal(e.uid ?? 0, 8), 108, 'ascii');
  h.write(octal(e.gid ?? 0, 8), 116, 'ascii');
  h.write(octal(size, 12), 124, 'ascii');
  h.write(octal(e.mtime ?? 0, 12), 136, 'ascii');
  h.write('        ', 148, 'ascii');
  h.write(flag, 156, 'ascii');
  h.write(linkname, 157, 100, 'utf8');
  h.write('ustar\0', 257, 'ascii');
  h.write('00', 263, 'ascii');
  h.write(octal(e.devmajor ?? 0, 8), 329, 'ascii');
  h.write(octal(e.devminor ?? 0, 8), 337, 'ascii');
  let sum = 0;
  for (const b of h) sum += b;
  h.write(octal(sum, 7) + ' ', 148, 'ascii');
  return h;
}

function pad(b: Buffer): Buffer[] {
  const rem = b.length % BLOCK;
  return rem ? [b, Buffer.alloc(BLOCK - rem)] : [b];
}

function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  let len = Buffer.byteLength(body) + 1;
  while (String(len).length + Buffer.byteLength(body) !== len)
    len = String(len).length + Buffer.byteLength(body);
  return `${len}${body}`;
}

/**
 * A tar archive of `entries`, in the order given. Every field is explicit (mtime and owner
 * default to 0), so the same entries always give the same bytes.
 */
export function writeTar(entries: TarWriteEntry[]): Buffer {
  const parts: Buffer[] = [];
  const FLAGS = { file: '0', link: '1', symlink: '2', char: '3', dir: '5' } as const;
  for (const e of entries) {
    const name = e.type === 'dir' && !e.name.endsWith('/') ? `${e.name}/` : e.name;
    const link = e.linkname ?? '';
    const records: string[] = [];
    if (Buffer.byteLength(name) > 100) records.push(paxRecord('path', name));
    if (Buffer.byteLength(link) > 100) records.push(paxRecord('linkpath', link));
    for (const [k, v] of Object.entries(e.xattrs ?? {}).sort())
      records.push(paxRecord(`SCHILY.xattr.${k}`, v));
    if (records.length) {
      const body = Buffer.from(records.join(''));
      parts.push(
        header('PaxHeader', { name: '', type: 'file', mode: 0o644 }, body.length, 'x'),
        ...pad(body),
      );
    }
    const data = e.type === 'file' ? (e.data ?? Buffer.alloc(0)) : Buffer.alloc(0);
    parts.push(header(name.slice(0, 100), e, data.length, FLAGS[e.type], link.slice(0, 100)));
    if (data.length) parts.push(...pad(data));
  }
  parts.push(Buffer.alloc(BLOCK * 2));
  return Buffer.concat(parts);
}
