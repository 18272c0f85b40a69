// One run of a container (or the pause process) through the OCI runtime: created and started in
// one step (createStarted) with stdout/stderr into the log pipes, learn the helper that waits for
// it, and find out how it ended — from the helper's exit when this agent started it, else by
// watching the helper (re-adopted after an agent restart) and reading the exit status file it
// writes.
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { makeFifo } from '../kernel/fifo.js';
import { procStat, processAlive } from '../oci/proc.js';
import type { Process, Spec } from '../oci/spec.js';
import type { TerminalControl } from '../oci/terminal.js';
import type { NodeContext } from './context.js';
import { CriLogWriter } from './logs.js';
import type { InstanceRecord } from './store.js';

export interface Running {
  rec: InstanceRecord;
  /** Exit status (128+n when killed by n); undefined when it cannot be known. */
  exited: Promise<number | undefined>;
  writer?: CriLogWriter;
  release?: () => Promise<void>;
  /** A tty container's terminal, to size it (this agent's instances only: the helper's sync
   *  socket carries the size). */
  terminal?: TerminalControl;
  /** The container's process (exec and probes run like it); an adopted one's is read on first use. */
  process?: Process;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Create and start `spec` as `id` with its bundle in `bundle`; `log` is the CRI log file (none for pause). */
export async function startInstance(
  ctx: NodeContext,
  id: string,
  bundle: string,
  spec: Spec,
  log: string | undefined,
  release?: () => Promise<void>,
  /** The container's stdin (an fd the caller owns), default none. */
  stdin?: number,
): Promise<Running> {
  // The bundle holds the log pipes; the spec goes to the runtime as it is (its state keeps it).
  mkdirSync(bundle, { recursive: true });
  // The FIFOs by path: the helper opens them read-write itself (see kernel/plan/spawner.ts).
  let out: { path: string } | 'ignore' = 'ignore';
  let err: { path: string } | 'ignore' = 'ignore';
  let writer: CriLogWriter | undefined;
  let terminal: TerminalControl | undefined;
  if (log) {
    const o = join(bundle, 'stdout');
    const e = join(bundle, 'stderr');
    await Promise.all([makeFifo(ctx.spawner, o), makeFifo(ctx.spawner, e)]);
    out = { path: o };
    err = { path: e };
    writer = new CriLogWriter(log, ctx.logMaxBytes);
    writer.attach(o, 'stdout');
    writer.attach(e, 'stderr');
  }
  try {
    // Nothing to do between create and start (the sandbox's network is set up after the pause
    // runs): one step, no exec fifo.
    const { pid, startTime, helperPid } = await ctx.runtime.createStarted(id, bundle, {
      spec,
      stdio: [stdin ?? 'ignore', out, err],
      // tty: the helper keeps the pty's master and relays it to these stdin/stdout.
      ...(spec.process?.terminal ? { terminalRelay: { onStarted: (t) => (terminal = t) } } : {}),
    });
    const rec: InstanceRecord = {
      id,
      pid,
      pidStartTime: startTime ?? procStat(pid)?.startTime,
      helperPid: helperPid ?? procStat(pid)?.ppid ?? 0,
      startedAt: new Date().toISOString(),
      log: log ?? '',
    };
    return {
      rec,
      exited: ctx.runtime.wait(id).catch(() => undefined),
      writer,
      release,
      terminal,
      process: spec.process,
    };
  } catch (e) {
    writer?.detach();
    await ctx.runtime.delete(id, { force: true }).catch(() => undefined);
    rmSync(bundle, { recursive: true, force: true });
    throw e;
  }
}

/** Take over an instance a previous agent started; undefined when the runtime does not know it. */
export async function adoptInstance(
  ctx: NodeContext,
  rec: InstanceRecord,
  bundle: string,
): Promise<Running | undefined> {
  try {
    await ctx.runtime.state(rec.id);
  } catch {
    return undefined;
  }
  let writer: CriLogWriter | undefined;
  if (rec.log && processAlive(rec.pid, rec.pidStartTime)) {
    writer = new CriLogWriter(rec.log, ctx.logMaxBytes);
    writer.attach(join(bundle, 'stdout'), 'stdout');
    writer.attach(join(bundle, 'stderr'), 'stderr');
  }
  const exited = (async () => {
    // The helper is no longer our child: watch it; it writes the exit status before it exits.
    while (rec.helperPid && processAlive(rec.helperPid)) await sleep(250);
    while (processAlive(rec.pid, rec.pidStartTime)) await sleep(250);
    return ctx.runtime.wait(rec.id).catch(() => undefined);
  })();
  return { rec, exited, writer, release: async () => ctx.releaseOrphanRootfs(rec.id) };
}

/** After the exit: delete the OCI container (and its cgroup), release its rootfs and bundle. */
export async function cleanupInstance(ctx: NodeContext, r: Running, bundle: string): Promise<void> {
  await ctx.runtime
    .delete(r.rec.id, { force: true })
    .catch((e) => ctx.log(`delete ${r.rec.id}: ${(e as Error).message}`));
  await r.release?.().catch(() => undefined);
  rmSync(bundle, { recursive: true, force: true });
}
