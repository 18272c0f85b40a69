// In-process watch fan-out: each subscriber has a queue the backend appends to synchronously
// (right after a commit, or as events arrive from etcd) and that is drained on a later turn of
// the event loop, so subscriber code never runs inside a write or inside watch(), and the order
// in which events were appended is the order they are delivered.
import type { Watch, WatchEvent } from './types.js';

type Item = WatchEvent | { type: 'error'; err: Error };

export class Subscriber implements Watch {
  private queue: Item[] = [];
  private scheduled = false;
  private closed = false;
  /** Revision of the last event or progress appended (progress never goes backwards). */
  lastRevision: number;
  private lastProgress = 0;

  constructor(
    readonly prefix: string,
    fromRevision: number,
    private readonly onEvent: (e: WatchEvent) => void,
    private readonly onError: (e: Error) => void,
    private readonly onClose: (s: Subscriber) => void,
  ) {
    this.lastRevision = fromRevision;
    this.after = fromRevision;
  }

  /** Events at or below this revision are not for this watch (it started after them). */
  private readonly after: number;

  get isClosed(): boolean {
    return this.closed;
  }

  matches(key: string): boolean {
    return key.startsWith(this.prefix);
  }

  push(e: WatchEvent): void {
    if (this.closed) return;
    const rev = e.type === 'progress' ? e.revision : e.kv.modRevision;
    if (e.type !== 'progress' && rev <= this.after) return;
    // A progress at the last event's revision still tells "nothing more up to here"; a repeat
    // of the last progress, or one behind an event, tells nothing.
    if (e.type === 'progress' && (rev < this.lastRevision || rev <= this.lastProgress)) return;
    if (e.type === 'progress') this.lastProgress = rev;
    this.lastRevision = Math.max(this.lastRevision, rev);
    this.queue.push(e);
    this.schedule();
  }

  /** Ends the watch with `err` after the events already queued. */
  fail(err: Error): void {
    if (this.closed) return;
    this.queue.push({ type: 'error', err });
    this.schedule();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.queue = [];
    this.onClose(this);
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.drain());
  }

  private drain(): void {
    this.scheduled = false;
    // Take the batch first: a callback may close the watch or cause new events.
    const batch = this.queue;
    this.queue = [];
    for (const e of batch) {
      if (this.closed) return;
      if (e.type === 'error') {
        this.close();
        this.onError(e.err);
        return;
      }
      try {
        this.onEvent(e);
      } catch (err) {
        this.close();
        this.onError(err instanceof Error ? err : new Error(String(err)));
        return;
      }
    }
  }
}

/** The subscribers of one backend, and a timer that sends them progress events. */
export class Hub {
  readonly subs = new Set<Subscriber>();
  private timer: NodeJS.Timeout | undefined;

  constructor(progressIntervalMs: number, currentRevision: () => number) {
    if (progressIntervalMs > 0) {
      this.timer = setInterval(() => {
        if (this.subs.size === 0) return;
        const revision = currentRevision();
        for (const s of this.subs) s.push({ type: 'progress', revision });
      }, progressIntervalMs);
      // A progress timer alone must not keep the process alive.
      this.timer.unref();
    }
  }

  add(
    prefix: string,
    fromRevision: number,
    onEvent: (e: WatchEvent) => void,
    onError: (e: Error) => void,
  ): Subscriber {
    const s = new Subscriber(prefix, fromRevision, onEvent, onError, (x) => this.subs.delete(x));
    this.subs.add(s);
    return s;
  }

  publish(e: WatchEvent & { kv: { key: string } }): void {
    for (const s of this.subs) if (s.matches(e.kv.key)) s.push(e);
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    for (const s of [...this.subs]) s.close();
  }
}
