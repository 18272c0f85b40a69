// How a container's life is recorded once it ends. finish(): the waiter (the foreground `corral
// run`, or the monitor of `run -d`) waits for the exit, reads the OOM kills, deletes the OCI
// container (and its cgroup), releases the root filesystem, then records the exit in state.json
// or, with --rm, removes the container. reconcile(): a container whose waiter died (killed, machine
// reboot) is finished by whichever command looks at it next, from the runtime's exit status file.
import { readFileSync } from 'node:fs';

import { procStat, processAlive } from '../oci/proc.js';
import type { EngineContext, RunResult } from './context.js';
import { commandErrorCode } from './errors.js';
import { releaseRootfs } from './launch.js';
import { oomKills } from './oom.js';
import type { ContainerRecord, ContainerState } from './store.js';
import { trace } from './trace.js';
import { isoTime } from '../util/iso-time.js';
import { joinClean } from '../util/join-clean.js';

export async function finishContainer(ctx: EngineContext, id: string): Promise<RunResult> {
  const { store, runtime } = ctx;
  const rec = ctx.records.get(id) ?? store.load(id);
  // Where its OOM kills are counted, found while it runs (this thread is idle then).
  const oomFile = oomCounterFile(ctx, rec);
  let code = (await runtime.wait(id)) ?? 1;
  trace('exited');
  const late = ctx.lateErrors.get(id);
  const mapped = late ? commandErrorCode(late) : undefined;
  if (mapped !== undefined) code = mapped;
  const oomKilled = (await oomKilledNow(ctx, rec, oomFile)) > 0;
  trace('oom read');
  await ctx.detach(rec);
  // The runtime's delete waits on the thread pool (its cgroup's directories) while the root
  // filesystem is released here: the container's processes are gone, the two are apart.
  const deleted = runtime.delete(id, { force: true }).catch(() => undefined);
  await releaseRootfs(ctx, id);
  trace('rootfs released');
  await deleted;
  trace('runtime deleted');
  // A command that could not be executed never ran: like a failed start, nothing stays.
  if (rec.run.rm || mapped !== undefined) store.remove(id, rec.name);
  else
    store.patchState(id, {
      status: 'exited',
      exitCode: code,
      oomKilled,
      finishedAt: isoTime(),
      ...(late ? { error: late } : {}),
    });
  ctx.records.delete(id);
  trace('finished');
  return {
    id,
    name: rec.name,
    exitCode: code,
    oomKilled,
    ...(rec.run.memory ? { memory: rec.run.memory } : {}),
  };
}

/** The file counting the OOM kills of the container's memory cgroup, from the directories the
 *  runtime noted at create; undefined when it noted none. */
function oomCounterFile(ctx: EngineContext, rec: ContainerRecord): string | undefined {
  let dirs: Record<string, string> | undefined;
  try {
    dirs = ctx.runtime.store.load(rec.id).cgroupDirMap;
  } catch {
    dirs = undefined;
  }
  // v1: memory.oom_control of the memory hierarchy; v2 (no memory hierarchy): memory.events.
  return dirs?.memory
    ? joinClean(dirs.memory, 'memory.oom_control')
    : dirs?.unified
      ? joinClean(dirs.unified, 'memory.events')
      : undefined;
}

/**
 * The OOM kills of the container's memory cgroup, read after the init exited and before the
 * cgroup goes: from `file` (oomCounterFile) in one read, else through the cgroup driver (./oom.ts).
 */
async function oomKilledNow(
  ctx: EngineContext,
  rec: ContainerRecord,
  file = oomCounterFile(ctx, rec),
): Promise<number> {
  if (!file) return oomKills(rec.cgroupsPath, ctx.opts.cgroupRoot, ctx.opts.helperPath);
  try {
    return Number(/^oom_kill (\d+)$/m.exec(readFileSync(file, 'utf8'))?.[1] ?? 0);
  } catch {
    return 0;
  }
}

export async function reconcileContainer(ctx: EngineContext, id: string): Promise<ContainerState> {
  const { store, runtime } = ctx;
  const s = store.loadState(id);
  if (s.status === 'exited' || s.status === 'created') return s;
  if (s.monitorPid && monitorAlive(s)) return s;
  // Re-read: the waiter may have finished between the two reads.
  const again = store.loadState(id);
  if (again.status === 'exited') return again;
  if (s.pid && processAlive(s.pid)) return s; // running without a waiter (it was killed)
  const rec = store.load(id);
  let code: number | undefined;
  try {
    code = await runtime.wait(id);
  } catch {
    code = undefined;
  }
  const oomKilled = (await oomKilledNow(ctx, rec)) > 0;
  await ctx.detach(rec);
  await runtime.delete(id, { force: true }).catch(() => undefined);
  return store.patchState(id, {
    status: 'exited',
    exitCode: code ?? -1,
    oomKilled,
    finishedAt: isoTime(),
    error: 'the process waiting for the container was gone; exit status from the runtime',
  });
}

export function monitorAlive(s: ContainerState): boolean {
  if (!s.monitorPid) return false;
  const st = procStat(s.monitorPid);
  return !!st && st.state !== 'Z' && st.state !== 'X';
}
