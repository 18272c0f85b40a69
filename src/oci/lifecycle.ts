// After `create`: start (release the init through the exec fifo), kill, wait, delete, and `run`
// (create + start [+ wait + delete]). Status transitions follow runtime-spec runtime.md and runc.
// Hooks, the create machinery, the cgroup driver and signal names (node:os) are imported only when
// needed.
import { closeSync, constants as fsc, openSync, readFileSync, readSync, rmdir, unlinkSync } from 'node:fs';

import type { RuntimeCore } from './core.js';
import { OciError } from './errors.js';
import { processAlive, waitGone } from './proc.js';
import type { CreateOptions, Created } from './runtime.js';
import type { Hook, HookStage, OciState } from './spec.js';
import { checkId, type ContainerRecord } from './state.js';
import { joinClean } from '../util/join-clean.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** poststart/poststop: failures are warnings. hooks.ts (and child_process) load only when there are hooks. */
async function hooksWarn(
  rt: RuntimeCore,
  stage: HookStage,
  hooks: Hook[] | undefined,
  state: () => OciState,
) {
  if (!hooks?.length) return;
  const { runHooksWarn } = await import('./hooks.js');
  await runHooksWarn(stage, hooks, state(), (m) => rt.log('warn', m));
}

export async function start(rt: RuntimeCore, id: string): Promise<void> {
  const r = rt.store.load(id);
  await rt.store.withLock(id, async () => {
    const status = await rt.statusOf(r);
    if (status !== 'created')
      throw new OciError(`cannot start container "${id}": it is ${status}, not created`);
    // Nothing to save: the fifo is gone now, which is what makes the status `running`.
    await readExecFifo(rt.store.fifo(id), () => processAlive(r.pid!, r.pidStartTime), r.id);
    r.started = true;
  });
  await hooksWarn(rt, 'poststart', r.config.hooks?.poststart, () => rt.store.ociState(r, 'running'));
}

/**
 * Read the init's byte from the exec fifo, which lets it exec. Non-blocking: a dead init must not
 * hang `start` (runc polls the fifo and a pidfd). Opening the read end wakes the init, blocked in
 * open(O_WRONLY); its byte follows within a scheduling round, so poll fast and back off gently.
 * `alive`: whether the init still runs. Exported for its test.
 */
export async function readExecFifo(path: string, alive: () => boolean, id: string): Promise<void> {
  const fd = openSync(path, fsc.O_RDONLY | fsc.O_NONBLOCK);
  try {
    const buf = Buffer.alloc(1);
    const byte = (): boolean => {
      try {
        return readSync(fd, buf, 0, 1, null) === 1;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') throw e;
        return false;
      }
    };
    for (let round = 0; ; round++) {
      if (byte()) break;
      if (!alive()) {
        // It may have written its byte, exec'd and exited between that read and this look (a
        // short command, this thread descheduled): the byte waits in the fifo.
        if (byte()) break;
        throw new OciError(`cannot start container "${id}": its process exited before start`);
      }
      if (round < 50) await new Promise((res) => setImmediate(res));
      else await sleep(Math.min(round - 49, 10));
    }
  } finally {
    closeSync(fd);
  }
  unlinkSync(path);
}

export async function kill(
  rt: RuntimeCore,
  id: string,
  signal: string | number,
  o: { all?: boolean },
): Promise<void> {
  const sig = (await import('./signals.js')).parseSignal(signal);
  const r = rt.store.load(id);
  const status = await rt.statusOf(r);
  if (status === 'stopped' || status === 'creating') {
    if (!o.all) throw new OciError(`cannot kill container "${id}": it is ${status}`);
  }
  const pids = o.all ? await ps(rt, r) : [r.pid!];
  for (const pid of pids) {
    try {
      process.kill(pid, sig);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ESRCH') throw e;
    }
  }
  // Frozen tasks only act on SIGKILL once thawed.
  if (status === 'paused' && sig === 9) await (await rt.manager(r))?.thaw();
}

async function ps(rt: RuntimeCore, r: ContainerRecord): Promise<number[]> {
  const { ps: list } = await import('./queries.js');
  return list(rt, r);
}

export async function wait(rt: RuntimeCore, id: string): Promise<number | undefined> {
  const p = rt.exits.get(id);
  if (p) return p;
  const r = rt.store.load(id);
  if (r.pid) await waitGone(r.pid, r.pidStartTime, 2 ** 31 - 1);
  return readExitFile(r);
}

/** The status the helper wrote to the record's exit status file (128+n for signal n). */
export function readExitFile(r: ContainerRecord): number | undefined {
  if (!r.exitStatusFile) return undefined;
  try {
    const t = readFileSync(r.exitStatusFile, 'utf8').trim();
    const m = /^signal (\d+)$/.exec(t);
    return m ? 128 + Number(m[1]) : Number(t);
  } catch {
    return undefined;
  }
}

