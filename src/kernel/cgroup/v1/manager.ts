// The cgroup v1/hybrid manager: one directory per hierarchy (plus the cgroup2 one on hybrid hosts,
// which gives PSI and cgroup.kill).
import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';

import { emptyStats, R, type Apply, type ApplyContext } from '../controller.js';
import { errnoOf, kernelError, readText, Tx, writeCgPooled } from '../fs.js';
import { killUntilEmpty, removeTree, subtreePids } from '../lifecycle.js';
import { LineSplitter } from '../../plan/lines.js';
import { readPsi } from '../psi.js';
import {
  CgroupError,
  type CgroupEvent,
  type CgroupManager,
  type CgroupStats,
  type LinuxResources,
} from '../types.js';
import { validateResources } from '../validate.js';
import * as blkio from './blkio.js';
import * as cpu from './cpu.js';
import * as cpuacct from './cpuacct.js';
import * as cpuset from './cpuset.js';
import * as devices from './devices.js';
import * as freezer from './freezer.js';
import * as hugetlb from './hugetlb.js';
import * as memory from './memory.js';
import * as pids from './pids.js';
import { joinClean } from '../../../util/join-clean.js';

/** Which hierarchy each module writes to; devices last (see v2/manager.ts). */
const APPLY: [string, Apply][] = [
  ['cpu', cpu.apply],
  ['cpuset', cpuset.apply],
  ['memory', memory.apply],
  ['blkio', blkio.apply],
  ['pids', pids.apply],
  ['hugetlb', hugetlb.apply],
  ['devices', devices.apply],
];

/** Which resource needs which hierarchy (to say so when it is not mounted). */
const NEEDS: [keyof LinuxResources, string][] = [
  ['memory', 'memory'],
  ['pids', 'pids'],
  ['blockIO', 'blkio'],
  ['hugepageLimits', 'hugetlb'],
  ['devices', 'devices'],
];

export interface V1Options {
  /** Hierarchy key (controller name, or `unified` on hybrid hosts) → directory of this cgroup. */
  dirs: Record<string, string>;
  /** Hierarchy key → mount point. */
  mounts: Record<string, string>;
  helper: string;
}

export class V1Manager implements CgroupManager {
  readonly mode = 'v1' as const;

  constructor(
    readonly path: string,
    private readonly o: V1Options,
  ) {}

  dirs(): Record<string, string> {
    return { ...this.o.dirs };
  }

  private dir(key: string): string | undefined {
    return this.o.dirs[key];
  }

  /** Distinct directories (co-mounted controllers share one). */
  private uniqueDirs(): string[] {
    return [...new Set(Object.values(this.o.dirs))];
  }

  async create(resources?: LinuxResources): Promise<void> {
    if (resources) this.check(resources);
    // Synchronous: a cgroupfs mkdir is a short kernel call, cheaper than a thread-pool round trip.
    let csFirstNew: string | undefined;
    for (const [key, d] of Object.entries(this.o.dirs)) {
      try {
        const first = mkdirSync(d, { recursive: true });
        if (key === 'cpuset') csFirstNew = first;
      } catch (e) {
        if (key === 'unified') continue; // the hybrid cgroup2 tree is a bonus (PSI), not a must
        throw new CgroupError(`create ${d}: ${(e as Error).message}`, undefined, undefined, errnoOf(e));
      }
    }
    const cs = this.dir('cpuset');
    const csMount = this.o.mounts['cpuset'];
    // Each new level below the mount starts empty and takes no task until filled from its parent.
    if (cs && csMount) cpuset.fillLevels(csMount, cs, csFirstNew);
    if (resources) await this.apply(resources, false);
  }

  private check(r: LinuxResources): void {
    validateResources(r);
    if (r.unified && Object.keys(r.unified).length > 0) {
      throw new CgroupError(
        `${R}.unified: cgroup v2 keys (${Object.keys(r.unified).join(', ')}) need a cgroup v2 host; this host runs cgroup v1`,
        `${R}.unified`,
      );
    }
    for (const [res, h] of NEEDS) {
      if (r[res] !== undefined && !this.dir(h)) {
        throw new CgroupError(
          `${R}.${res}: the ${h} cgroup controller is not mounted on this host`,
          `${R}.${res}`,
        );
      }
    }
  }

  procsFiles(): { path: string; required: boolean }[] {
    const unified = this.dir('unified');
    return this.uniqueDirs().map((d) => ({ path: joinClean(d, 'cgroup.procs'), required: d !== unified }));
  }

