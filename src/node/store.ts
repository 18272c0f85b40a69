// What the agent remembers of each pod, so a restarted agent can re-adopt its pods: the manifest,
// the sandbox, and per container the running instance (its runtime id, PID and start time, the
// helper that waits for it) and the last termination. That record (pod.json) only means something
// while the processes it names can exist, this boot, so it is on the agent's tmpfs with the pod's
// runtime state (bundles, /etc files, /dev/shm) in <run>/pods/<uid> (run-dir.ts), as the OCI
// runtimes keep their state in /run. It is saved at every step of a pod's start, and new inodes on
// a disk are not free (ext4 without a journal scans recently freed inodes at each one). The pod's
// volumes and logs are on disk in <dataDir>/pods/<uid>, where an earlier version kept pod.json too
// (still read).
import { mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ContainerStateTerminated, Pod } from './types.js';

export interface InstanceRecord {
  id: string;
  pid: number;
  pidStartTime?: string;
  /** corral-helper: the init's parent, which reaps it and writes the exit status file. */
  helperPid: number;
  startedAt: string;
  log: string;
}

export interface ContainerRecord {
  name: string;
  restartCount: number;
  current?: InstanceRecord;
  lastTerminated?: ContainerStateTerminated;
  prevTerminated?: ContainerStateTerminated;
  backoffMs: number;
  /** An init container that completed. */
  done?: boolean;
}

export interface PodRecord {
  uid: string;
  key: string;
  pod: Pod;
  createdAt: string;
  /** `ips`: the pod's addresses from CNI ADD; absent until ADD succeeded. */
  sandbox?: { id: string; pid: number; pidStartTime?: string; helperPid: number; ips?: string[] };
  containers: Record<string, ContainerRecord>;
  /** Evicted under node pressure: the kubelet's message. The pod is not started again. */
  evicted?: string;
}

export class PodStore {
  readonly root: string;
  private readonly runRoot: string;
  /** Pods whose record was read from the disk, where an earlier version kept it. */
  private readonly legacy = new Set<string>();
  constructor(dataDir: string, runDir: string) {
    this.root = join(dataDir, 'pods');
    this.runRoot = join(runDir, 'pods');
  }
  /** On disk: volumes, logs. */
  dir(uid: string): string {
    return join(this.root, uid);
  }
  /** On the agent's tmpfs: pod.json, bundles, /etc/hosts, hostname, resolv.conf, the /dev/shm
   *  mount point. */
  runDir(uid: string): string {
    return join(this.runRoot, uid);
  }
  save(r: PodRecord): void {
    const d = this.runDir(r.uid);
    const tmp = join(d, `.pod.json.${process.pid}`);
    const text = JSON.stringify(r);
    try {
      writeFileSync(tmp, text);
    } catch (e) {
      // The pod's run directory is made by its first save (not looked up on every one).
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      mkdirSync(d, { recursive: true });
      writeFileSync(tmp, text);
    }
    renameSync(tmp, join(d, 'pod.json'));
    if (this.legacy.delete(r.uid)) rmSync(join(this.dir(r.uid), 'pod.json'), { force: true });
  }
  load(uid: string): PodRecord | undefined {
    for (const d of [this.runDir(uid), this.dir(uid)]) {
      try {
        const rec = JSON.parse(readFileSync(join(d, 'pod.json'), 'utf8')) as PodRecord;
        if (d !== this.runDir(uid)) this.legacy.add(uid); // the next save replaces it
        return rec;
      } catch {
        /* none there */
      }
    }
    return undefined;
  }
  /** Every pod with a directory: a record on the tmpfs, or volumes and logs on disk. */
  uids(): string[] {
    const names = new Set<string>();
    for (const d of [this.runRoot, this.root]) {
      try {
        for (const n of readdirSync(d)) if (!n.startsWith('.')) names.add(n);
      } catch {
        /* none yet */
      }
    }
    return [...names];
  }
  remove(uid: string): void {
    rmSync(this.runDir(uid), { recursive: true, force: true });
    rmSync(this.dir(uid), { recursive: true, force: true });
  }
}
