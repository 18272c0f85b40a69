// The cgroup v2 (unified) manager: one directory, controllers enabled in the ancestors.
import { watch, readFileSync, type FSWatcher } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { emptyStats, type Apply, type ApplyContext } from '../controller.js';
import { errnoOf, kernelError, parseFlatKeyed, readText, Tx, writeCg } from '../fs.js';
import { killUntilEmpty, removeTree, subtreePids } from '../lifecycle.js';
import { readPsi } from '../psi.js';
import {
  CgroupError,
  type CgroupEvent,
  type CgroupManager,
  type CgroupStats,
  type LinuxResources,
} from '../types.js';
import { validateResources } from '../validate.js';
import * as cpu from './cpu.js';
import * as cpuset from './cpuset.js';
import * as devices from './devices.js';
import { waitEvents } from './events-file.js';
import { isFrozen, setFrozen } from './freezer.js';
import * as hugetlb from './hugetlb.js';
import * as io from './io.js';
import * as memory from './memory.js';
import * as pids from './pids.js';
import * as unified from './unified.js';

/** Controllers enabled in every ancestor's cgroup.subtree_control, where available. */
export const WANTED_CONTROLLERS = ['cpuset', 'cpu', 'io', 'memory', 'pids', 'hugetlb', 'misc', 'rdma'];

// Order matters: devices last (its own update is atomic and it cannot be rolled back).
const APPLY: Apply[] = [
  cpu.apply,
  cpuset.apply,
  memory.apply,
  io.apply,
  pids.apply,
  hugetlb.apply,
  unified.apply,
  devices.apply,
];

export interface V2Options {
  mountPoint: string;
  /** The caller's own cgroup: ancestors above it are never written. */
  ownPath: string;
  /** Where the caller moves itself when its own cgroup must become an inner node. */
  supervisorPath: string;
  helper: string;
}

export class V2Manager implements CgroupManager {
  readonly mode = 'v2' as const;
  readonly dir: string;

  constructor(
    readonly path: string,
    private readonly o: V2Options,
  ) {
    this.dir = join(o.mountPoint, path);
  }

  dirs(): Record<string, string> {
    return { unified: this.dir };
  }

  async create(resources?: LinuxResources): Promise<void> {
    if (resources) validateResources(resources);
    const segs = this.path.split('/').filter(Boolean);
    for (let i = 0; i < segs.length; i++) {
      const p = '/' + segs.slice(0, i).join('/');
      await this.enableControllers(p);
      await mkdir(join(this.o.mountPoint, p, segs[i]!), { recursive: true });
    }
    if (resources) await this.apply(resources, false);
  }

  /** Enable the wanted controllers for the children of cgroup `p` (never for ancestors of our own). */
  private async enableControllers(p: string): Promise<void> {
    const own = this.o.ownPath;
    if (own !== '/' && !(p === own || p.startsWith(own + '/'))) return;
    const dir = join(this.o.mountPoint, p);
    const avail = ((await readText(dir, 'cgroup.controllers')) ?? '').trim().split(/\s+/);
    const enabled = ((await readText(dir, 'cgroup.subtree_control')) ?? '').trim().split(/\s+/);
    const missing = WANTED_CONTROLLERS.filter((c) => avail.includes(c) && !enabled.includes(c));
    for (const c of missing) {
      try {
        await writeCg(join(dir, 'cgroup.subtree_control'), `+${c}`);
      } catch (e) {
        if (errnoOf(e) === 'EBUSY' && p === own && own !== '/') {
          // No internal processes: our own cgroup cannot hand out controllers while we sit in it.
          await this.moveSelfToSupervisor();
          await writeCg(join(dir, 'cgroup.subtree_control'), `+${c}`).catch((e2: unknown) => {
            throw new CgroupError(
              `cannot enable the ${c} controller below ${p}: it still has processes of its own (${(e2 as Error).message}); ` +
                'start corral in a cgroup of its own or pass --cgroup-root',
              undefined,
              undefined,
              errnoOf(e2),
            );
          });
        }
        // Other failures (e.g. a threaded subtree) leave the controller off; writes needing it fail clearly.
      }
    }
  }

