// `corral logs [-f] CONTAINER`: the output of a container (its ctr.log, stdout and stderr
// interleaved as written): a detached one's, and a foreground one's (without --rm, as podman).
import { closeSync, openSync, readSync } from 'node:fs';
import { Engine } from '../engine/engine.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function logsCommand(dataDir: string, ref: string, o: { follow?: boolean }): Promise<number> {
  const engine = new Engine({ dataDir });
  const { record } = await engine.view(ref);
  const path = engine.store.logPath(record.id);
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return 0; // nothing logged (a -t container in the foreground)
  }
  try {
    const buf = Buffer.alloc(64 * 1024);
    let pos = 0;
    const drain = (): number => {
      let total = 0;
      for (;;) {
        const n = readSync(fd, buf, 0, buf.length, pos);
        if (n <= 0) return total;
        process.stdout.write(Buffer.from(buf.subarray(0, n)));
        pos += n;
        total += n;
      }
    };
    drain();
    while (o.follow) {
      let exited: boolean;
      try {
        exited = (await engine.reconcile(record.id)).status === 'exited';
      } catch {
        exited = true; // removed (--rm)
      }
      if (drain() === 0 && exited) break;
      await sleep(100);
    }
  } finally {
    closeSync(fd);
  }
  return 0;
}
