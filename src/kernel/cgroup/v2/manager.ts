// The cgroup v2 (unified) manager: one directory, controllers enabled in the ancestors.
import { mkdirSync, watch, readFileSync, type FSWatcher } from 'node:fs';
import { posix } from 'node:path';
import { emptyStats, type Apply, type ApplyContext } from '../controller.js';
import { errnoOf, kernelError, parseFlatKeyed, readText, Tx, writeCg, writeCgPooled } from '../fs.js';
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
import { joinClean } from '../../../util/join-clean.js';

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
    this.dir = joinClean(o.mountPoint, path);
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
      mkdirSync(joinClean(this.o.mountPoint, p, segs[i]!), { recursive: true });
    }
    if (resources) await this.apply(resources, false);
  }

  /** Enable the wanted controllers for the children of cgroup `p` (never for ancestors of our own). */
  private async enableControllers(p: string): Promise<void> {
    const own = this.o.ownPath;
    if (!this.isMine(p)) return;
    const dir = joinClean(this.o.mountPoint, p);
    const missing = await this.notEnabled(dir);
    if (missing.length === 0) return;
    // No internal processes: a cgroup with processes cannot hand domain controllers to its
    // children. Threaded ones (cpuset, cpu, pids) it can, but that turns it into a thread root
    // whose new children are "domain invalid" and get no controllers at all. So leave first.
    if (p === own && own !== '/') await this.vacateOwn(dir);
    for (const c of missing) {
      try {
        await writeCg(joinClean(dir, 'cgroup.subtree_control'), `+${c}`);
      } catch (e) {
        if (errnoOf(e) === 'EBUSY' && p === own && own !== '/') {
          // A process joined after the check (or it was not a process of ours to move).
          throw this.othersError(await this.procsOf(dir));
        }
        // Other failures (e.g. a threaded subtree) leave the controller off; writes needing it
        // then fail naming where it stopped (whyMissing).
      }
    }
  }

  /** Inside our own cgroup (where we may write), or everywhere when that is the root. */
  private isMine(p: string): boolean {
    const own = this.o.ownPath;
    return own === '/' || p === own || p.startsWith(own + '/');
  }

  /** Wanted controllers available in `dir` but not yet enabled for its children. */
  private async notEnabled(dir: string): Promise<string[]> {
    const avail = words(await readText(dir, 'cgroup.controllers'));
    const enabled = words(await readText(dir, 'cgroup.subtree_control'));
    return WANTED_CONTROLLERS.filter((c) => avail.includes(c) && !enabled.includes(c));
  }

  private async procsOf(dir: string): Promise<number[]> {
    return words(await readText(dir, 'cgroup.procs')).map(Number);
  }

  /** Move this process out of our own cgroup (into the supervisor leaf) so it becomes an inner node. */
  private async vacateOwn(dir: string): Promise<void> {
    const procs = await this.procsOf(dir);
    if (procs.length === 0) return;
    // Moving only ourselves would not empty it; moving the others is not ours to do.
    if (procs.some((p) => p !== process.pid)) throw this.othersError(procs);
    const sup = joinClean(this.o.mountPoint, this.o.supervisorPath);
    mkdirSync(sup, { recursive: true });
    try {
      await writeCg(joinClean(sup, 'cgroup.procs'), String(process.pid));
    } catch (e) {
      throw new CgroupError(
        `cgroup v2: cannot move corral (pid ${process.pid}) into ${this.o.supervisorPath} to free ${this.o.ownPath} for controllers: ${(e as Error).message}`,
        'cgroupRoot',
        this.o.supervisorPath,
        errnoOf(e),
      );
    }
  }

  private othersError(procs: number[]): CgroupError {
    const own = this.o.ownPath;
    const others = procs.filter((p) => p !== process.pid);
    return new CgroupError(
      `cgroup v2: ${own} has other processes (pids ${others.join(' ') || '?'}), so controllers cannot be enabled below it; ` +
        'start corral in its own cgroup (e.g. systemd-run --scope -p Delegate=yes …) or pass --cgroup-root',
      'cgroupRoot',
      own,
      'EBUSY',
    );
  }

  /**
   * Why a controller's file (`pids.max` ...) is missing here: the first cgroup on the way down
   * that does not hand the controller to its children, and what to do about it.
   */
  private async whyMissing(file: string): Promise<string | undefined> {
    const ctrl = file.split('.')[0]!;
    if (!WANTED_CONTROLLERS.includes(ctrl)) return undefined;
    const segs = this.path.split('/').filter(Boolean);
    for (let i = 0; i < segs.length; i++) {
      const p = '/' + segs.slice(0, i).join('/');
      const dir = joinClean(this.o.mountPoint, p);
      if (!words(await readText(dir, 'cgroup.controllers')).includes(ctrl))
        return `${file} does not exist: this kernel has no ${ctrl} controller (${dir}/cgroup.controllers)`;
      if (words(await readText(dir, 'cgroup.subtree_control')).includes(ctrl)) continue;
      if (!this.isMine(p)) {
        return (
          `${file} does not exist: the ${ctrl} controller is not delegated to ${this.o.ownPath} ` +
          `(${p}/cgroup.subtree_control lacks it); enable it there (echo +${ctrl} > ${dir}/cgroup.subtree_control) ` +
          'or start corral with controllers delegated (e.g. systemd-run --scope -p Delegate=yes …)'
        );
      }
      const type = (await readText(dir, 'cgroup.type'))?.trim();
      return (
        `${file} does not exist: the ${ctrl} controller could not be enabled in ${p}/cgroup.subtree_control` +
        (type && type !== 'domain' ? ` (its cgroup.type is ${type})` : '')
      );
    }
    return undefined;
  }

  procsFiles(): { path: string; required: boolean }[] {
    return [{ path: joinClean(this.dir, 'cgroup.procs'), required: true }];
  }

  async addProcess(pid: number): Promise<void> {
    const path = joinClean(this.dir, 'cgroup.procs');
    try {
      await writeCgPooled(path, String(pid));
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
    const tx = new Tx((file) => this.whyMissing(file));
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
    const file = joinClean(this.dir, 'memory.events');
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
      await writeCg(joinClean(this.dir, 'cgroup.kill'), '1');
      if (await waitEvents(this.dir, 'populated', 0, 30000)) return;
    } catch (e) {
      if (errnoOf(e) !== 'ENOENT')
        throw kernelError(joinClean(this.dir, 'cgroup.kill'), '1', { field: 'kill' }, e);
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

function words(text: string | undefined): string[] {
  return (text ?? '').split(/\s+/).filter(Boolean);
}

export function v2Path(...parts: string[]): string {
  return posix.join('/', ...parts);
}
