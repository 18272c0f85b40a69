// makeFifo through a real helper spawner: real named pipes with the mode asked for (whatever the
// umask), data through them, an existing entry kept, the kernel's error for a missing directory.
import assert from 'node:assert/strict';
import {
  closeSync,
  mkdtempSync,
  openSync,
  readSync,
  rmSync,
  statSync,
  writeFileSync,
  writeSync,
  constants as fsc,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { makeFifo } from '../../src/kernel/fifo.js';
import { helperPath } from '../../src/kernel/helper-path.js';
import { HelperSpawner } from '../../src/kernel/plan/spawner.js';

const isRoot = process.getuid?.() === 0;

test(
  'makeFifo: pipes of the exact mode through the spawner; existing entries kept',
  { skip: !isRoot && 'needs root' },
  async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'corral-fifo-test-'));
    const spawner = new HelperSpawner(helperPath());
    t.after(() => {
      spawner.close();
      rmSync(dir, { recursive: true, force: true });
    });
    const paths = Array.from({ length: 5 }, (_, i) => join(dir, `p${i}`));
    await Promise.all(paths.map((p) => makeFifo(spawner, p)));
    for (const p of paths) {
      const st = statSync(p);
      assert.ok(st.isFIFO(), `${p} is a fifo`);
      assert.equal(st.mode & 0o777, 0o600);
    }
    // A mode the usual umask (022) would cut is kept as asked.
    await makeFifo(spawner, join(dir, 'open'), 0o622);
    assert.equal(statSync(join(dir, 'open')).mode & 0o777, 0o622);
    // Data goes through (read-write opens do not block on a fifo).
    const fd = openSync(paths[0]!, fsc.O_RDWR);
    writeSync(fd, 'hi');
    const buf = Buffer.alloc(2);
    assert.equal(readSync(fd, buf), 2);
    assert.equal(buf.toString(), 'hi');
    closeSync(fd);
    // An existing file stays as it is.
    writeFileSync(join(dir, 'file'), 'keep');
    await makeFifo(spawner, join(dir, 'file'));
    assert.ok(statSync(join(dir, 'file')).isFile());
    // The kernel's error otherwise, with its errno.
    await assert.rejects(makeFifo(spawner, join(dir, 'missing', 'p')), (e: Error & { code?: unknown }) => {
      assert.equal(e.code, 2);
      assert.match(e.message, /No such file or directory/);
      return true;
    });
  },
);
