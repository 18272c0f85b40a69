// The container engine (podman's libpod, small): `corral run` and the container commands on top
// of the OCI runtime library (src/oci) and the image store (src/image). This file is the API; the
// work is in one module per concept: create.ts (the record), launch.ts (root filesystem, OCI config,
// start), finish.ts (the exit's bookkeeping), control.ts (stop, wait, rm), exec.ts, detached.ts.
//
// Who waits for a container: whoever started it stays its parent's parent. The OCI runtime is used
// with detached:false, so corral-helper stays as the init's parent, reaps it and reports the exit
// status; the process that started the helper (the foreground `corral run`, or for `run -d` the
// small monitor process of ./monitor.ts) then records the exit code and OOM kill in state.json,
// deletes the OCI container (cgroup), releases the root filesystem and, with --rm, the record.
// If that waiter dies, the helper still writes the exit status file, and the next command that
// looks at the container (`ps`, `inspect`, `rm`...) finishes the bookkeeping (reconcile()).
//
// The root filesystem is an overlay that corral-helper mounts in the container's own mount
// namespace: nothing is mounted on the host, and no mount or umount process runs per container.

import type { ContainerNetwork } from '../network/container-network.js';
import { Runtime } from '../oci/runtime.js';
import type { PrespawnedHelper } from '../oci/kernel.js';
import type {
  ContainerView,
  EngineContext,
  EngineOptions,
  ExecRequest,
  RunResult,
  Stdio,
} from './context.js';
import { stopContainer, removeContainer, waitExited } from './control.js';
import { createContainer } from './create.js';
import { runDetached } from './detached.js';
import { execInContainer } from './exec.js';
import { finishContainer, reconcileContainer } from './finish.js';
import { storeBackend, type ImageBackend, type ImageRecord, type PreparedRootfs } from './images.js';
import { startContainer } from './launch.js';
import type { RunRequest } from './options.js';
import { openOutputLog } from './output-log.js';
import { ContainerStore, type ContainerRecord, type ContainerState } from './store.js';
import type { TerminalRequest } from './terminal.js';
import { trace } from './trace.js';
import { joinClean } from '../util/join-clean.js';

export type { ContainerView, EngineOptions, ExecRequest, RunResult, Stdio } from './context.js';
export { monitorPath, type MonitorOptions } from './detached.js';

export class Engine implements EngineContext {
  readonly store: ContainerStore;
  readonly runtime: Runtime;
  readonly images: ImageBackend;
  readonly prepared = new Map<string, PreparedRootfs>();
  readonly resolved = new Map<string, ImageRecord>();
  readonly records = new Map<string, ContainerRecord>();
  readonly lateErrors = new Map<string, string>();
  private bridge?: Promise<ContainerNetwork>;

  constructor(readonly opts: EngineOptions) {
    // CORRAL_CGROUP_ROOT: another cgroup root for this instance (tests use one per data dir).
    if (opts.cgroupRoot === undefined && process.env.CORRAL_CGROUP_ROOT)
      this.opts = opts = { ...opts, cgroupRoot: process.env.CORRAL_CGROUP_ROOT };
    this.store = new ContainerStore(opts.dataDir);
    this.images = opts.images ?? storeBackend(opts.dataDir);
    this.runtime = new Runtime({
      root: joinClean(opts.dataDir, 'runtime'),
      ...(opts.cgroupRoot ? { cgroupRoot: opts.cgroupRoot } : {}),
      ...(opts.helperPath ? { helperPath: opts.helperPath } : {}),
      ...(opts.spawner ? { spawner: opts.spawner } : {}),
      log: (level, msg) => {
        if (level === 'debug') trace(`oci: ${msg}`);
        const m = /^(?:container|exec in) (\S+): (.*)$/.exec(msg);
        if (level === 'error' && m) this.lateErrors.set(m[1]!, m[2]!);
      },
    });
  }

  network(): Promise<ContainerNetwork> {
    this.bridge ??= import('../network/container-network.js').then(
      ({ ContainerNetwork }) => new ContainerNetwork(this.opts.dataDir, 'run', this.opts.network ?? {}),
    );
    return this.bridge;
  }

  async detach(rec: ContainerRecord): Promise<void> {
    if (rec.run.network !== 'bridge') return;
    await (await this.network()).teardown(rec.id).catch(() => undefined);
  }

  /** Check the flags, resolve the image and write the record (status `created`). Nothing runs yet. */
  create(req: RunRequest): Promise<ContainerRecord> {
    return createContainer(this, req);
  }

