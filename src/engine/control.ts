// Acting on a container from any process: stop (the image's stop signal, SIGKILL after a
// timeout), wait for the exit its waiter records, and remove (a running one only when forced).
import { existsSync, readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { waitGone } from '../oci/proc.js';
import type { ContainerView, EngineContext } from './context.js';
import { EngineError, NoSuchContainer } from './errors.js';
import { monitorAlive } from './finish.js';
import { releaseRootfs } from './launch.js';
import type { ContainerRecord, ContainerState } from './store.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** SIGTERM (or the image's StopSignal), SIGKILL after `timeoutSecs`; resolves once it has exited. */
export async function stopContainer(
  ctx: EngineContext,
  ref: string,
  timeoutSecs = 10,
): Promise<ContainerView> {
  const id = ctx.store.lookup(ref);
  const s = await ctx.reconcile(id);
  if (s.status !== 'running' && s.status !== 'stopping') return { record: ctx.store.load(id), state: s };
  const rec = ctx.store.load(id);
  const sig = ctx.resolved.get(id)?.config.config?.StopSignal ?? 'SIGTERM';
  await ctx.runtime.kill(id, sig).catch(() => undefined);
  if (s.pid && !(await waitGone(s.pid, undefined, timeoutSecs * 1000))) {
    await ctx.runtime.kill(id, 'SIGKILL', { all: true }).catch(() => undefined);
  }
  return { record: rec, state: await waitExited(ctx, id) };
}

/** Wait until the waiter recorded the exit (or removed the container, with --rm). */
export async function waitExited(
  ctx: EngineContext,
  id: string,
  timeoutMs = 30_000,
): Promise<ContainerState> {
  const end = Date.now() + timeoutMs;
  let delay = 5;
  for (;;) {
    let s: ContainerState;
    try {
      s = await ctx.reconcile(id);
    } catch (e) {
      if (e instanceof NoSuchContainer) return { status: 'exited' }; // removed by --rm
      throw e;
    }
    if (s.status === 'exited') {
      // With --rm the waiter removes it right after recording: let it finish.
      const rec = ctx.store.load(id);
      if (!rec.run.rm || !s.monitorPid || !monitorAlive(s)) return s;
    }
    if (Date.now() > end) throw new EngineError(`container ${id.slice(0, 12)} did not exit in time`);
    await sleep(delay);
    delay = Math.min(delay * 2, 100);
  }
}

/** Remove a container; a running one only with `force` (killed first). */
export async function removeContainer(ctx: EngineContext, ref: string, force = false): Promise<string> {
  const { store, runtime } = ctx;
  const id = store.lookup(ref);
  const rec = store.load(id);
  const s = await ctx.reconcile(id);
  if (s.status === 'running' || s.status === 'stopping') {
    if (!force) {
      throw new EngineError(
        `container ${rec.name} is running; stop it first (corral stop ${rec.name}) or use corral rm -f`,
      );
    }
    await runtime.kill(id, 'SIGKILL', { all: true }).catch(() => undefined);
    await waitExited(ctx, id).catch(() => undefined);
    if (!existsSync(store.dir(id))) return id; // --rm: the waiter removed it
    const w = store.loadState(id);
    if (w.monitorPid && monitorAlive(w)) await waitGone(w.monitorPid, undefined, 10_000);
  }
  await ctx.detach(rec);
  await runtime.delete(id, { force: true }).catch(() => undefined);
  await releaseRootfs(ctx, id);
  unmountOrphanRootfs(ctx, store.load(id));
  store.remove(id, rec.name);
  return id;
}

/**
 * A rootfs mounted on the host (the fallback when the overlay options are too long to mount in
 * the container) of a container whose waiter died: unmount it before the directory goes.
 */
function unmountOrphanRootfs(ctx: EngineContext, rec: ContainerRecord): void {
  if (!rec.rootfs || ctx.prepared.has(rec.id)) return;
  const esc = rec.rootfs.replace(/[ \t\n\\]/g, (c) => `\\${c.charCodeAt(0).toString(8).padStart(3, '0')}`);
  const mounted = readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .some((l) => l.split(' ')[4] === esc);
  if (mounted) spawnSync('umount', ['-l', rec.rootfs], { stdio: 'ignore' });
}
