// A container's stdin (spec.containers[].stdin: true): a FIFO <bundle>/stdin that attach -i
// writes into.
//
// Without stdinOnce the container holds its end read-write, as it does its log pipes: the pipe
// always has a writer, so the container never reads EOF — stdin stays open across attaches and
// across agent restarts — and each attach opens a writer of its own.
// With stdinOnce the container reads EOF when the first attach ends, as with the kubelet: it holds
// a read-only end and the agent the only writer, which that first attach takes and closes.
// (A restarted agent has lost that writer: the container then reads EOF.)
import { closeSync, constants as fsc, mkdirSync, openSync } from 'node:fs';
import { Socket } from 'node:net';
import { join } from 'node:path';
import { makeFifo } from '../kernel/fifo.js';
import type { NodeContext } from './context.js';

/** The writers kept for stdinOnce containers, by container instance id. */
const onceWriters = new Map<string, number>();

export function stdinPath(bundle: string): string {
  return join(bundle, 'stdin');
}

/** Make the FIFO and open the container's end (the caller passes it as fd 0 and closes it). */
export async function openContainerStdin(
  ctx: NodeContext,
  id: string,
  bundle: string,
  once: boolean,
): Promise<number> {
  mkdirSync(bundle, { recursive: true });
  const path = stdinPath(bundle);
  await makeFifo(ctx.spawner, path);
  if (!once) return openSync(path, fsc.O_RDWR);
  // Our writer first: then the container's read-only open does not block.
  onceWriters.set(id, openSync(path, fsc.O_RDWR | fsc.O_NONBLOCK));
  return openSync(path, fsc.O_RDONLY);
}

/** The instance ended (or never started): drop a writer nobody took. */
export function releaseContainerStdin(id: string): void {
  const fd = onceWriters.get(id);
  onceWriters.delete(id);
  if (fd !== undefined) closeSync(fd);
}

/**
 * A writer for an attach: stdinOnce's single writer (undefined once it was taken), else a writer
 * of its own. Ending it (after what was written drained) closes the pipe's end.
 */
export function attachStdin(id: string, bundle: string, once: boolean): Socket | undefined {
  let fd: number | undefined;
  if (once) {
    fd = onceWriters.get(id);
    onceWriters.delete(id);
  } else fd = openSync(stdinPath(bundle), fsc.O_WRONLY | fsc.O_NONBLOCK);
  if (fd === undefined) return undefined;
  const s = new Socket({ fd, readable: false, writable: true });
  s.on('error', () => s.destroy());
  return s;
}

/** Close a writer from attachStdin once its data went into the pipe. */
export function closeStdin(s: Socket): void {
  // Writes complete in order: the callback of an empty one comes after all before it.
  if (s.destroyed) return;
  s.write(Buffer.alloc(0), () => s.destroy());
}
