// Signal names or numbers → numbers (runc accepts `KILL`, `SIGKILL`, `9`).
import { constants } from 'node:os';
import { OciError } from './errors.js';

export function parseSignal(s: string | number | undefined): number {
  if (s === undefined || s === '') return constants.signals.SIGTERM;
  if (typeof s === 'number') return s;
  if (/^\d+$/.test(s)) {
    const n = Number(s);
    if (n < 1 || n > 64) throw new OciError(`invalid signal number ${s}`);
    return n;
  }
  const up = s.toUpperCase();
  const name = (up.startsWith('SIG') ? up : `SIG${up}`) as keyof typeof constants.signals;
  const rt = /^SIGRTMIN(\+(\d+))?$/.exec(name);
  if (rt) return 34 + Number(rt[2] ?? 0);
  const n = constants.signals[name];
  if (n === undefined) throw new OciError(`unknown signal "${s}"`);
  return n;
}
