// What every part of the agent shares: options, the OCI runtime (its state in
// <dataDir>/run/node-runtime, on a tmpfs: see run-dir.ts), the cgroup driver and tree, the image
// store, the pod store and the ConfigMaps/Secrets found in the manifests directory.
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { totalmem } from 'node:os';
import { join } from 'node:path';
import { helperPath } from '../kernel/helper-path.js';
import { HelperSpawner } from '../kernel/plan/spawner.js';
import { openCgroups } from '../kernel/cgroup/index.js';
import type { CgroupDriver } from '../kernel/cgroup/types.js';
import { ImageStore, prepareRootfs } from '../image/index.js';
import { Runtime } from '../oci/runtime.js';
import { backoffFor, DEFAULT_BACKOFF, type BackoffOptions } from './backoff.js';
import { NodeCgroups } from './cgroups.js';
import { parseEvictionHard, type EvictionOptions } from './eviction.js';
import { PodNetwork, type PodNetworkOptions } from './pod-network.js';
import { openRunDir, type RunDir } from './run-dir.js';
import { PodStore } from './store.js';
import type { ConfigMap, Secret } from './types.js';
import type { ObjectSource } from './volumes.js';
import { markTopDir } from '../kernel/topdir.js';

export interface NodeOptions {
  dataDir: string;
  /** Corral's cgroup root (default: $CORRAL_CGROUP_ROOT, else `corral` below our own cgroup). */
  cgroupRoot?: string;
  nodeName?: string;
  /** CrashLoopBackOff base in ms (default 10 s; the cap is 30×, the reset window 60×). */
  backoffBaseMs?: number;
  /** Rotate a container log past this size (default 10 MiB). */
  logMaxBytes?: number;
  helperPath?: string;
  log?: (msg: string) => void;
  /** The kubelet's --eviction-hard: `memory.available<100Mi` (default, as the kubelet) or `<N%`;
   *  '' turns node-pressure eviction off. */
  evictionHard?: string;
  /** How often available memory is checked (default 10 s, the kubelet's housekeeping). */
  evictionIntervalMs?: number;
  /** Available memory in bytes (default: MemAvailable of /proc/meminfo); tests inject one. */
  memAvailable?: () => number;
  /** Pod networking through CNI; absent: pods get a network namespace with only lo. */
  network?: PodNetworkOptions;
  /**
   * The kubelet's --seccomp-default: containers whose pod does not name a seccompProfile get
   * RuntimeDefault (true, Corral's default) or run Unconfined (false, the kubelet's default).
   */
  seccompDefault?: boolean;
}

export const PAUSE_ID = 'node-pause';

export class NodeContext {
  readonly runtime: Runtime;
  readonly spawner: HelperSpawner;
  readonly driver: CgroupDriver;
  readonly cgroups: NodeCgroups;
  readonly images: ImageStore;
  readonly store: PodStore;
  /** Runtime state of this boot (tmpfs): OCI state, bundles, fifos, pods' /etc files. */
  readonly run: RunDir;
  readonly backoff: BackoffOptions;
  readonly nodeName: string;
  readonly memoryCapacity = totalmem();
  readonly logMaxBytes: number;
  /** Lowest oom_score_adj we may set: without CAP_SYS_RESOURCE, not below our own. */
  readonly oomFloor: number;
  readonly eviction?: EvictionOptions;
  readonly network?: PodNetwork;
  /** Called when a pod's addresses appear or go (the agent refreshes NetworkPolicy). */
  onNetworkChange: () => void = () => undefined;
  configMaps = new Map<string, ConfigMap>();
  secrets = new Map<string, Secret>();
  private pause?: Promise<string>;