  /**
   * Prepare the root filesystem, write the OCI config and start the container with `stdio`;
   * this process becomes its waiter (call finish()). On failure everything is removed again.
   */
  start(
    id: string,
    stdio: Stdio,
    terminal?: TerminalRequest,
    prespawned?: PrespawnedHelper,
  ): Promise<number> {
    return startContainer(this, id, stdio, terminal, prespawned);
  }

  /**
   * Wait for a container this process started, record how it ended, delete its OCI container
   * (and cgroup), release its root filesystem; with --rm remove it.
   */
  finish(id: string): Promise<RunResult> {
    return finishContainer(this, id);
  }

  /** A late error of the container's command, for the CLI to print (e.g. "exec /x: Permission denied"). */
  lateError(id: string): string | undefined {
    return this.lateErrors.get(id);
  }

  /**
   * `corral run` in the foreground: create, start with `stdio`, wait; `onStarted` gets the id.
   * Without --rm (and -t) the output also goes to the container's log, as podman's does.
   */
  async run(
    req: RunRequest,
    stdio: Stdio,
    onStarted?: (id: string, pid: number) => void,
    terminal?: TerminalRequest,
  ): Promise<RunResult> {
    // With --rm the helper gets this stdio as it is: it starts now and seals itself (a copy and
    // an exec) while the image is resolved and its plan made. (Not with -t, whose pty is relayed,
    // nor with a bridge network, which attaches between create and start.)
    const early =
      req.rm && !terminal && req.network !== 'bridge' ? await this.runtime.prespawn(stdio, false) : undefined;
    if (early) trace('helper prespawned');
    let rec: ContainerRecord;
    let out: Awaited<ReturnType<typeof openOutputLog>> | undefined;
    let pid: number;
    try {
      rec = await this.create(req);
      // Kept unless the container goes with its exit (--rm). With -t what is relayed is the pty's
      // output (the helper relays it to its stdout), logged as podman's conmon logs it.
      out = rec.run.rm
        ? undefined
        : await openOutputLog(this.store.dir(rec.id), this.store.logPath(rec.id), stdio);
      pid = await this.start(rec.id, out?.stdio ?? stdio, terminal, early);
    } finally {
      early?.cancel();
      out?.handedOver();
    }
    onStarted?.(rec.id, pid);
    const result = await this.finish(rec.id);
    await out?.done();
    return result;
  }

  /**
   * `corral run -d`: create, then hand the container to a monitor process (./monitor.ts) that
   * starts it with its output in ctr.log and waits for it. Resolves once it runs.
   */
  runDetached(req: RunRequest): Promise<ContainerRecord> {
    return runDetached(this, req);
  }

  // ---------- queries ----------

  /** The record and the state, with a dead waiter's bookkeeping finished. */
  async view(ref: string): Promise<ContainerView> {
    const id = this.store.lookup(ref);
    return { record: this.store.load(id), state: await this.reconcile(id) };
  }

  async list(all: boolean): Promise<ContainerView[]> {
    const out: ContainerView[] = [];
    for (const id of this.store.ids()) {
      try {
        const v = { record: this.store.load(id), state: await this.reconcile(id) };
        if (all || v.state.status === 'running' || v.state.status === 'stopping') out.push(v);
      } catch {
        /* removed meanwhile */
      }
    }
    return out.sort((a, b) => b.record.created.localeCompare(a.record.created));
  }

  /**
   * The state, corrected when its waiter is gone: a container whose `corral run` or monitor died
   * (killed, machine reboot) is finished here from the runtime's exit status file.
   */
  reconcile(id: string): Promise<ContainerState> {
    return reconcileContainer(this, id);
  }

  // ---------- stop / rm / wait / exec ----------

  /** SIGTERM (or the image's StopSignal), SIGKILL after `timeoutSecs`; resolves once it has exited. */
  stop(ref: string, timeoutSecs = 10): Promise<ContainerView> {
    return stopContainer(this, ref, timeoutSecs);
  }

  /** Wait until the waiter recorded the exit (or removed the container, with --rm). */
  waitExited(id: string, timeoutMs = 30_000): Promise<ContainerState> {
    return waitExited(this, id, timeoutMs);
  }

  /** `corral wait`: the exit code once the container has exited. */
  async wait(ref: string): Promise<number> {
    const id = this.store.lookup(ref);
    const s = await this.waitExited(id, 2 ** 31 - 1);
    return s.exitCode ?? -1;
  }

  /** Remove a container; a running one only with `force` (killed first). */
  remove(ref: string, force = false): Promise<string> {
    return removeContainer(this, ref, force);
  }

  /** Run a command in a running container; resolves with its exit code. */
  exec(ref: string, req: ExecRequest): Promise<number> {
    return execInContainer(this, ref, req);
  }

  logPath(ref: string): string {
    return this.store.logPath(this.store.lookup(ref));
  }
}
