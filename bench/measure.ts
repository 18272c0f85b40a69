// Measuring helpers for runtime.bench.ts: timed spawns, waiting for a container's init, one
// container lifecycle through a runc-compatible CLI, and the statistics printed.
import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

export interface Sample {
  total: number;
  create: number;
  start: number;
  wait: number;
  delete: number;
}

export interface Subject {
  name: string;
  describe: string;
  once(id: string): Promise<Sample>;
  /** Remove whatever `once` left when it failed half-way. */
  forget(id: string): Promise<void>;
}

export const TIMEOUT_MS = 30_000;

/** `p`, or a rejection naming `what` after TIMEOUT_MS. */
export function withTimeout<T>(p: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_, rej) => {
    timer = setTimeout(() => rej(new Error(`${what} did not finish in ${TIMEOUT_MS} ms`)), TIMEOUT_MS);
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

/**
 * Run argv with stdio to `log`; resolve with the time it took, reject on a non-zero exit. A shell
 * takes the time around the command, as a user's shell sees it: timed around our own spawn(),
 * every subject would also pay the fork of this (large) Node process, milliseconds here. The
 * command gets no fd but its stdio (the log's fd 3 is closed for it).
 */
export function timedSpawn(argv: readonly string[], env: NodeJS.ProcessEnv, log: string): Promise<number> {
  const fd = openSync(log, 'w');
  const timed = 's=$EPOCHREALTIME; "$@" </dev/null >&3 2>&3 3>&-; rc=$?; e=$EPOCHREALTIME; echo "$rc $s $e"';
  return new Promise<number>((res, rej) => {
    // Its own process group: a hung subject is killed with the shell (and only what they started).
    const child = spawn('bash', ['-c', timed, 'bash', ...argv], {
      env,
      stdio: ['ignore', 'pipe', 'inherit', fd],
      detached: true,
    });
    let out = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
    // A hung runtime fails its subject instead of hanging the bench.
    const timer = setTimeout(() => process.kill(-child.pid!, 'SIGKILL'), TIMEOUT_MS);
    child.on('error', rej);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const [rc, start, end] = out.trim().split(' ');
      if (code === 0 && rc === '0') return res((Number(end) - Number(start)) * 1000);
      rej(new Error(`${argv.join(' ')} exited ${rc ?? code ?? signal}: ${readFileSync(log, 'utf8').trim()}`));
    });
  }).finally(() => closeSync(fd));
}

/** Resolves when `pid` is gone or a zombie (its exit is final either way). */
export async function waitInitExit(pid: number, timeoutMs = TIMEOUT_MS): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    let state: string | undefined;
    try {
      const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
      state = s.slice(s.lastIndexOf(')') + 2, s.lastIndexOf(')') + 3);
    } catch {
      return;
    }
    if (state === 'Z' || state === 'X') return;
    if (Date.now() > end) throw new Error(`init ${pid} still running after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 1));
  }
}

export function cliSubject(
  name: string,
  describe: string,
  argv: string[],
  stateRoot: string,
  bundle: string,
  env: NodeJS.ProcessEnv,
  work: string,
): Subject {
  const cmd = (...args: string[]) => [...argv, '--root', stateRoot, ...args];
  const log = join(work, `${name}.log`);
  return {
    name,
    describe,
    async once(id) {
      const pidFile = join(work, `${name}.pid`);
      rmSync(pidFile, { force: true });
      const create = await timedSpawn(cmd('create', '--bundle', bundle, '--pid-file', pidFile, id), env, log);
      const pid = Number(readFileSync(pidFile, 'utf8'));
      const start = await timedSpawn(cmd('start', id), env, log);
      const t0 = performance.now();
      await waitInitExit(pid);
      const wait = performance.now() - t0;
      const del = await timedSpawn(cmd('delete', id), env, log);
      return { create, start, wait, delete: del, total: create + start + wait + del };
    },
    async forget(id) {
      await timedSpawn(cmd('delete', '--force', id), env, log).catch(() => undefined);
    },
  };
}

// ---------- statistics and output ----------

export interface Stats {
  n: number;
  min: number;
  median: number;
  p90: number;
  mean: number;
}

export function stats(xs: number[]): Stats {
  const s = [...xs].sort((a, b) => a - b);
  const rank = (q: number) => s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)]!;
  const median = s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
  return { n: s.length, min: s[0]!, median, p90: rank(0.9), mean: s.reduce((a, b) => a + b, 0) / s.length };
}

export const ms = (x: number) => x.toFixed(1).padStart(8);

export function row(name: string, st: Stats, ref?: number, extra = ''): string {
  const ratio = ref ? `${(st.median / ref).toFixed(2)}x`.padStart(7) : '      -';
  return `${name.padEnd(22)} ${String(st.n).padStart(4)} ${ms(st.min)} ${ms(st.median)} ${ms(st.p90)} ${ms(st.mean)} ${ratio}${extra}`;
}

export const HEADER = `${'subject'.padEnd(22)} ${'n'.padStart(4)} ${'min'.padStart(8)} ${'median'.padStart(8)} ${'p90'.padStart(8)} ${'mean'.padStart(8)}  ${'/crun'}`;

/** Time `argv` run to completion `n` times (after one warm-up), interleaving entries. */
export async function timeCommands(
  entries: { name: string; argv: string[]; env: NodeJS.ProcessEnv }[],
  n: number,
  log: string,
): Promise<Map<string, number[]>> {
  const out = new Map(entries.map((e) => [e.name, [] as number[]]));
  for (let i = -1; i < n; i++) {
    for (let k = 0; k < entries.length; k++) {
      const e = entries[(k + Math.max(i, 0)) % entries.length]!;
      const t = await timedSpawn(e.argv, e.env, log);
      if (i >= 0) out.get(e.name)!.push(t);
    }
  }
  return out;
}
