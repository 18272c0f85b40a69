// What every Runtime operation shares: the state store, the log, the cgroup driver (opened on
// first use) and the derived status. Kept small and free of the create/exec machinery, so that
// `corral-oci state|start|delete|kill` load only this, state.ts and the verb's module.
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { CgroupDriver, CgroupManager } from '../kernel/cgroup/types.js';
import { OciError, oneLine } from './errors.js';
import { compileSeccomp, openCgroupDriver } from './kernel.js';
import type { LogLevel, RuntimeOptions } from './runtime.js';
import type { ContainerStatus, Spec } from './spec.js';
import { StateStore, type ContainerRecord } from './state.js';
import { joinClean } from '../util/join-clean.js';

export const DEFAULT_ROOT = '/run/corral-oci';

export class RuntimeCore {
  readonly root: string;
  readonly store: StateStore;
  private driver?: Promise<CgroupDriver | undefined>;
  /** Exit statuses of non-detached inits started by this process. */
  readonly exits = new Map<string, Promise<number>>();

  constructor(readonly opts: RuntimeOptions) {
    this.root = resolve(opts.root ?? DEFAULT_ROOT);
    this.store = new StateStore(this.root, !!opts.exclusiveRoot);
  }

  log(level: LogLevel, msg: string): void {
    this.opts.log?.(level, msg);
  }

  cgroups(): Promise<CgroupDriver | undefined> {
    this.driver ??= openCgroupDriver(this.opts.cgroupRoot, this.opts.helperPath).catch((e) => {
      this.log('warn', `cgroups unavailable: ${oneLine(e)}`);
      return undefined;
    });
    return this.driver;
  }

  async manager(r: ContainerRecord): Promise<CgroupManager | undefined> {
    if (!r.cgroupsPath) return undefined;
    const driver = await this.cgroups();
    // From the directories noted at create (records made before that: from the path).
    return r.cgroupDirMap ? driver?.open(r.cgroupDirMap) : driver?.manager(r.cgroupsPath);
  }

  async needManager(r: ContainerRecord, what: string): Promise<CgroupManager> {
    const m = await this.manager(r);
    if (!m)
      throw new OciError(`cannot ${what} container "${r.id}": it has no cgroup (cgroup driver unavailable)`);
    return m;
  }

  async statusOf(r: ContainerRecord): Promise<ContainerStatus> {
    const s = this.store.baseStatus(r);
    if (s === 'running' || s === 'created') {
      if (await this.frozen(r)) return 'paused';
    }
    return s;
  }

  /**
   * Whether the container's cgroup is frozen. The freezer file noted at create time is read
   * directly: one read instead of loading and opening the cgroup driver (~15 ms) on every
   * start/state/kill. Records without it (made before) ask the driver.
   */
  private async frozen(r: ContainerRecord): Promise<boolean> {
    if (r.freezerFile !== undefined) {
      if (r.freezerFile === '') return false;
      let t: string;
      try {
        t = readFileSync(r.freezerFile, 'utf8');
      } catch {
        return false; // the cgroup is gone
      }
      // As the drivers' frozen(): v1 freezer.state FROZEN (not FREEZING), v2 cgroup.events "frozen 1".
      return r.freezerFile.endsWith('cgroup.events') ? /^frozen 1$/m.test(t) : t.trim() === 'FROZEN';
    }
    const m = await this.manager(r).catch(() => undefined);
    return !!m && (await m.frozen().catch(() => false));
  }

  seccompPath(spec: Spec): Promise<string | undefined> {
    if (!spec.linux?.seccomp) return Promise.resolve(undefined);
    return compileSeccomp(spec.linux.seccomp, joinClean(this.root, '.seccomp-cache'), this.opts.helperPath);
  }
}

export function writePidFile(path: string, pid: number): void {
  const abs = resolve(path);
  const tmp = joinClean(dirname(abs), `.${Date.now()}.pid.tmp`);
  writeFileSync(tmp, String(pid));
  renameSync(tmp, abs);
}

export function fdList(p: number | number[] | undefined): number[] {
  if (Array.isArray(p)) return p;
  return Array.from({ length: p ?? 0 }, (_, i) => 3 + i);
}
