// Reading and writing cgroup files, with kernel errors turned into CgroupErrors that name the
// OCI field, and a transaction that restores what it overwrote when a later write fails.
// The calls are synchronous underneath (the async signatures stay for the callers): a cgroupfs
// read or write is a short kernel call, and node's thread pool cost more per call than the call
// (a lowered memory limit reclaims inside the write, which then blocks its caller as long). Moving
// a process is the exception: writeCgPooled.
import { closeSync, constants, openSync, readFileSync, writeSync } from 'node:fs';
import { basename } from 'node:path';
import { CgroupError } from './types.js';
import { joinClean } from '../../util/join-clean.js';

/** One write(2) of `value` to an existing cgroup file (never creates one: missing → ENOENT). */
export async function writeCg(path: string, value: string): Promise<void> {
  writeCgSync(path, value);
}

/**
 * writeCg on node's thread pool, for a write that waits in the kernel rather than works: moving a
 * process (cgroup.procs) takes the global threadgroup lock for writing, which waits for every CPU
 * to pass a quiescent state. Done synchronously, that wait would stall the caller's event loop.
 */
export async function writeCgPooled(path: string, value: string): Promise<void> {
  // Loaded when first needed: node's promise API costs a short command (`corral run`) its start.
  const { open } = process.getBuiltinModule('node:fs/promises');
  const fh = await open(path, constants.O_WRONLY);
  try {
    await fh.write(value);
  } finally {
    await fh.close();
  }
}

/** writeCg without the thread pool (see readTextSync). */
export function writeCgSync(path: string, value: string): void {
  const fd = openSync(path, constants.O_WRONLY);
  try {
    writeSync(fd, value);
  } finally {
    closeSync(fd);
  }
}

export function errnoOf(e: unknown): string | undefined {
  return typeof e === 'object' && e !== null && 'code' in e
    ? String((e as { code: unknown }).code)
    : undefined;
}

/** File content, or undefined when the file does not exist. */
export async function readText(dir: string, file: string): Promise<string | undefined> {
  return readTextSync(dir, file);
}

/**
 * readText without the thread pool: a cgroup file is read from kernel memory, and a round trip
 * through node's thread pool (open, read, close: three, with a futex handoff each way) cost far
 * more than the read, on a paravirtualised host several times more.
 */
export function readTextSync(dir: string, file: string): string | undefined {
  try {
    return readFileSync(joinClean(dir, file), 'utf8');
  } catch (e) {
    if (['ENOENT', 'ENODEV', 'ENOTDIR'].includes(errnoOf(e) ?? '')) return undefined;
    throw e;
  }
}

export async function readNumber(dir: string, file: string): Promise<number | undefined> {
  const t = await readText(dir, file);
  if (t === undefined) return undefined;
  const v = t.trim();
  if (v === 'max') return undefined;
  const n = Number(v);
  return Number.isFinite(n) ? n : undefined;
}

/** `key value` lines (cpu.stat, memory.stat, memory.events ...). */
export function parseFlatKeyed(text: string | undefined): Map<string, number> {
  const m = new Map<string, number>();
  for (const line of (text ?? '').split('\n')) {
    const [k, v] = line.trim().split(/\s+/);
    if (k && v !== undefined) m.set(k, Number(v));
  }
  return m;
}

/** `KEY k=v k=v` lines (io.stat, io.max, *.pressure). */
export function parseNestedKeyed(text: string | undefined): Map<string, Map<string, string>> {
  const m = new Map<string, Map<string, string>>();
  for (const line of (text ?? '').split('\n')) {
    const [k, ...rest] = line.trim().split(/\s+/);
    if (!k) continue;
    const inner = new Map<string, string>();
    for (const kv of rest) {
      const i = kv.indexOf('=');
      if (i > 0) inner.set(kv.slice(0, i), kv.slice(i + 1));
    }
    m.set(k, inner);
  }
  return m;
}

export interface WriteContext {
  /** The OCI field, e.g. `linux.resources.memory.limit`. */
  field: string;
  /** The value as the user gave it (defaults to what is written). */
  value?: string | number;
  /** What to write back on rollback; null: nothing; undefined: the file's current content. */
  restore?: string | null;
  /** A specific explanation for a kernel error (errno → message tail), or undefined. */
  explain?: (errno: string) => Promise<string | undefined> | string | undefined;
}

export function kernelError(
  path: string,
  written: string,
  ctx: WriteContext,
  e: unknown,
  tail?: string,
): CgroupError {
  const errno = errnoOf(e) ?? 'EIO';
  const value = String(ctx.value ?? written);
  const file = basename(path);
  const why =
    tail ??
    {
      EINVAL: `the kernel rejects it (${file}: invalid argument)`,
      ERANGE: `out of range for ${file}`,
      EBUSY: `the kernel refuses it now (${file}: device or resource busy)`,
      ENOENT: `${file} does not exist (controller not available or not enabled for this cgroup)`,
      ENODEV: `no such device (${file})`,
      EACCES: `permission denied writing ${file}`,
      EPERM: `operation not permitted writing ${file}`,
      EOPNOTSUPP: `not supported by this kernel (${file})`,
    }[errno] ??
    `${file}: ${e instanceof Error ? e.message : String(e)}`;
  return new CgroupError(`${ctx.field}: ${value}: ${why}`, ctx.field, value, errno);
}

/** A set of writes that either all land or are undone (in reverse order) on the first failure. */
export class Tx {
  private undo: (() => Promise<void>)[] = [];

  /** `missing`: why a file is absent (ENOENT), e.g. which ancestor did not hand its controller down. */
  constructor(private readonly missing?: (file: string) => Promise<string | undefined>) {}

  async write(dir: string, file: string, value: string, ctx: WriteContext): Promise<void> {
    const path = joinClean(dir, file);
    let restore = ctx.restore;
    if (restore === undefined) {
      const cur = await readText(dir, file);
      restore = cur === undefined ? null : cur.trim();
      if (restore !== null && restore.includes('\n')) restore = null; // multi-line: caller must say
    }
    try {
      await writeCg(path, value);
    } catch (e) {
      const errno = errnoOf(e) ?? 'EIO';
      let tail = ctx.explain ? await ctx.explain(errno) : undefined;
      if (tail === undefined && errno === 'ENOENT' && this.missing)
        tail = await this.missing(file).catch(() => undefined);
      throw kernelError(path, value, ctx, e, tail);
    }
    const old = restore;
    if (old !== null && old !== value) this.undo.push(() => writeCg(path, old));
  }

  /** Record an undo step that is not a plain file write (e.g. re-attaching a device program). */
  onRollback(fn: () => Promise<void>): void {
    this.undo.push(fn);
  }

  async rollback(): Promise<void> {
    for (const fn of this.undo.reverse()) {
      try {
        await fn();
      } catch {
        // Best effort: a value that no longer fits (e.g. memory grew) stays as it is.
      }
    }
    this.undo = [];
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Poll `check` until it returns true or `timeoutMs` passes. */
export async function waitFor(
  check: () => Promise<boolean>,
  timeoutMs: number,
  stepMs = 10,
): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return true;
    if (Date.now() > end) return false;
    await sleep(stepMs);
  }
}
