// FifoPool: real named pipes, made in batches and handed out by rename.
import assert from 'node:assert/strict';
import {
  closeSync,
  existsSync,
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
import { FifoPool } from '../../src/kernel/fifo.js';

test('fifos from the pool are real 0600 pipes, beyond one batch; existing paths are kept', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'corral-fifo-test-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const pool = new FifoPool(join(dir, 'pool'), 0o600, 4);
  const paths = Array.from({ length: 11 }, (_, i) => join(dir, `p${i}`));
  await Promise.all(paths.map((p) => pool.make(p)));
  for (const p of paths) {
    const st = statSync(p);
    assert.ok(st.isFIFO(), `${p} is a fifo`);
    assert.equal(st.mode & 0o777, 0o600);
  }
  // A pipe: what is written comes out on the other side.
  const fd = openSync(paths[0]!, fsc.O_RDWR);
  try {
    writeSync(fd, 'hi');
    const buf = Buffer.alloc(2);
    assert.equal(readSync(fd, buf, 0, 2, null), 2);
    assert.equal(buf.toString(), 'hi');
  } finally {
    closeSync(fd);
  }
  writeFileSync(join(dir, 'file'), 'x');
  await pool.make(join(dir, 'file'));
  assert.ok(statSync(join(dir, 'file')).isFile(), 'an existing entry is left alone');
  pool.close();
  assert.equal(existsSync(join(dir, 'pool')), false);
  // A fresh pool empties what a previous one left.
  writeFileSync(join(dir, 'stale'), '');
  const again = new FifoPool(join(dir, 'pool2'), 0o600, 2);
  await again.make(join(dir, 'q'));
  assert.ok(statSync(join(dir, 'q')).isFIFO());
  again.close();
});
