// The OCI runtime as a library: create/start/state/kill/delete/run/exec/ps/list/pause/resume/
// update/features, usable inside a long-running Node process (the node agent) and by the
// `corral-oci` CLI. Lifecycle and status transitions follow runtime-spec runtime.md and runc.
import { spawnSync } from 'node:child_process';
import {
  closeSync,
  constants as fsc,
  openSync,
  readFileSync,
  readSync,
  readdirSync,
  readlinkSync,
  renameSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { constants as osConstants } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import type { CgroupDriver, CgroupManager, LinuxResources } from '../kernel/cgroup/types.js';
import { deviceRules } from './devices.js';
import { OciError, oneLine } from './errors.js';
import { features, type Features } from './features.js';
import { runHooks, runHooksWarn } from './hooks.js';
import { compileSeccomp, openCgroupDriver, startPlan, type StartedPlan, type StdioSpec } from './kernel.js';
import { buildCreatePlan, buildExecPlan, rootfsPath } from './plan-builder.js';
import { procStat, processAlive, waitGone } from './proc.js';
import { parseSignal } from './signals.js';
import type { ContainerStatus, OciState, Process, Spec } from './spec.js';
import { StateStore, checkId, type ContainerRecord } from './state.js';
import { parseSpec } from './validate.js';

export const DEFAULT_ROOT = '/run/corral-oci';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface RuntimeOptions {
  /** State directory (runc's --root). */
  root?: string;
  /** Corral's cgroup root (relative cgroupsPath are placed below it). */
  cgroupRoot?: string;
  /** Path of corral-helper (default: the driver's). */
  helperPath?: string;
  log?: (level: LogLevel, msg: string) => void;
}

export interface CreateOptions {
  pidFile?: string;
  consoleSocket?: string;
  noPivot?: boolean;
  /** Extra fds for the process (they become 3, 4, ...): a count of this process's fds 3.., or a list. */
  preserveFds?: number | number[];
  /** stdio of the container process (default: inherit). */
  stdio?: [StdioSpec, StdioSpec, StdioSpec];
  /**
   * true (the CLI): the helper exits once the container is created; the init is reparented.
   * false (library): the helper stays, reaps the init and reports its exit status (see wait()).
   */
  detached?: boolean;
  /** Called with the host PID of the container process as soon as it is created. */
  onCreated?: (pid: number) => void;
}

export interface ExecOptions {
  tty?: boolean;
  consoleSocket?: string;
  detach?: boolean;
  pidFile?: string;
  preserveFds?: number | number[];
  stdio?: [StdioSpec, StdioSpec, StdioSpec];
}

export interface ExecResult {
  pid: number;
  /** Exit status (128+signal when killed); undefined with detach. */
  exited?: Promise<number>;
}

export interface ListEntry {
  ociVersion: string;
  id: string;
  pid: number;
  status: ContainerStatus;
  bundle: string;
  rootfs: string;
  created: string;
  owner: string;
  annotations?: Record<string, string>;
}

function exitCode(e: { code: number | null; signal: NodeJS.Signals | null; error?: Error }): number {
  if (e.code !== null) return e.code;
  return 128 + (e.signal ? (osConstants.signals[e.signal] ?? 0) : 0);
}

function writePidFile(path: string, pid: number): void {
  const abs = resolve(path);
  const tmp = join(dirname(abs), `.${Date.now()}.pid.tmp`);
  writeFileSync(tmp, String(pid));
  renameSync(tmp, abs);
}

function fdList(p: number | number[] | undefined): number[] {
  if (Array.isArray(p)) return p;
  return Array.from({ length: p ?? 0 }, (_, i) => 3 + i);
}

const INHERIT: [StdioSpec, StdioSpec, StdioSpec] = ['inherit', 'inherit', 'inherit'];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class Runtime {
  readonly root: string;
  readonly store: StateStore;
  private driver?: Promise<CgroupDriver | undefined>;
  /** Exit statuses of non-detached inits started by this process. */
  private exits = new Map<string, Promise<number>>();

  constructor(private readonly opts: RuntimeOptions = {}) {
    this.root = resolve(opts.root ?? DEFAULT_ROOT);
    this.store = new StateStore(this.root);
  }

  private log(level: LogLevel, msg: string): void {
    this.opts.log?.(level, msg);
  }

  private cgroups(): Promise<CgroupDriver | undefined> {
    this.driver ??= openCgroupDriver(this.opts.cgroupRoot, this.opts.helperPath).catch((e) => {
      this.log('warn', `cgroups unavailable: ${oneLine(e)}`);
      return undefined;
    });
    return this.driver;
  }

  private async manager(r: ContainerRecord): Promise<CgroupManager | undefined> {
    if (!r.cgroupsPath) return undefined;
    return (await this.cgroups())?.manager(r.cgroupsPath);
  }

  private async needManager(r: ContainerRecord, what: string): Promise<CgroupManager> {
    const m = await this.manager(r);
    if (!m)
      throw new OciError(`cannot ${what} container "${r.id}": it has no cgroup (cgroup driver unavailable)`);
    return m;
  }

  private async statusOf(r: ContainerRecord): Promise<ContainerStatus> {
    const s = this.store.baseStatus(r);
    if (s === 'running' || s === 'created') {
      const m = await this.manager(r).catch(() => undefined);
      if (m && (await m.frozen().catch(() => false))) return 'paused';
    }
    return s;
  }

  private seccompPath(spec: Spec): Promise<string | undefined> {
    return spec.linux?.seccomp
      ? compileSeccomp(spec.linux.seccomp, join(this.root, '.seccomp-cache'), this.opts.helperPath)
      : Promise.resolve(undefined);
  }

  /** Read and validate <bundle>/config.json. */
  loadBundle(bundle: string): Spec {
    const dir = resolve(bundle);
    let text: string;
    try {
      text = readFileSync(join(dir, 'config.json'), 'utf8');
    } catch (e) {
      throw new OciError(
        `cannot read ${join(dir, 'config.json')}: ${(e as NodeJS.ErrnoException).code ?? oneLine(e)}`,
      );
    }
    return parseSpec(text, join(dir, 'config.json'));
  }

  /** `create`: set the container up; its process waits for `start` on the exec fifo. */
  async create(id: string, bundle: string, o: CreateOptions = {}): Promise<{ pid: number }> {
    return this.createInternal(id, bundle, o, true);
  }

  private async createInternal(
    id: string,
    bundle: string,
    o: CreateOptions,
    fifo: boolean,
  ): Promise<{ pid: number }> {
    checkId(id);
    const bundleDir = resolve(bundle);
    const spec = this.loadBundle(bundleDir);
    const rootfs = rootfsPath(spec, bundleDir);
    try {
      if (!statSync(rootfs).isDirectory()) throw new Error();
    } catch {
      throw new OciError(`is not a directory: ${rootfs}`, 'root.path');
    }
    const detached = o.detached ?? true;
    const preserve = fdList(o.preserveFds);
    this.store.reserve(id);
    const r: ContainerRecord = {
      id,
      bundle: bundleDir,
      created: new Date().toISOString(),
      annotations: spec.annotations,
      config: spec,
    };
    let mgr: CgroupManager | undefined;
    let started: StartedPlan | undefined;
    try {
      await this.store.withLock(id, async () => {
        this.store.save(r);
        const execFifo = fifo ? this.store.fifo(id) : undefined;
        if (execFifo) {
          const mk = spawnSync('mkfifo', ['-m', '0622', execFifo]);
          if (mk.status !== 0) throw new OciError(`mkfifo ${execFifo}: ${mk.stderr?.toString().trim()}`);
        }
        const driver = await this.cgroups();
        if (driver) {
          mgr = driver.manager(spec.linux?.cgroupsPath || id);
          const resources: LinuxResources = {
            ...spec.linux?.resources,
            devices: deviceRules(spec.linux?.resources?.devices, spec.linux?.devices),
          };
          await mgr.create(resources);
          r.cgroupsPath = spec.linux?.cgroupsPath || id;
          r.cgroupPath = mgr.path;
        }
        const seccompBpf = await this.seccompPath(spec);
        if (!detached) r.exitStatusFile = this.store.exitFile(id);
        const plan = buildCreatePlan(spec, {
          bundle: bundleDir,
          execFifo,
          noPivot: o.noPivot,
          consoleSocket: o.consoleSocket,
          preserveFds: preserve.length,
          detached,
          exitStatusFile: r.exitStatusFile,
          seccompBpf,
          allowTerminalWithoutSocket: !detached,
          cgroup: mgr ? { mode: mgr.mode, dirs: mgr.dirs() } : undefined,
        });
        const state = (status: ContainerStatus): OciState => this.store.ociState(r, status);
        started = await startPlan(plan, {
          stdio: o.stdio ?? INHERIT,
          preserveFds: preserve,
          detached,
          helper: this.opts.helperPath,
          onPid: async (pid) => {
            r.pid = pid;
            r.pidStartTime = procStat(pid)?.startTime;
            await mgr?.addProcess(pid);
            this.store.save(r);
          },
          onPrestart: async () => {
            await runHooks('createRuntime', spec.hooks?.createRuntime, state('creating'));
            await runHooks('prestart', spec.hooks?.prestart, state('creating'));
          },
          stateJson: (pid) => JSON.stringify({ ...state('creating'), pid }),
        });
        r.pid = started.pid;
        r.pidStartTime ??= procStat(started.pid)?.startTime;
        r.ready = true;
        if (!fifo) r.started = true;
        this.store.save(r);
        if (!detached) {
          this.exits.set(
            id,
            started.exited.then((e) => {
              if (e.error) this.log('error', `container ${id}: ${e.error.message}`);
              return exitCode(e);
            }),
          );
        }
        if (o.pidFile) writePidFile(o.pidFile, started.pid);
        o.onCreated?.(started.pid);
      });
    } catch (e) {
      await this.destroyFailed(r, mgr, started);
      throw e;
    }
    this.log('debug', `created ${id} pid ${r.pid}`);
    return { pid: r.pid! };
  }

  private async destroyFailed(
    r: ContainerRecord,
    mgr: CgroupManager | undefined,
    started?: StartedPlan,
  ): Promise<void> {
    const pid = started?.pid ?? r.pid;
    try {
      if (pid && processAlive(pid, r.pidStartTime)) process.kill(pid, 'SIGKILL');
    } catch {
      /* gone */
    }
    // The helper reaps the container process; give it the chance so no zombie is left to a
    // PID 1 that may not reap orphans, and only then kill it.
    if (started && started.helper.exitCode === null) {
      const exited = await Promise.race([
        started.exited.then(() => true),
        new Promise<false>((res) => setTimeout(res, 2000, false)),
      ]);
      if (!exited) started.helper.kill('SIGKILL');
    }
    if (pid) await waitGone(pid, r.pidStartTime, 5000);
    await mgr?.remove().catch((e) => this.log('warn', `cgroup cleanup of ${r.id}: ${oneLine(e)}`));
    this.store.remove(r.id);
  }

  /** `start`: let the created container's process exec (read the exec fifo), run poststart hooks. */
  async start(id: string): Promise<void> {
    const r = this.store.load(id);
    await this.store.withLock(id, async () => {
      const status = await this.statusOf(r);
      if (status !== 'created')
        throw new OciError(`cannot start container "${id}": it is ${status}, not created`);
      await this.readFifo(r);
      r.started = true;
      this.store.save(r);
    });
    await runHooksWarn('poststart', r.config.hooks?.poststart, this.store.ociState(r, 'running'), (m) =>
      this.log('warn', m),
    );
  }

  private async readFifo(r: ContainerRecord): Promise<void> {
    const path = this.store.fifo(r.id);
    // Non-blocking: a dead init must not hang `start` (runc polls the fifo and a pidfd).
    const fd = openSync(path, fsc.O_RDONLY | fsc.O_NONBLOCK);
    try {
      const buf = Buffer.alloc(1);
      let delay = 0.2;
      for (;;) {
        let n = 0;
        try {
          n = readSync(fd, buf, 0, 1, null);
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') throw e;
        }
        if (n === 1) break;
        if (!processAlive(r.pid!, r.pidStartTime)) {
          throw new OciError(`cannot start container "${r.id}": its process exited before start`);
        }
        await sleep(delay);
        delay = Math.min(delay * 2, 20);
      }
    } finally {
      closeSync(fd);
    }
    unlinkSync(path);
  }

  /** The OCI state of a container. */
  async state(id: string): Promise<OciState> {
    const r = this.store.load(id);
    return this.store.ociState(r, await this.statusOf(r));
  }

  /** Send a signal (name or number) to the init, or with `all` to every process of the container. */
  async kill(id: string, signal: string | number = 'SIGTERM', o: { all?: boolean } = {}): Promise<void> {
    const sig = parseSignal(signal);
    const r = this.store.load(id);
    const status = await this.statusOf(r);
    if (status === 'stopped' || status === 'creating') {
      if (!o.all) throw new OciError(`cannot kill container "${id}": it is ${status}`);
    }
    const pids = o.all ? await this.ps(id) : [r.pid!];
    for (const pid of pids) {
      try {
        process.kill(pid, sig);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ESRCH') throw e;
      }
    }
    // Frozen tasks only act on SIGKILL once thawed.
    if (status === 'paused' && sig === 9) await (await this.manager(r))?.thaw();
  }

  /** Exit status of a container created by this Runtime with detached:false (waits for it). */
  async wait(id: string): Promise<number | undefined> {
    const p = this.exits.get(id);
    if (p) return p;
    const r = this.store.load(id);
    if (r.pid) await waitGone(r.pid, r.pidStartTime, 2 ** 31 - 1);
    return this.readExitFile(r);
  }

  private readExitFile(r: ContainerRecord): number | undefined {
    if (!r.exitStatusFile) return undefined;
    try {
      const t = readFileSync(r.exitStatusFile, 'utf8').trim();
      const m = /^signal (\d+)$/.exec(t);
      return m ? 128 + Number(m[1]) : Number(t);
    } catch {
      return undefined;
    }
  }

  /** Remove a stopped (or created) container; `force` kills a running one first. */
  async delete(id: string, o: { force?: boolean } = {}): Promise<void> {
    checkId(id);
    let r: ContainerRecord;
    try {
      r = this.store.load(id);
    } catch (e) {
      if (o.force && e instanceof OciError) return;
      throw e;
    }
    await this.store.withLock(id, async () => {
      const status = await this.statusOf(r);
      const mgr = await this.manager(r);
      if (status === 'running' || status === 'paused') {
        if (!o.force) throw new OciError(`cannot delete container "${id}" that is not stopped: ${status}`);
      }
      if (status === 'creating' && !o.force) {
        // A create in another process is still working, or it crashed half-way.
        if (r.pid === undefined && this.store.exists(id) && Date.now() - Date.parse(r.created) < 60_000) {
          throw new OciError(`cannot delete container "${id}" that is still being created (use --force)`);
        }
      }
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
      this.store.remove(id);
      this.exits.delete(id);
    });
    if (r.pid !== undefined) {
      await runHooksWarn('poststop', r.config.hooks?.poststop, this.store.ociState(r, 'stopped'), (m) =>
        this.log('warn', m),
      );
    }
  }

  /**
   * `run`: create, start, and unless detached wait for the exit and delete the container.
   * Returns the exit status (128+signal when killed), or undefined with `detached`.
   */
  async run(id: string, bundle: string, o: CreateOptions = {}): Promise<number | undefined> {
    if (o.detached) {
      await this.create(id, bundle, o);
      await this.start(id);
      return undefined;
    }
    // No exec fifo: the helper execs as soon as the container is set up (one process does both).
    await this.createInternal(id, bundle, { ...o, detached: false }, false);
    const r = this.store.load(id);
    await runHooksWarn('poststart', r.config.hooks?.poststart, this.store.ociState(r, 'running'), (m) =>
      this.log('warn', m),
    );
    let code: number | undefined;
    try {
      code = await this.wait(id);
    } finally {
      await this.delete(id, { force: true });
    }
    return code;
  }

  /** Run another process in a running container: it joins all of the init's namespaces and its cgroup. */
  async exec(id: string, proc: Process, o: ExecOptions = {}): Promise<ExecResult> {
    const r = this.store.load(id);
    const status = await this.statusOf(r);
    if (status !== 'running' && status !== 'created') {
      throw new OciError(`cannot exec in container "${id}": it is ${status}`);
    }
    const detached = o.detach ?? false;
    const p: Process = { ...proc, terminal: o.tty ?? proc.terminal };
    const seccompBpf = await this.seccompPath(r.config);
    const plan = buildExecPlan(p, {
      initPid: r.pid!,
      spec: r.config,
      detached,
      consoleSocket: o.consoleSocket,
      preserveFds: fdList(o.preserveFds).length,
      seccompBpf,
      allowTerminalWithoutSocket: !detached,
    });
    const mgr = await this.manager(r);
    const started = await startPlan(plan, {
      stdio: o.stdio ?? INHERIT,
      preserveFds: fdList(o.preserveFds),
      detached,
      helper: this.opts.helperPath,
      onPid: async (pid) => {
        await mgr?.addProcess(pid);
      },
      stateJson: () => JSON.stringify(this.store.ociState(r, status)),
    });
    if (o.pidFile) writePidFile(o.pidFile, started.pid);
    const exited = detached
      ? undefined
      : started.exited.then((e) => {
          if (e.error) this.log('error', `exec in ${id}: ${e.error.message}`);
          return exitCode(e);
        });
    return { pid: started.pid, exited };
  }

  /** Host PIDs of the container's processes (the cgroup's, else those in the init's PID namespace). */
  async ps(id: string): Promise<number[]> {
    const r = this.store.load(id);
    const mgr = await this.manager(r);
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

  async list(): Promise<ListEntry[]> {
    const out: ListEntry[] = [];
    for (const id of this.store.ids()) {
      let r: ContainerRecord;
      try {
        r = this.store.load(id);
      } catch {
        continue;
      }
      const status = await this.statusOf(r);
      let owner = 'root';
      try {
        owner = statSync(this.store.dir(id)).uid === 0 ? 'root' : String(statSync(this.store.dir(id)).uid);
      } catch {
        /* removed meanwhile */
      }
      out.push({
        ociVersion: r.config.ociVersion,
        id,
        pid: status === 'stopped' ? 0 : (r.pid ?? 0),
        status,
        bundle: r.bundle,
        rootfs: r.config.root ? rootfsPath(r.config, r.bundle) : '',
        created: r.created,
        owner,
        ...(r.annotations ? { annotations: r.annotations } : {}),
      });
    }
    return out;
  }

  async pause(id: string): Promise<void> {
    const r = this.store.load(id);
    await this.store.withLock(id, async () => {
      const status = await this.statusOf(r);
      if (status !== 'running' && status !== 'created')
        throw new OciError(`cannot pause container "${id}": it is ${status}`);
      await (await this.needManager(r, 'pause')).freeze();
    });
  }

  async resume(id: string): Promise<void> {
    const r = this.store.load(id);
    await this.store.withLock(id, async () => {
      const status = await this.statusOf(r);
      if (status !== 'paused')
        throw new OciError(`cannot resume container "${id}": it is ${status}, not paused`);
      await (await this.needManager(r, 'resume')).thaw();
    });
  }

  /** Change the cgroup limits of a running container (and remember them in its state). */
  async update(id: string, resources: LinuxResources): Promise<void> {
    const r = this.store.load(id);
    await this.store.withLock(id, async () => {
      const status = await this.statusOf(r);
      if (status === 'stopped') throw new OciError(`cannot update container "${id}": it is stopped`);
      await (await this.needManager(r, 'update')).update(resources);
      const linux = (r.config.linux ??= {});
      linux.resources = { ...linux.resources, ...resources };
      this.store.save(r);
    });
  }

  features(): Features {
    return features();
  }
}
