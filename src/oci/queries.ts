// Read-only questions about containers: their processes (ps) and the list of all of them.
import { readdirSync, readlinkSync, statSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import type { RuntimeCore } from './core.js';
import { processAlive } from './proc.js';
import type { ListEntry } from './runtime.js';
import type { ContainerRecord } from './state.js';

/** Host PIDs of the container's processes (the cgroup's, else those in the init's PID namespace). */
export async function ps(rt: RuntimeCore, r: ContainerRecord): Promise<number[]> {
  const mgr = await rt.manager(r);
  if (mgr) return (await mgr.pids()).sort((a, b) => a - b);
  if (!r.pid || !processAlive(r.pid, r.pidStartTime)) return [];
  let ns: string;
  try {
    ns = readlinkSync(`/proc/${r.pid}/ns/pid`);
  } catch {
    return [];
  }
  const out: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      if (readlinkSync(`/proc/${d}/ns/pid`) === ns) out.push(Number(d));
    } catch {
      /* exited */
    }
  }
  return out.sort((a, b) => a - b);
}

export async function list(rt: RuntimeCore): Promise<ListEntry[]> {
  const out: ListEntry[] = [];
  for (const id of rt.store.ids()) {
    let r: ContainerRecord;
    try {
      r = rt.store.load(id);
    } catch {
      continue;
    }
    const status = await rt.statusOf(r);
    let owner = 'root';
    try {
      const uid = statSync(rt.store.dir(id)).uid;
      owner = uid === 0 ? 'root' : String(uid);
    } catch {
      /* removed meanwhile */
    }
    const root = r.config.root;
    out.push({
      ociVersion: r.config.ociVersion,
      id,
      pid: status === 'stopped' ? 0 : (r.pid ?? 0),
      status,
      bundle: r.bundle,
      rootfs: root ? (isAbsolute(root.path) ? root.path : resolve(r.bundle, root.path)) : '',
      created: r.created,
      owner,
      ...(r.annotations ? { annotations: r.annotations } : {}),
    });
  }
  return out;
}
