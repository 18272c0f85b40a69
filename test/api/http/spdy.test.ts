// The SPDY/3.1 session against zlib's own deflate/inflate with the SPDY/3 dictionary (what Go's
// spdystream uses): a client's SYN_STREAM headers are read, our SYN_REPLY's header block inflates,
// DATA and FIN reach the stream in order, PINGs are echoed.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { constants, createDeflate, inflateSync } from 'node:zlib';
import { SpdySession, type SpdyStream } from '../../../src/api/http/spdy.js';
import { SPDY3_DICTIONARY, adler32 } from '../../../src/api/http/spdy-dict.js';

function nv(h: Record<string, string>): Buffer {
  const parts: Buffer[] = [];
  const u32 = (n: number) => {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(n);
    return b;
  };
  parts.push(u32(Object.keys(h).length));
  for (const [k, v] of Object.entries(h))
    parts.push(u32(k.length), Buffer.from(k), u32(v.length), Buffer.from(v));
  return Buffer.concat(parts);
}

function control(type: number, flags: number, payload: Buffer): Buffer {
  const h = Buffer.alloc(8);
  h.writeUInt32BE((0x8000 | 3) * 0x10000 + type, 0);
  h.writeUInt32BE((flags << 24) | payload.length, 4);
  return Buffer.concat([h, payload]);
}

function data(id: number, flags: number, payload: Buffer): Buffer {
  const h = Buffer.alloc(8);
  h.writeUInt32BE(id, 0);
  h.writeUInt32BE((flags << 24) | payload.length, 4);
  return Buffer.concat([h, payload]);
}

test('the SPDY/3 dictionary is the one of the spec (length and Adler-32)', () => {
  assert.equal(SPDY3_DICTIONARY.length, 1423);
  assert.equal(adler32(Buffer.from('Wikipedia')), 0x11e60398);
});

test('SYN_STREAM headers, SYN_REPLY, DATA with FIN, PING echo', async () => {
  const deflate = createDeflate({ dictionary: SPDY3_DICTIONARY });
  const compress = (b: Buffer) =>
    new Promise<Buffer>((resolve) => {
      const out: Buffer[] = [];
      const on = (d: Buffer) => out.push(d);
      deflate.on('data', on);
      deflate.write(b);
      deflate.flush(constants.Z_SYNC_FLUSH, () => {
        deflate.off('data', on);
        resolve(Buffer.concat(out));
      });
    });
  const sent: Buffer[] = [];
  const session = new SpdySession(
    (b) => sent.push(b),
    () => undefined,
  );
  const streams: SpdyStream[] = [];
  const got: string[] = [];
  session.on('stream', (s: SpdyStream) => {
    streams.push(s);
    session.reply(s);
    s.on('data', (d: Buffer) => got.push(`${s.id}:${d.toString()}`));
    s.on('end', () => got.push(`${s.id}:FIN`));
  });
  const syn = async (id: number, h: Record<string, string>) => {
    const head = Buffer.alloc(10);
    head.writeUInt32BE(id, 0);
    return control(1, 0, Buffer.concat([head, await compress(nv(h))]));
  };
  const s1 = await syn(1, { streamtype: 'error', port: '80', requestid: '0' });
  const s3 = await syn(3, { streamtype: 'data', port: '80', requestid: '0' });
  // all in one chunk, split oddly: frames are reassembled and handled in order
  const all = Buffer.concat([
    s1,
    s3,
    data(3, 0, Buffer.from('hello')),
    data(3, 1, Buffer.alloc(0)),
    control(6, 0, Buffer.from([0, 0, 0, 1])),
  ]);
  session.push(all.subarray(0, 7));
  session.push(all.subarray(7));
  for (let i = 0; i < 50 && got.length < 2; i++) await new Promise((r) => setTimeout(r, 10));
  assert.deepEqual(
    streams.map((s) => [s.id, s.headers.streamtype, s.headers.port, s.headers.requestid]),
    [
      [1, 'error', '80', '0'],
      [3, 'data', '80', '0'],
    ],
  );
  assert.deepEqual(got, ['3:hello', '3:FIN']);
  // Our replies: SYN_REPLY (type 2) whose header blocks inflate, as one zlib stream, to 0 pairs.
  const replies = sent.filter((b) => b.readUInt16BE(2) === 2);
  assert.equal(replies.length, 2);
  const blocks = Buffer.concat(replies.map((r) => r.subarray(12)));
  const inflated = inflateSync(blocks, { dictionary: SPDY3_DICTIONARY, finishFlush: constants.Z_SYNC_FLUSH });
  assert.deepEqual([...inflated], [0, 0, 0, 0, 0, 0, 0, 0]);
  const ping = sent.find((b) => b.readUInt16BE(2) === 6);
  assert.deepEqual(ping && [...ping.subarray(8)], [0, 0, 0, 1]);
  streams[1]!.end(Buffer.from('bye'));
  const tail = sent.slice(-2);
  assert.equal(tail[0]!.subarray(8).toString(), 'bye');
  assert.equal(tail[1]![4], 1); // FIN flag, empty DATA
});
