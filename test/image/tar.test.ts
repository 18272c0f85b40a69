import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readTar, writeTar, type TarHeader } from '../../src/image/tar.js';

test('writeTar and readTar round-trip names, links, long paths and xattrs', async () => {
  const long = 'd/' + 'x'.repeat(150) + '/file';
  const tar = writeTar([
    { name: 'd', type: 'dir', mode: 0o755 },
    {
      name: 'd/a',
      type: 'file',
      mode: 0o4755,
      data: Buffer.from('hello'),
      uid: 1000,
      gid: 1001,
      mtime: 1234567890,
    },
    { name: 'd/l', type: 'symlink', mode: 0o777, linkname: 'a' },
    { name: 'd/h', type: 'link', mode: 0o644, linkname: 'd/a' },
    { name: long, type: 'file', mode: 0o600, data: Buffer.alloc(1000, 7), xattrs: { 'user.k': 'v' } },
  ]);
  assert.equal(tar.length % 512, 0);
  const seen: (TarHeader & { data: string })[] = [];
  await readTar([tar.subarray(0, 700), tar.subarray(700)], async (h, body) => {
    const parts: Buffer[] = [];
    await body((c) => void parts.push(Buffer.from(c)));
    seen.push({ ...h, data: Buffer.concat(parts).toString('latin1') });
  });
  assert.deepEqual(
    seen.map((s) => [s.name, s.type]),
    [
      ['d/', 'dir'],
      ['d/a', 'file'],
      ['d/l', 'symlink'],
      ['d/h', 'link'],
      [long, 'file'],
    ],
  );
  assert.equal(seen[1]!.data, 'hello');
  assert.equal(seen[1]!.mode, 0o4755);
  assert.equal(seen[1]!.uid, 1000);
  assert.equal(seen[1]!.gid, 1001);
  assert.equal(seen[1]!.mtime, 1234567890);
  assert.equal(seen[2]!.linkname, 'a');
  assert.equal(seen[4]!.data.length, 1000);
  assert.equal(seen[4]!.xattrs['user.k']?.toString(), 'v');
});

test('writeTar is deterministic', () => {
  const e = [{ name: 'f', type: 'file' as const, mode: 0o644, data: Buffer.from('x') }];
  assert.deepEqual(writeTar(e), writeTar(e));
});

test('a corrupt archive is refused', async () => {
  const tar = writeTar([{ name: 'f', type: 'file', mode: 0o644, data: Buffer.from('x') }]);
  tar[10] = 0x41;
  await assert.rejects(
    readTar([tar], async () => undefined),
    /checksum/,
  );
});
