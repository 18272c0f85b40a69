// Container logs in the CRI format (`<RFC3339Nano> <stream> <P|F> <text>`), one file per
// container start at <podDir>/<ctr>/<restartCount>.log, rotated by size (one old file kept).
//
// The container writes into two named pipes it holds open read-write (the helper opens them so):
// a pipe always has a reader then, so the container never gets SIGPIPE when the agent dies; while
// the agent is away the pipe buffers (64 KiB) and then blocks the writer, and a restarted agent
// reopens the pipes and carries on. The agent is the pipes' reader and the only writer of the log file.
import {
  closeSync,
  constants as fsc,
  fstatSync,
  openSync,
  readdirSync,
  renameSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { Socket } from 'node:net';
import { join } from 'node:path';

/** Longest line before it is split into P records (containerd's default 16 KiB). */
const MAX_LINE = 16 * 1024;

/** The wall clock in nanoseconds, advanced by the monotonic clock: ordered and precise. */
const EPOCH_NS = BigInt(Date.now()) * 1_000_000n - process.hrtime.bigint();

/** RFC 3339 with nanoseconds, as the CRI writes it. */
export function criTime(ns = EPOCH_NS + process.hrtime.bigint()): string {
  const iso = new Date(Number(ns / 1_000_000n)).toISOString(); // ...sssZ
  const sub = (ns % 1_000_000n).toString().padStart(6, '0');
  return `${iso.slice(0, -1)}${sub}Z`;
}

/**
 * Remove the logs (and their rotated halves) of a container's instances older than the one before
 * `current`: `kubectl logs` reads the current instance and `--previous` the one before, and the
 * kubelet keeps no more, so a container in a crash loop does not fill the disk.
 */
export function pruneInstanceLogs(dir: string, current: number): void {
  if (current < 2) return;
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const f of names) {
    const m = /^(\d+)\.log(?:\.1)?$/.exec(f);
    if (m && Number(m[1]) < current - 1) {
      try {
        unlinkSync(join(dir, f));
      } catch {
        /* gone already */
      }
    }
  }
}

export class CriLogWriter {
  private fd: number;
  private size: number;
  private readers: Socket[] = [];
  private open = 0;
  private done!: () => void;
  /** Resolves when both streams reached EOF (the container and its helper are gone). */
  readonly closed = new Promise<void>((r) => (this.done = r));

  constructor(
    readonly path: string,
    private readonly maxBytes: number,
  ) {
    this.fd = openSync(path, 'a', 0o640);
    this.size = fstatSync(this.fd).size;
  }

  /** Start reading a pipe (by path) as `stream`. */
  attach(fifo: string, stream: 'stdout' | 'stderr'): void {
    const fd = openSync(fifo, fsc.O_RDONLY | fsc.O_NONBLOCK);
    const sock = new Socket({ fd, readable: true, writable: false });
    this.readers.push(sock);
    this.open++;
    let pending = '';
    sock.setEncoding('utf8');
    sock.on('data', (chunk: string) => {
      pending += chunk;
      let nl: number;
      while ((nl = pending.indexOf('\n')) >= 0) {
        this.record(stream, 'F', pending.slice(0, nl));
        pending = pending.slice(nl + 1);
      }
      while (pending.length > MAX_LINE) {
        this.record(stream, 'P', pending.slice(0, MAX_LINE));
        pending = pending.slice(MAX_LINE);
      }
    });
    const end = () => {
      if (pending) this.record(stream, 'F', pending);
      pending = '';
      if (--this.open === 0) {
        this.closeFile();
        this.done();
      }
    };
    sock.once('close', end);
    sock.on('error', () => undefined);
  }

  private record(stream: string, tag: 'P' | 'F', text: string): void {
    if (this.fd < 0) return;
    const line = Buffer.from(`${criTime()} ${stream} ${tag} ${text}\n`);
    if (this.size + line.length > this.maxBytes && this.size > 0) this.rotate();
    writeSync(this.fd, line);
    this.size += line.length;
  }

  private rotate(): void {
    closeSync(this.fd);
    renameSync(this.path, `${this.path}.1`);
    this.fd = openSync(this.path, 'a', 0o640);
    this.size = 0;
  }

  private closeFile(): void {
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
  }

  /** Stop reading (the agent is going away; the pipes stay for the next agent). */
  detach(): void {
    for (const r of this.readers) r.destroy();
    this.readers = [];
    this.closeFile();
  }
}

/** Parse a CRI log line; undefined when malformed. */
export function parseCriLine(
  line: string,
): { time: string; stream: string; partial: boolean; text: string } | undefined {
  // s: text may hold a \r (a tty's lines end so), which `.` alone does not match.
  const m = /^(\S+) (stdout|stderr) ([PF]) (.*)$/s.exec(line);
  return m ? { time: m[1]!, stream: m[2]!, partial: m[3] === 'P', text: m[4]! } : undefined;
}
