// Named pipes without a process per pipe. Node has no mkfifo(2), and a `mkfifo` process costs a
// fork of the whole (large) Node process each time: milliseconds of blocked event loop, and the
// child's exec tears down a copy of the caller's address space (20 ms of system time for the node
// agent on a paravirtualised host). The helper spawner makes each with one mknod(2) instead.
import { constants } from 'node:os';

/** Who makes the pipe: the helper spawner (kernel/plan/spawner.ts). */
export interface FifoMaker {
  mkfifo(path: string, mode: number): Promise<void>;
}

/** A fifo at `path` with exactly `mode`; an existing entry there is left as it is. */
export async function makeFifo(maker: FifoMaker, path: string, mode = 0o600): Promise<void> {
  await maker.mkfifo(path, mode).catch((e: Error & { code?: unknown }) => {
    if (e.code !== constants.errno.EEXIST) throw e;
  });
}