  async addProcess(pid: number): Promise<void> {
    for (const { path, required } of this.procsFiles()) {
      try {
        await writeCgPooled(path, String(pid));
      } catch (e) {
        if (!required) continue;
        const errno = errnoOf(e);
        throw kernelError(
          path,
          String(pid),
          { field: 'pid' },
          e,
          errno === 'ESRCH' ? 'no such process' : undefined,
        );
      }
    }
  }

  async update(resources: LinuxResources): Promise<void> {
    this.check(resources);
    return this.apply(resources, true);
  }

  private async apply(r: LinuxResources, update: boolean): Promise<void> {
    const ctx: ApplyContext = { update, helper: this.o.helper };
    const tx = new Tx();
    try {
      for (const [key, a] of APPLY) {
        const d = this.dir(key);
        if (d) await a(tx, d, r, ctx);
      }
    } catch (e) {
      await tx.rollback();
      throw e;
    }
  }

  async stats(): Promise<CgroupStats> {
    const s = emptyStats();
    const d = (k: string): string | undefined => this.dir(k);
    if (d('cpuacct')) await cpuacct.stats(d('cpuacct')!, s);
    if (d('cpu')) await cpu.stats(d('cpu')!, s);
    if (d('memory')) await memory.stats(d('memory')!, s);
    if (d('blkio')) await blkio.stats(d('blkio')!, s);
    if (d('pids')) await pids.stats(d('pids')!, s);
    const u = d('unified');
    if (u) {
      const psi = await readPsi(u);
      if (psi) s.psi = psi;
    }
    return s;
  }

  watchEvents(onEvent: (e: CgroupEvent) => void): () => void {
    const mem = this.dir('memory');
    if (!mem) return () => undefined;
    // The helper registers an eventfd on memory.oom_control and prints a line per OOM.
    const child = spawn(this.o.helper, ['oom-watch-v1', mem], { stdio: ['pipe', 'pipe', 'ignore'] });
    let last = -1;
    // Lines split here: node:readline would be loaded by every CLI that opens this driver.
    const lines = new LineSplitter();
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      for (const line of lines.push(chunk)) {
        const [kind, n] = line.split(' ');
        const count = Number(n);
        if (kind === 'ready') last = count;
        else if (kind === 'oom' && count > last) {
          last = count;
          onEvent({ type: 'oom-kill', cgroup: this.path, count });
        }
      }
    });
    child.on('error', () => undefined);
    // A watcher must not keep the caller alive: unref the process and its pipes.
    child.unref();
    for (const s of [child.stdin, child.stdout] as unknown as { unref?: () => void }[]) s.unref?.();
    return () => {
      child.stdin.end();
      if (child.exitCode === null && child.pid) {
        try {
          process.kill(child.pid, 'SIGTERM');
        } catch {
          /* gone */
        }
      }
    };
  }

  async freeze(): Promise<void> {
    const d = this.dir('freezer');
    if (!d) throw new CgroupError('freeze: the freezer cgroup controller is not mounted on this host');
    await freezer.setFrozen(d, true);
  }

  async thaw(): Promise<void> {
    const d = this.dir('freezer');
    if (!d) throw new CgroupError('thaw: the freezer cgroup controller is not mounted on this host');
    await freezer.setFrozen(d, false);
  }

  async frozen(): Promise<boolean> {
    const d = this.dir('freezer');
    return d ? freezer.isFrozen(d) : false;
  }

  async pids(): Promise<number[]> {
    const all = new Set<number>();
    // Any hierarchy would do; take the union in case a process was moved in one only.
    for (const [k, d] of Object.entries(this.o.dirs)) {
      if (k === 'unified') continue;
      for (const p of await subtreePids(d)) all.add(p);
    }
    return [...all];
  }

  async killAll(): Promise<void> {
    const fz = this.dir('freezer');
    const exists =
      (await readText(fz ?? this.uniqueDirs()[0] ?? '/nonexistent', 'cgroup.procs')) !== undefined;
    if (!exists) return;
    await killUntilEmpty(
      () => this.pids(),
      fz && (await readText(fz, 'freezer.state')) !== undefined
        ? (on) => freezer.setFrozen(fz, on, 5000)
        : undefined,
    );
  }

  async remove(): Promise<void> {
    await this.killAll();
    for (const d of this.uniqueDirs()) await removeTree(d);
  }
}
