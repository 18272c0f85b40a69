// What the agent remembers of each pod under <dataDir>/pods/<uid>/pod.json, so a restarted agent
// can re-adopt its pods: the manifest, the sandbox, and per container the running instance (its
// runtime id, PID and start time, the helper that waits for it) and the last termination. The
// pod's directory there also holds its volumes and logs; its runtime state (bundles, /etc files,
// /dev/shm) is in <run>/pods/<uid> on the agent's tmpfs (run-dir.ts).
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
  constructor(dataDir: string, runDir: string) {
    this.root = join(dataDir, 'pods');
    this.runRoot = join(runDir, 'pods');
  }
  /** On disk: pod.json, volumes, logs. */
  dir(uid: string): string {
    return join(this.root, uid);
  }
  /** On the agent's tmpfs: bundles, /etc/hosts, hostname, resolv.conf, the /dev/shm mount point. */
  runDir(uid: string): string {
    return join(this.runRoot, uid);
  }
  save(r: PodRecord): void {
    const d = this.dir(r.uid);
    const tmp = join(d, `.pod.json.${process.pid}`);
    const text = JSON.stringify(r);
    try {
      writeFileSync(tmp, text);
    } catch (e) {
      // The pod's directory is made by its first save (not looked up on every one).
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      mkdirSync(d, { recursive: true });
      writeFileSync(tmp, text);
    }
    renameSync(tmp, join(d, 'pod.json'));
  }
  load(uid: string): PodRecord | undefined {
    try {
      return JSON.parse(readFileSync(join(this.dir(uid), 'pod.json'), 'utf8')) as PodRecord;
    } catch {
      return undefined;
    }
  }
  uids(): string[] {
    try {
      return readdirSync(this.root).filter((d) => !d.startsWith('.'));
    } catch {
      return [];
    }
  }
  remove(uid: string): void {
    rmSync(this.runDir(uid), { recursive: true, force: true });
    rmSync(this.dir(uid), { recursive: true, force: true });
  }
}
