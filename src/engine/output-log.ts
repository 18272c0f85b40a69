// The log of a foreground container (`corral run` without --rm and without -t), as podman keeps
// one: `corral logs` works after it exited. The container's stdout and stderr are connected
// sockets whose other ends this process reads; each chunk goes on to where the caller wanted it
// (the terminal) and is appended to ctr.log, interleaved as it arrives (as a detached one's).
// Node makes no pipe pair, so the pairs come from a listening Unix socket in the container's
// directory (a private temporary one if that path is too long for a socket), removed as soon as
// both are connected. With --rm there is nothing to keep: the
// container writes to the caller's stdio directly.
import { closeSync, mkdtempSync, openSync, rmSync, unlinkSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer, connect, type Server, type Socket } from 'node:net';

import type { StdioSpec } from '../oci/kernel.js';
import type { Stdio } from './context.js';
import { joinClean } from '../util/join-clean.js';

export interface OutputLog {
  /** The container's stdio: the caller's stdin, the two socket ends for stdout and stderr. */
  stdio: Stdio;
  /** Once the container started (or failed to): this process's copies of its ends are closed. */
  handedOver(): void;
  /** Resolves once the container's output has been relayed and logged to the end. */
  done(): Promise<void>;
}

/** Where a relayed chunk goes: a stream of ours, an fd, or nowhere (only the log). */
function sink(spec: StdioSpec, own: NodeJS.WriteStream): (b: Buffer) => void {
  if (spec === 'inherit') return (b) => void own.write(b);
  if (typeof spec === 'number') return (b) => void writeSync(spec, b);
  return () => undefined;
}

async function socketPair(server: Server, path: string): Promise<[Socket, Socket]> {
  const accepted = new Promise<Socket>((res) => server.once('connection', res));
  const client = connect(path);
  await new Promise<void>((res, rej) => {
    client.once('connect', res);
    client.once('error', rej);
  });
  return [client, await accepted];
}

/** A Unix socket path is at most 107 bytes: in the container's directory, or a private temp one. */
function socketPath(dir: string): { path: string; cleanup(): void } {
  const inDir = joinClean(dir, 'output.sock');
  if (Buffer.byteLength(inDir) <= 100) return { path: inDir, cleanup: () => undefined };
  const tmp = mkdtempSync(joinClean(tmpdir(), 'corral-out-'));
  return { path: joinClean(tmp, 's'), cleanup: () => rmSync(tmp, { recursive: true, force: true }) };
}

export async function openOutputLog(dir: string, logPath: string, stdio: Stdio): Promise<OutputLog> {
  const { path, cleanup } = socketPath(dir);
  const server = createServer();
  await new Promise<void>((res, rej) => {
    server.once('error', rej);
    server.listen(path, res);
  });
  let pairs: [Socket, Socket][];
  try {
    pairs = [await socketPair(server, path), await socketPair(server, path)];
  } finally {
    server.close();
    try {
      unlinkSync(path);
    } catch {
      /* gone */
    }
    cleanup();
  }
  const log = openSync(logPath, 'a', 0o640);
  const sinks = [sink(stdio[1], process.stdout), sink(stdio[2], process.stderr)];
  const ends = pairs.map(([, ours], i) => {
    // The container only writes; what it would read from these is nothing.
    ours.on('data', (b: Buffer) => {
      try {
        writeSync(log, b);
      } catch {
        /* a full disk loses log lines, not the container's output */
      }
      sinks[i]!(b);
    });
    return new Promise<void>((res) => ours.once('close', () => res()));
  });
  const all = Promise.all(ends).then(() => closeSync(log));
  return {
    stdio: [stdio[0], pairs[0]![0], pairs[1]![0]],
    handedOver: () => {
      for (const [theirs] of pairs) theirs.destroy();
    },
    done: () => all,
  };
}
