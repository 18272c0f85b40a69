// CrashLoopBackOff as the kubelet does it: the delay before restart n starts at the base (10 s)
// and doubles up to the cap (5 min); a container that ran for the reset window (10 min) starts
// over at the base. The base is configurable (tests use milliseconds); cap and reset scale with it.

export interface BackoffOptions {
  baseMs: number;
  maxMs: number;
  resetMs: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { baseMs: 10_000, maxMs: 300_000, resetMs: 600_000 };

export function backoffFor(baseMs: number): BackoffOptions {
  return { baseMs, maxMs: baseMs * 30, resetMs: baseMs * 60 };
}

export class Backoff {
  private next = 0;
  constructor(private readonly o: BackoffOptions) {}

  /** The delay before the next start, given how long the last run lasted. */
  delay(ranMs: number): number {
    if (ranMs >= this.o.resetMs) this.next = 0;
    const d = this.next === 0 ? this.o.baseMs : Math.min(this.next * 2, this.o.maxMs);
    this.next = d;
    return d;
  }

  get current(): number {
    return this.next;
  }

  restore(current: number): void {
    this.next = current;
  }
}
