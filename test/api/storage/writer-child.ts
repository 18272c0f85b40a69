// Child process for the kill -9 durability test: writes objects as fast as it can and prints
// "<key> <revision>" after each write is acknowledged. Without arguments it does nothing (so a
// test runner that picks it up by accident is harmless).
import { openStorage } from '../../../src/api/storage/open.js';

const path = process.argv[2];
if (path) {
  const s = await openStorage(`sqlite:${path}`, { progressIntervalMs: 0 });
  let counter = await s.create('/counter', Buffer.from('0'));
  for (let i = 0; ; i++) {
    const kv = await s.create(
      `/obj/${String(i).padStart(8, '0')}`,
      Buffer.from(JSON.stringify({ i, pad: 'x'.repeat(200) })),
    );
    process.stdout.write(`${kv.key} ${kv.modRevision}\n`);
    counter = await s.update('/counter', Buffer.from(String(i + 1)), counter.modRevision);
    process.stdout.write(`/counter ${counter.modRevision}\n`);
  }
}
