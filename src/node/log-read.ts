// Reading a container's CRI log as `kubectl logs` shows it: which file holds the instance asked
// for (current or previous), and the records turned into text with the kubelet's options —
// timestamps, sinceTime, tailLines, limitBytes. The files are <podDir>/<ctr>/<n>.log, n being the
// restartCount when that instance started (logs.ts), so a restart keeps the previous instance's.
import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseCriLine } from './logs.js';
import type { ContainerStatus } from './types.js';

export interface LogOptions {
  timestamps?: boolean;
  /** Records older than this (ms since the epoch) are left out. */
  sinceMs?: number;
  tailLines?: number;
  limitBytes?: number;
}

/** The endpoint's query (timestamps=1, sinceTime=RFC3339, tailLines=N, limitBytes=N) → options;
 *  throws with the parameter's name when a value is malformed. */
export function logOptions(q: URLSearchParams): LogOptions {
  const o: LogOptions = {};
  if (q.get('timestamps') === '1' || q.get('timestamps') === 'true') o.timestamps = true;
  const since = q.get('sinceTime');
  if (since) {
    const ms = Date.parse(since);
    if (Number.isNaN(ms)) throw new Error(`sinceTime: "${since}" is not an RFC 3339 time`);
    o.sinceMs = ms;
  }
  const int = (k: 'tailLines' | 'limitBytes', min: number) => {
    const v = q.get(k);
    if (v === null || v === '') return;
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) throw new Error(`${k}: "${v}" must be an integer ≥ ${min}`);
    o[k] = n;
  };
  int('tailLines', 0);
  int('limitBytes', 1);
  return o;
}

/**
 * The log file of the instance the kubelet would read: the running one, else the one that ended
 * last; with `previous` the instance of lastState.terminated. Throws the kubelet's messages.
 */
export function instanceLog(
  dir: string,
  pod: string,
  st: ContainerStatus | undefined,
  previous: boolean,
): string | undefined {
  const ctr = st?.name ?? '';
  const n = st?.restartCount ?? 0;
  let k: number;
  if (previous) {
    if (!st?.lastState.terminated)
      throw new Error(`previous terminated container "${ctr}" in pod "${pod}" not found`);
    // Waiting to restart, lastState is the instance that just ended (the newest file); otherwise
    // (running, or terminated for good) it is the one before the current.
    k = st.state.waiting ? n : n - 1;
  } else if (st?.state.running || st?.state.terminated || st?.lastState.terminated) {
    k = n;
  } else {
    const reason = st?.state.waiting?.reason ?? 'ContainerCreating';
    throw new Error(`container "${ctr}" in pod "${pod}" is waiting to start: ${reason}`);
  }
  const file = join(dir, `${k}.log`);
  return k >= 0 && existsSync(file) ? file : undefined;
}

/** What a CRI log file gained since the last read, in whole lines; a file that shrank was rotated
 *  and is read again from its start. */
export class LogTail {
  private rest = '';

  constructor(
    private readonly file: string,
    private pos: number,
  ) {}

  read(): string {
    let size: number;
    try {
      size = statSync(this.file).size;
    } catch {
      return '';
    }
    if (size < this.pos) this.pos = 0;
    if (size === this.pos) return '';
    const fd = openSync(this.file, 'r');
    const buf = Buffer.alloc(size - this.pos);
    readSync(fd, buf, 0, buf.length, this.pos);
    closeSync(fd);
    this.pos = size;
    const text = this.rest + buf.toString('utf8');
    const cut = text.lastIndexOf('\n') + 1;
    this.rest = text.slice(cut);
    return text.slice(0, cut);
  }
}

/** RFC 3339 with nanoseconds as Go's RFC3339Nano prints it: trailing zeros of the fraction cut. */
export function rfc3339Nano(t: string): string {
  return t.replace(/(\.\d*?)0+(Z|[+-]\d\d:\d\d)$/, '$1$2').replace(/\.(Z|[+-]\d\d:\d\d)$/, '$1');
}

interface Piece {
  text: string;
  /** The record starts a line (the stream's previous record was not a partial one). */
  starts: boolean;
}

/** CRI records → the text `kubectl logs` prints. tailLines applies to the first batch only (what
 *  the log held when asked); limitBytes to everything sent. */
export class LogFormatter {
  private sent = 0;
  private first = true;
  private partial = new Set<string>();

  constructor(private readonly o: LogOptions) {}

  /** The byte limit was reached: nothing more will be sent. */
  get done(): boolean {
    return this.o.limitBytes !== undefined && this.sent >= this.o.limitBytes;
  }

  format(records: string): Buffer {
    let pieces: Piece[] = [];
    for (const line of records.split('\n')) {
      const r = parseCriLine(line);
      if (!r) continue;
      const starts = !this.partial.has(r.stream);
      if (r.partial) this.partial.add(r.stream);
      else this.partial.delete(r.stream);
      if (this.o.sinceMs !== undefined && Date.parse(r.time) < this.o.sinceMs) continue;
      const stamp = this.o.timestamps && starts ? `${rfc3339Nano(r.time)} ` : '';
      pieces.push({ text: stamp + r.text + (r.partial ? '' : '\n'), starts });
    }
    if (this.first && this.o.tailLines !== undefined) {
      const starts = pieces.flatMap((p, i) => (p.starts ? [i] : []));
      const keep = this.o.tailLines;
      pieces = keep === 0 ? [] : starts.length > keep ? pieces.slice(starts[starts.length - keep]) : pieces;
    }
    this.first = false;
    let out = Buffer.from(pieces.map((p) => p.text).join(''));
    if (this.o.limitBytes !== undefined) out = out.subarray(0, Math.max(0, this.o.limitBytes - this.sent));
    this.sent += out.length;
    return out;
  }
}
