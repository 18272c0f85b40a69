// What the parts of the engine share: its options, the container store, the OCI runtime, the
// image backend, and what this process holds for the containers it started (their prepared root
// filesystems, image records and late errors). The Engine (./engine.ts) is the one implementation;
// create.ts, launch.ts, finish.ts, control.ts, exec.ts and detached.ts each take it as this.
import type { ContainerNetworkOptions } from '../network/container-network.js';
import type { StdioSpec } from '../oci/kernel.js';
import type { Runtime } from '../oci/runtime.js';
import type { ImageBackend, ImageRecord, PreparedRootfs } from './images.js';
import type { TerminalRequest } from './terminal.js';
import type { ContainerRecord, ContainerState, ContainerStore } from './store.js';
import type { HelperSpawner } from '../kernel/plan/spawner.js';

export interface EngineOptions {
  dataDir: string;
  /** The image store (default: src/image's, in dataDir). */
  images?: ImageBackend;
  /** corral-helper (default: the runtime's). */
  helperPath?: string;
  /** Corral's cgroup root (default: $CORRAL_CGROUP_ROOT, else `corral` below the caller's cgroup). */
  cgroupRoot?: string;
  /** The bridge network of `--network bridge` (default: Corral's CNI network in dataDir). */
  network?: ContainerNetworkOptions;
  /** Start helpers through this spawner where the stdio allows (the `corral` front's). */
  spawner?: HelperSpawner;
}

export type Stdio = [StdioSpec, StdioSpec, StdioSpec];

export interface RunResult {
  id: string;
  name: string;
  exitCode: number;
  oomKilled: boolean;
  /** The memory limit in bytes, for the OOM message. */
  memory?: number;
}

export interface ExecRequest {
  cmd: string[];
  env?: string[];
  workdir?: string;
  user?: string;
  tty?: boolean;
  stdio?: Stdio;
  /** With tty: the pty's size and the handle for resizing it (./terminal.ts). */
  terminal?: TerminalRequest;
}

export interface ContainerView {
  record: ContainerRecord;
  state: ContainerState;
}

export interface EngineContext {
  readonly opts: EngineOptions;
  readonly store: ContainerStore;
  readonly runtime: Runtime;
  readonly images: ImageBackend;
  /** Root filesystems prepared by this process, released when their container exits. */
  readonly prepared: Map<string, PreparedRootfs>;
  /** Image records and container records of the containers this process created. */
  readonly resolved: Map<string, ImageRecord>;
  readonly records: Map<string, ContainerRecord>;
  /** Errors the helper reported after `created` (a failing execve), by container id. */
  readonly lateErrors: Map<string, string>;
  /** DEL of a bridge container's attachment (idempotent); failures cannot be acted on here. */
  detach(rec: ContainerRecord): Promise<void>;
  /** The CNI network of `--network bridge`, shared with the node agent of the same data dir. */
  network(): Promise<import('../network/container-network.js').ContainerNetwork>;
  /** reconcile() of ./finish.ts, for the commands that look at a container. */
  reconcile(id: string): Promise<ContainerState>;
}
