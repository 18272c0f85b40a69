// The container's cgroup after create: freeze (pause), thaw (resume), change limits (update).
import type { LinuxResources } from '../kernel/cgroup/types.js';
import type { RuntimeCore } from './core.js';
import { OciError } from './errors.js';

export async function pause(rt: RuntimeCore, id: string): Promise<void> {
  const r = rt.store.load(id);
  await rt.store.withLock(id, async () => {
    const status = await rt.statusOf(r);
    if (status !== 'running' && status !== 'created')
      throw new OciError(`cannot pause container "${id}": it is ${status}`);
    await (await rt.needManager(r, 'pause')).freeze();
  });
}

export async function resume(rt: RuntimeCore, id: string): Promise<void> {
  const r = rt.store.load(id);
  await rt.store.withLock(id, async () => {
    const status = await rt.statusOf(r);
    if (status !== 'paused')
      throw new OciError(`cannot resume container "${id}": it is ${status}, not paused`);
    await (await rt.needManager(r, 'resume')).thaw();
  });
}

/** Change the cgroup limits of a running container (and remember them in its state). */
export async function update(rt: RuntimeCore, id: string, resources: LinuxResources): Promise<void> {
  const r = rt.store.load(id);
  await rt.store.withLock(id, async () => {
    const status = await rt.statusOf(r);
    if (status === 'stopped') throw new OciError(`cannot update container "${id}": it is stopped`);
    await (await rt.needManager(r, 'update')).update(resources);
    const linux = (r.config.linux ??= {});
    linux.resources = { ...linux.resources, ...resources };
    rt.store.save(r);
  });
}