export async function remove(rt: RuntimeCore, id: string, o: { force?: boolean }): Promise<void> {
  checkId(id);
  let r: ContainerRecord;
  try {
    r = rt.store.load(id);
  } catch (e) {
    if (o.force && e instanceof OciError) return;
    throw e;
  }
  await rt.store.withLock(id, async () => {
    const status = await rt.statusOf(r);
    if (status === 'running' || status === 'paused') {
      if (!o.force) throw new OciError(`cannot delete container "${id}" that is not stopped: ${status}`);
    }
    if (status === 'creating' && !o.force) {
      // A create in another process is still working, or it crashed half-way.
      if (r.pid === undefined && rt.store.exists(id) && Date.now() - Date.parse(r.created) < 60_000) {
        throw new OciError(`cannot delete container "${id}" that is still being created (use --force)`);
      }
    }
    if (status === 'stopped' && (await removeEmpty(r))) {
      rt.log('debug', `delete ${id}: empty cgroup removed`);
      rt.store.remove(id);
      rt.exits.delete(id);
      return;
    }
    const mgr = await rt.manager(r);
    rt.log('debug', `delete ${id}: ${status}, cgroup driver ${mgr ? 'open' : 'none'}`);
    if (status !== 'stopped' && r.pid) {
      await mgr?.killAll();
      try {
        process.kill(r.pid, 'SIGKILL');
      } catch {
        /* gone (or the cgroup kill got it) */
      }
      if (status === 'paused') await mgr?.thaw().catch(() => undefined);
    }
    if (r.pid && !(await waitGone(r.pid, r.pidStartTime, 10_000))) {
      throw new OciError(`container "${id}": process ${r.pid} did not exit`);
    }
    await mgr?.remove();
    rt.log('debug', `delete ${id}: cgroup removed`);
    rt.store.remove(id);
    rt.exits.delete(id);
  });
  if (r.pid !== undefined) {
    await hooksWarn(rt, 'poststop', r.config.hooks?.poststop, () => rt.store.ociState(r, 'stopped'));
  }
}

/**
 * The common delete: the init has exited and took the container with it (its PID namespace).
 * Then the cgroup is empty and rmdir, which the kernel refuses for a cgroup with processes or
 * children, removes it without loading the cgroup driver. Anything else (processes left, child
 * cgroups, no notes from create) is the driver's remove(): it kills and retries. The freezer
 * directory goes last, so the driver can still freeze what a half-done removal left.
 */
async function removeEmpty(r: ContainerRecord): Promise<boolean> {
  if (!r.cgroupsPath) return true;
  const dirs = r.cgroupDirs;
  if (!dirs?.length) return false;
  try {
    if (readFileSync(joinClean(dirs[0]!, 'cgroup.procs'), 'utf8').trim() !== '') return false;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') return false;
  }
  // On the thread pool, side by side (on cgroup v1 a directory per hierarchy), while the caller
  // goes on (finish releases the root filesystem meanwhile); the freezer's last.
  const removed = (d: string): Promise<boolean> =>
    new Promise((resolve) => rmdir(d, (e) => resolve(!e || e.code === 'ENOENT')));
  const rest = await Promise.all(dirs.slice(0, -1).map(removed));
  return rest.every(Boolean) && (await removed(dirs[dirs.length - 1]!));
}

export async function createStarted(
  rt: RuntimeCore,
  id: string,
  bundle: string,
  o: CreateOptions,
): Promise<Created> {
  const { create } = await import('./create.js');
  const c = await create(rt, id, bundle, { ...o, detached: false }, false);
  const hooks = (o.spec ?? rt.store.load(id).config).hooks?.poststart;
  if (hooks?.length) {
    const r = rt.store.load(id);
    await hooksWarn(rt, 'poststart', hooks, () => rt.store.ociState(r, 'running'));
  }
  return c;
}

export async function run(
  rt: RuntimeCore,
  id: string,
  bundle: string,
  o: CreateOptions,
): Promise<number | undefined> {
  const { create } = await import('./create.js');
  if (o.detached) {
    await create(rt, id, bundle, o, true);
    await start(rt, id);
    return undefined;
  }
  // No exec fifo: the helper execs as soon as the container is set up (one process does both).
  await create(rt, id, bundle, { ...o, detached: false }, false);
  const r = rt.store.load(id);
  await hooksWarn(rt, 'poststart', r.config.hooks?.poststart, () => rt.store.ociState(r, 'running'));
  let code: number | undefined;
  try {
    code = await wait(rt, id);
  } finally {
    await remove(rt, id, { force: true });
  }
  return code;
}
