// The OCI runtime as a library: create/start/state/kill/delete/run/exec/ps/list/pause/resume/
// update/features, usable inside a long-running Node process (the node agent) and by the
// `corral-oci` CLI. This file is the API; the work is in one module per concept: lifecycle.ts
// (start/kill/wait/delete: small, loaded with this file), and create.ts, exec.ts, queries.ts,
// resources.ts, imported on first use, so a CLI call loads only what its verb needs.
import type { LinuxResources } from '../kernel/cgroup/types.js';
import type { HelperSpawner } from '../kernel/plan/spawner.js';
import { loadBundle } from './bundle.js';
import { RuntimeCore } from './core.js';
import { features, type Features } from './features.js';
import * as lifecycle from './lifecycle.js';
import type { PrespawnedHelper, StdioSpec } from './kernel.js';
import type { ContainerStatus, OciState, Process, Spec } from './spec.js';
import type { TerminalRelay } from './terminal.js';
import type { StateStore } from './state.js';

export { DEFAULT_ROOT } from './core.js';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface RuntimeOptions {
  /** State directory (runc's --root). */
  root?: string;
  /** Corral's cgroup root (relative cgroupsPath are placed below it). */
  cgroupRoot?: string;
  /** Path of corral-helper (default: the driver's). */
  helperPath?: string;
  /**
   * Start every helper in a session of its own (setsid), also those that stay to wait for their
   * container: a long-running caller's terminal (^C) and process-group signals never reach them,
   * and they outlive it (the node agent).
   */
  helperSession?: boolean;
  /** No other process uses `root` (see StateStore): no lock file per operation. */
  exclusiveRoot?: boolean;
  /** Start helpers through this long-lived spawner where the stdio allows it (a long-running
   *  caller: forking a big Node process per container is slow). */
  spawner?: HelperSpawner;
  log?: (level: LogLevel, msg: string) => void;
}

export interface CreateOptions {
  /** process.terminal without a console socket: the helper relays a pty of the container's own. */
  terminalRelay?: TerminalRelay;
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
  /**
   * The bundle's config as the caller built it (then <bundle>/config.json is not read): a library
   * caller that made the spec in this process saves writing, reading and parsing it. It is still
   * validated.
   */
  spec?: Spec;
  /** A helper already started with `stdio` and this create's `detached` (see prespawnHelper). */
  prespawned?: PrespawnedHelper;
}

/** What create reports of the process it made. */
export interface Created {
  /** Host PID of the container process. */
  pid: number;
  /** Its /proc start time (tells a reused PID from it). */
  startTime?: string;
  /** The helper that waits for it (detached: false), when known. */
  helperPid?: number;
}

export interface ExecOptions {
  /** A pty relayed by the helper (see CreateOptions.terminalRelay). */
  terminalRelay?: TerminalRelay;
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

export class Runtime {
  readonly root: string;
  readonly store: StateStore;
  readonly #core: RuntimeCore;

  constructor(opts: RuntimeOptions = {}) {
    this.#core = new RuntimeCore(opts);
    this.root = this.#core.root;
    this.store = this.#core.store;
  }

  /** Read and validate <bundle>/config.json. */
  loadBundle(bundle: string): Spec {
    return loadBundle(bundle);
  }

  /** `create`: set the container up; its process waits for `start` on the exec fifo. */
  async create(id: string, bundle: string, o: CreateOptions = {}): Promise<Created> {
    // Open the cgroup driver (its own chunk) while create's modules load.
    void this.#core.cgroups();
    return (await import('./create.js')).create(this.#core, id, bundle, o, true);
  }

  /**
   * Start the helper of a coming create/createStarted now, with the stdio and `detached` it will
   * pass (CreateOptions.prespawned): it seals itself while the caller prepares the container.
   */
  async prespawn(
    stdio: [StdioSpec, StdioSpec, StdioSpec],
    detached: boolean,
  ): Promise<PrespawnedHelper | undefined> {
    const { prespawnHelper } = await import('../kernel/plan/helper.js');
    const o = this.#core.opts;
    return prespawnHelper({
      stdio,
      detached: detached || !!o.helperSession,
      ...(o.helperPath ? { helper: o.helperPath } : {}),
      ...(o.spawner ? { spawner: o.spawner } : {}),
    });
  }

  /**
   * create and start in one step, for a caller that does nothing between them (the node agent):
   * no exec fifo, the process execs as soon as it is set up, then poststart hooks run. The helper
   * stays (detached: false): wait() gives the exit status.
   */
  async createStarted(id: string, bundle: string, o: CreateOptions = {}): Promise<Created> {
    void this.#core.cgroups();
    return lifecycle.createStarted(this.#core, id, bundle, o);
  }

  /** `start`: let the created container's process exec (read the exec fifo), run poststart hooks. */
  async start(id: string): Promise<void> {
    return lifecycle.start(this.#core, id);
  }

  /** The OCI state of a container. */
  async state(id: string): Promise<OciState> {
    const r = this.store.load(id);
    return this.store.ociState(r, await this.#core.statusOf(r));
  }

  /** Send a signal (name or number) to the init, or with `all` to every process of the container. */
  async kill(id: string, signal: string | number = 'SIGTERM', o: { all?: boolean } = {}): Promise<void> {
    return lifecycle.kill(this.#core, id, signal, o);
  }

  /** Exit status of a container created by this Runtime with detached:false (waits for it). */
  async wait(id: string): Promise<number | undefined> {
    return lifecycle.wait(this.#core, id);
  }

  /** Remove a stopped (or created) container; `force` kills a running one first. */
  async delete(id: string, o: { force?: boolean } = {}): Promise<void> {
    return lifecycle.remove(this.#core, id, o);
  }

  /**
   * `run`: create, start, and unless detached wait for the exit and delete the container.
   * Returns the exit status (128+signal when killed), or undefined with `detached`.
   */
  async run(id: string, bundle: string, o: CreateOptions = {}): Promise<number | undefined> {
    void this.#core.cgroups();
    return lifecycle.run(this.#core, id, bundle, o);
  }

  /** Run another process in a running container: it joins all of the init's namespaces and its cgroup. */
  async exec(id: string, proc: Process, o: ExecOptions = {}): Promise<ExecResult> {
    return (await import('./exec.js')).exec(this.#core, id, proc, o);
  }

  /** Host PIDs of the container's processes (the cgroup's, else those in the init's PID namespace). */
  async ps(id: string): Promise<number[]> {
    return (await import('./queries.js')).ps(this.#core, this.store.load(id));
  }

  async list(): Promise<ListEntry[]> {
    return (await import('./queries.js')).list(this.#core);
  }

  async pause(id: string): Promise<void> {
    return (await import('./resources.js')).pause(this.#core, id);
  }

  async resume(id: string): Promise<void> {
    return (await import('./resources.js')).resume(this.#core, id);
  }

  /** Change the cgroup limits of a running container (and remember them in its state). */
  async update(id: string, resources: LinuxResources): Promise<void> {
    return (await import('./resources.js')).update(this.#core, id, resources);
  }

  features(): Features {
    return features();
  }
}