  constructor(readonly opts: NodeOptions) {
    const cgroupRoot = opts.cgroupRoot ?? process.env.CORRAL_CGROUP_ROOT;
    const real = opts.helperPath ?? helperPath();
    // The helper waits for its container and must outlive the agent: its own session keeps a
    // terminal's ^C or the agent's process-group signals away from it. The runtime spawns it
    // with setsid itself (no wrapper script: one exec of sh and setsid less per container).
    // One small process forks the helpers (see kernel/plan/spawner.ts).
    this.spawner = new HelperSpawner(real, (m) => opts.log?.(m));
    this.run = openRunDir(opts.dataDir, (m) => opts.log?.(m));
    this.runtime = new Runtime({
      root: join(this.run.path, 'node-runtime'),
      helperPath: real,
      helperSession: true,
      spawner: this.spawner,
      // The agent's own state root: one agent at a time uses it.
      exclusiveRoot: true,
      ...(cgroupRoot ? { cgroupRoot } : {}),
      log: (level, msg) => opts.log?.(`runtime ${level}: ${msg}`),
    });
    this.driver = openCgroups({ ...(cgroupRoot ? { root: cgroupRoot } : {}), helper: real });
    this.cgroups = new NodeCgroups(this.driver);
    this.images = new ImageStore(opts.dataDir);
    this.store = new PodStore(opts.dataDir, this.run.path);
    // Pods' and containers' directories come and go: spread over the disk's groups (topdir.ts).
    // Marked at every start, so a data dir made by an earlier version gets it too.
    for (const d of [this.store.root, join(opts.dataDir, 'containers')]) {
      mkdirSync(d, { recursive: true, mode: 0o711 });
      markTopDir(d);
    }
    if (opts.network) this.network = new PodNetwork(opts.dataDir, opts.network, (m) => this.log(m));
    this.backoff = opts.backoffBaseMs ? backoffFor(opts.backoffBaseMs) : DEFAULT_BACKOFF;
    this.nodeName = opts.nodeName ?? readHostname();
    this.logMaxBytes = opts.logMaxBytes ?? 10 * 1024 * 1024;
    this.oomFloor = oomFloor();
    const threshold = parseEvictionHard(opts.evictionHard ?? 'memory.available<100Mi');
    if (threshold)
      this.eviction = {
        threshold,
        memoryCapacity: this.memoryCapacity,
        ...(opts.evictionIntervalMs ? { intervalMs: opts.evictionIntervalMs } : {}),
        ...(opts.memAvailable ? { available: opts.memAvailable } : {}),
        log: (m) => this.log(m),
      };
    if (this.oomFloor > -1000)
      this.log(
        `no CAP_SYS_RESOURCE: oom_score_adj below ${this.oomFloor} (Guaranteed -997, pause -998) is raised to ${this.oomFloor}`,
      );
  }

  /** The oom_score_adj a process can get here. */
  oomScore(adj: number): number {
    return Math.max(adj, this.oomFloor);
  }

  log(msg: string): void {
    this.opts.log?.(msg);
  }

  readonly objects: ObjectSource = {
    configMap: (ns, name) => this.configMaps.get(`${ns}/${name}`),
    secret: (ns, name) => this.secrets.get(`${ns}/${name}`),
  };

  /** The read-only busybox root filesystem all pause processes share (prepared once). */
  pauseRootfs(): Promise<string> {
    this.pause ??= (async () => {
      const rootfs = join(this.opts.dataDir, 'containers', PAUSE_ID, 'rootfs');
      if (existsSync(join(rootfs, 'bin', 'sleep'))) return rootfs;
      if (existsSync(rootfs)) {
        spawnSync('umount', ['-l', rootfs], { stdio: 'ignore' });
        rmSync(join(this.opts.dataDir, 'containers', PAUSE_ID), { recursive: true, force: true });
      }
      const image = await this.images.resolve('busybox');
      return (await prepareRootfs(this.images, image, PAUSE_ID)).rootfs;
    })();
    return this.pause;
  }

  /** Unmount and remove a container root filesystem whose release() handle is gone. */
  releaseOrphanRootfs(id: string): void {
    const dir = join(this.opts.dataDir, 'containers', id);
    const rootfs = join(dir, 'rootfs');
    if (isMountpoint(rootfs)) spawnSync('umount', ['-l', rootfs], { stdio: 'ignore' });
    rmSync(dir, { recursive: true, force: true });
  }
}

function oomFloor(): number {
  try {
    const eff = /CapEff:\s*([0-9a-f]+)/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? '0';
    if ((BigInt(`0x${eff}`) >> 24n) & 1n) return -1000; // CAP_SYS_RESOURCE
    return Number(readFileSync('/proc/self/oom_score_adj', 'utf8').trim());
  } catch {
    return 0;
  }
}

function readHostname(): string {
  try {
    return readFileSync('/proc/sys/kernel/hostname', 'utf8').trim();
  } catch {
    return 'localhost';
  }
}

export function isMountpoint(path: string): boolean {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .some((l) => l.split(' ')[4] === path);
}
