// The SPDY/3 header compression dictionary (draft-mbelshe-httpbis-spdy-00, 2.6.10.1): header
// names and common values, each with a 32-bit length prefix, then a run of common value text.
// Both ends must use it byte for byte: zlib checks its Adler-32 (the stream's DICTID).
const WORDS = (
  'options|head|post|put|delete|trace|accept|accept-charset|accept-encoding|' +
  'accept-language|accept-ranges|age|allow|authorization|cache-control|connection|' +
  'content-base|content-encoding|content-language|content-length|content-location|' +
  'content-md5|content-range|content-type|date|etag|expect|expires|from|host|if-match|' +
  'if-modified-since|if-none-match|if-range|if-unmodified-since|last-modified|location|' +
  'max-forwards|pragma|proxy-authenticate|proxy-authorization|range|referer|retry-after|' +
  'server|te|trailer|transfer-encoding|upgrade|user-agent|vary|via|warning|' +
  'www-authenticate|method|get|status|200 OK|version|HTTP/1.1|url|public|set-cookie|' +
  'keep-alive|origin'
).split('|');
const TAIL =
  '100101201202205206300302303304305306307402405406407408409410411412413414415416417502504505' +
  '203 Non-Authoritative Information204 No Content301 Moved Permanently400 Bad Request401 ' +
  'Unauthorized403 Forbidden404 Not Found500 Internal Server Error501 Not Implemented503 ' +
  'Service UnavailableJan Feb Mar Apr May Jun Jul Aug Sept Oct Nov Dec 00:00:00 Mon, Tue, Wed, ' +
  'Thu, Fri, Sat, Sun, GMTchunked,text/html,image/png,image/jpg,image/gif,application/xml,' +
  'application/xhtml+xml,text/plain,text/javascript,publicprivatemax-age=gzip,deflate,sdch' +
  'charset=utf-8charset=iso-8859-1,utf-,*,enq=0.';

export const SPDY3_DICTIONARY: Buffer = Buffer.concat([
  ...WORDS.map((w) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(w.length);
    return Buffer.concat([len, Buffer.from(w, 'latin1')]);
  }),
  Buffer.from(TAIL, 'latin1'),
]);

export function adler32(b: Buffer): number {
  let a = 1;
  let s = 0;
  for (const x of b) {
    a = (a + x) % 65521;
    s = (s + a) % 65521;
  }
  return ((s << 16) | a) >>> 0;
}