  private async moveSelfToSupervisor(): Promise<void> {
    const sup = join(this.o.mountPoint, this.o.supervisorPath);
    await mkdir(sup, { recursive: true });
    await writeCg(join(sup, 'cgroup.procs'), String(process.pid));
  }

  async addProcess(pid: number): Promise<void> {
    const path = join(this.dir, 'cgroup.procs');
    try {
      await writeCg(path, String(pid));
    } catch (e) {
      const errno = errnoOf(e);
      throw kernelError(
        path,
        String(pid),
        { field: 'pid' },
        e,
        errno === 'ESRCH'
          ? 'no such process'
          : errno === 'EBUSY'
            ? `${this.path} has child cgroups with controllers enabled; processes go into leaves`
            : errno === 'ENOENT'
              ? `${this.path} does not exist (create it first)`
              : undefined,
      );
    }
  }

  async update(resources: LinuxResources): Promise<void> {
    validateResources(resources);
    return this.apply(resources, true);
  }

  private async apply(r: LinuxResources, update: boolean): Promise<void> {
    const ctx: ApplyContext = { update, helper: this.o.helper };
    const tx = new Tx();
    try {
      for (const a of APPLY) await a(tx, this.dir, r, ctx);
    } catch (e) {
      await tx.rollback();
      throw e;
    }
  }

  async stats(): Promise<CgroupStats> {
    const s = emptyStats();
    await cpu.stats(this.dir, s);
    await memory.stats(this.dir, s);
    await io.stats(this.dir, s);
    await pids.stats(this.dir, s);
    const psi = await readPsi(this.dir);
    if (psi) s.psi = psi;
    return s;
  }

  watchEvents(onEvent: (e: CgroupEvent) => void): () => void {
    const file = join(this.dir, 'memory.events');
    const read = (): number => {
      try {
        return parseFlatKeyed(readFileSync(file, 'utf8')).get('oom_kill') ?? 0;
      } catch {
        return -1;
      }
    };
    let last = read();
    const check = (): void => {
      const now = read();
      if (now > last) onEvent({ type: 'oom-kill', cgroup: this.path, count: now });
      if (now >= 0) last = now;
    };
    let w: FSWatcher | undefined;
    let timer: NodeJS.Timeout | undefined;
    try {
      // kernfs notifies inotify watchers of memory.events on every counted event.
      w = watch(file, check);
      w.on('error', () => undefined);
    } catch {
      timer = setInterval(check, 500); // no inotify here: fall back to polling
    }
    return () => {
      w?.close();
      clearInterval(timer);
    };
  }

  freeze(): Promise<void> {
    return setFrozen(this.dir, true);
  }
  thaw(): Promise<void> {
    return setFrozen(this.dir, false);
  }
  async frozen(): Promise<boolean> {
    return isFrozen(this.dir);
  }

  pids(): Promise<number[]> {
    return subtreePids(this.dir);
  }

  async killAll(): Promise<void> {
    if ((await readText(this.dir, 'cgroup.events')) === undefined) return; // no such cgroup
    try {
      // cgroup.kill (5.14+) kills the whole subtree atomically, forks included.
      await writeCg(join(this.dir, 'cgroup.kill'), '1');
      if (await waitEvents(this.dir, 'populated', 0, 30000)) return;
    } catch (e) {
      if (errnoOf(e) !== 'ENOENT')
        throw kernelError(join(this.dir, 'cgroup.kill'), '1', { field: 'kill' }, e);
    }
    await killUntilEmpty(
      () => this.pids(),
      async (on) => setFrozen(this.dir, on, 5000),
    );
  }

  async remove(): Promise<void> {
    await this.killAll();
    await removeTree(this.dir);
  }
}

export function v2Path(...parts: string[]): string {
  return posix.join('/', ...parts);
}
