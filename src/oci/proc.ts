// What /proc says about a process: alive, zombie, start time (to detect PID reuse).
import { readFileSync } from 'node:fs';

export interface ProcStat {
  state: string;
  ppid: number;
  /** Field 22, clock ticks after boot. */
  startTime: string;
}

export function procStat(pid: number): ProcStat | undefined {
  let s: string;
  try {
    s = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // comm may contain spaces and parentheses: fields start after the last ')'.
  const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
  return { state: f[0]!, ppid: Number(f[1]), startTime: f[19]! };
}

/** The process exists, is not a zombie and (when given) started at `startTime`. */
export function processAlive(pid: number, startTime?: string): boolean {
  const st = procStat(pid);
  if (!st || st.state === 'Z' || st.state === 'X') return false;
  return startTime === undefined || st.startTime === startTime;
}

export async function waitGone(
  pid: number,
  startTime: string | undefined,
  timeoutMs: number,
): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  // There is no pidfd in Node: poll. A killed process is usually gone within a millisecond or
  // two, so start at once and never sleep long (delete and run wait here).
  for (let round = 0; processAlive(pid, startTime); round++) {
    if (Date.now() > end) return false;
    if (round < 20) await new Promise((r) => setImmediate(r));
    else await new Promise((r) => setTimeout(r, Math.min(round - 19, 10)));
  }
  return true;
}
