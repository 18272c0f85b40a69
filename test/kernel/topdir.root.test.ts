// The ext4 allocator hint for directories that come and go (src/kernel/topdir.ts): the flag is set
// where the file system has it, and asking elsewhere is harmless.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statfsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ensureTopDir, markTopDir } from '../../src/kernel/topdir.js';

const EXT4_MAGIC = 0xef53;
const flags = (d: string): string => execFileSync('lsattr', ['-d', d], { encoding: 'utf8' }).split(' ')[0]!;

test(
  'ensureTopDir makes the directory and marks it T on ext4',
  { skip: process.getuid?.() !== 0 && 'needs root' },
  (t) => {
    const base = mkdtempSync(join(tmpdir(), 'corral-topdir-'));
    t.after(() => rmSync(base, { recursive: true, force: true }));
    const dir = join(base, 'a', 'containers');
    ensureTopDir(dir);
    assert.equal(statfsSync(dir).type === EXT4_MAGIC, statfsSync(base).type === EXT4_MAGIC);
    if (statfsSync(dir).type !== EXT4_MAGIC) return t.skip(`${tmpdir()} is not ext4`);
    assert.match(flags(dir), /T/);
    assert.doesNotMatch(flags(join(base, 'a')), /T/, 'only the directory asked for');
    ensureTopDir(dir); // there already: nothing to do
    assert.match(flags(dir), /T/);
  },
);

test('markTopDir on a file system without the flag does nothing and throws nothing', () => {
  markTopDir('/proc'); // procfs: the ioctl fails, quietly
  markTopDir('/nonexistent/corral-topdir');
});
