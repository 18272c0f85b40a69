// The one cgroup interface the runtime and the node agent use. Two drivers implement it:
// v2 (unified) and v1/hybrid; see ./index.ts for detection and construction.

/** OCI runtime-spec `linux.resources` (the subset a cgroup driver applies). */
export interface LinuxResources {
  devices?: DeviceRule[];
  memory?: {
    limit?: number;
    reservation?: number;
    swap?: number;
    kernel?: number;
    kernelTCP?: number;
    swappiness?: number;
    disableOOMKiller?: boolean;
    useHierarchy?: boolean;
    checkBeforeUpdate?: boolean;
  };
  cpu?: {
    shares?: number;
    quota?: number;
    burst?: number;
    period?: number;
    realtimeRuntime?: number;
    realtimePeriod?: number;
    cpus?: string;
    mems?: string;
    idle?: number;
  };
  pids?: { limit: number };
  blockIO?: {
    weight?: number;
    leafWeight?: number;
    weightDevice?: { major: number; minor: number; weight?: number; leafWeight?: number }[];
    throttleReadBpsDevice?: ThrottleDevice[];
    throttleWriteBpsDevice?: ThrottleDevice[];
    throttleReadIOPSDevice?: ThrottleDevice[];
    throttleWriteIOPSDevice?: ThrottleDevice[];
  };
  hugepageLimits?: { pageSize: string; limit: number }[];
  network?: { classID?: number; priorities?: { name: string; priority: number }[] };
  rdma?: Record<string, { hcaHandles?: number; hcaObjects?: number }>;
  /** Raw cgroup v2 keys (`memory.high`, `memory.oom.group`, ...). Rejected on v1. */
  unified?: Record<string, string>;
}

export interface ThrottleDevice {
  major: number;
  minor: number;
  rate: number;
}

export interface DeviceRule {
  allow: boolean;
  type?: 'a' | 'c' | 'b';
  major?: number;
  minor?: number;
  access?: string;
}

export interface CgroupStats {
  cpu: {
    usageUsec: number;
    userUsec: number;
    systemUsec: number;
    nrPeriods: number;
    nrThrottled: number;
    throttledUsec: number;
  };
  memory: {
    current: number;
    peak?: number;
    anon?: number;
    file?: number;
    workingSet: number;
    limit?: number;
    oomKills: number;
  };
  io: { major: number; minor: number; rbytes: number; wbytes: number; rios: number; wios: number }[];
  pids: { current: number; limit?: number };
  /** Pressure stall information per resource where the kernel has it (`cpu.pressure` ...). */
  psi?: Partial<Record<'cpu' | 'memory' | 'io', PsiStats>>;
}

export interface PsiLine {
  avg10: number;
  avg60: number;
  avg300: number;
  total: number;
}
export interface PsiStats {
  some: PsiLine;
  full?: PsiLine;
}

export type CgroupEvent = { type: 'oom-kill'; cgroup: string; count: number; pid?: number };

export interface CgroupManager {
  /** The cgroup's path relative to each hierarchy's mount point, e.g. `/process_api/x/corral/c1`. */
  readonly path: string;
  readonly mode: 'v1' | 'v2';
  /** Absolute directories that make up this cgroup: one on v2, one per hierarchy on v1. */
  dirs(): Record<string, string>;
  /** Create the directories (enabling controllers in ancestors on v2) and apply `resources`. */
  create(resources?: LinuxResources): Promise<void>;
  addProcess(pid: number): Promise<void>;
  /** The cgroup.procs files addProcess writes (for the helper to write itself), in its order;
   *  `required: false` for one whose failure addProcess ignores. */
  procsFiles(): { path: string; required: boolean }[];
  /** Apply (or change, for a running container) the limits. Fails with a CgroupError naming the field. */
  update(resources: LinuxResources): Promise<void>;
  stats(): Promise<CgroupStats>;
  /** OOM kills as they happen (inotify on v2 memory.events, eventfd on v1). Call the result to stop. */
  watchEvents(onEvent: (e: CgroupEvent) => void): () => void;
  freeze(): Promise<void>;
  thaw(): Promise<void>;
  frozen(): Promise<boolean>;
  pids(): Promise<number[]>;
  /** SIGKILL every process (cgroup.kill where present) and wait until the cgroup is empty. */
  killAll(): Promise<void>;
  /** Kill what is left, then rmdir with retries. Missing directories are not an error. */
  remove(): Promise<void>;
}

export interface CgroupDriver {
  readonly mode: 'v1' | 'v2';
  /** Corral's cgroup root, relative to the hierarchy mount (default: below the caller's own cgroup). */
  readonly root: string;
  /**
   * A manager for `cgroupsPath` as OCI defines it: an absolute path is taken from the hierarchy's
   * mount point; a relative one is placed below `root`.
   */
  manager(cgroupsPath: string): CgroupManager;
  /**
   * The manager of an existing cgroup, from its `dirs()` as noted when it was made. Another
   * process (whose own cgroup, and so `root`, may differ per hierarchy) finds the same cgroup.
   */
  open(dirs: Record<string, string>): CgroupManager;
}

/** Errors a user can act on: which field, which value, what the kernel said. */
export class CgroupError extends Error {
  constructor(
    message: string,
    readonly field?: string,
    readonly value?: string,
    readonly errno?: string,
  ) {
    super(message);
    this.name = 'CgroupError';
  }
}
