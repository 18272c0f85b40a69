// The container state store: one directory per container under the runtime root
// (<root>/<id>/state.json, exec.fifo, lock). Status is derived, not stored, as the spec says:
// creating (no init yet), created (init blocked on the exec fifo), running, stopped (init gone,
// zombie, or its PID reused), paused (cgroup frozen; checked by the runtime).
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmdirSync,
  rmSync,
  unlinkSync,
  writeFileSync,
  writeSync,
} from 'node:fs';

import { OciError } from './errors.js';
import { processAlive } from './proc.js';
import type { ContainerStatus, OciState, Spec } from './spec.js';
import { OCI_VERSION } from './spec.js';
import { ensureTopDir } from '../kernel/topdir.js';
import { joinClean } from '../util/join-clean.js';

export interface ContainerRecord {
  id: string;
  bundle: string;
  /** Host PID of the init, set once the helper reported it. */
  pid?: number;
  /** /proc/PID/stat start time of the init, to tell a reused PID from ours. */
  pidStartTime?: string;
  annotations?: Record<string, string>;
  created: string;
  /** linux.cgroupsPath as given (or the id): what the cgroup driver is asked for again later. */
  cgroupsPath?: string;
  /** That path as the driver resolved it (manager.path), for people reading the state. */
  cgroupPath?: string;
  /** The file telling whether the cgroup is frozen (v1 freezer.state, v2 cgroup.events); '' none. */
  freezerFile?: string;
  /** The cgroup's directories (one per v1 hierarchy; v2: one), the freezer's last. */
  cgroupDirs?: string[];
  /**
   * The cgroup's directories by hierarchy (manager.dirs()): how the driver reopens it. Another
   * process's own cgroup, and so what it makes of cgroupsPath, may differ per hierarchy.
   */
  cgroupDirMap?: Record<string, string>;
  /** The config the container was created from (exec and hooks need it after the bundle changed). */
  config: Spec;
  /** Set once the helper reported `created` (until then the container is `creating`). */
  ready?: boolean;
  /** Set when the init waits for no `start` (no exec fifo); after a start, the fifo being gone tells. */
  started?: boolean;
  /** For a non-detached init: the file the helper writes the exit status to. */
  exitStatusFile?: string;
  rootless?: boolean;
}

const ID_RE = /^[A-Za-z0-9][A-Za-z0-9_.+-]{0,1023}$/;

export function checkId(id: string): void {
  if (!ID_RE.test(id)) {
    throw new OciError(
      `invalid container id "${id}": use letters, digits and _ . + - (not starting with one of them)`,
    );
  }
}

export class StateStore {
  /** `exclusive`: no other process uses this root (a long-running caller's own), so the
   *  in-process queue is the whole lock and no lock file is made per operation. */
  constructor(
    readonly root: string,
    readonly exclusive = false,
  ) {}

  dir(id: string): string {
    return joinClean(this.root, id);
  }
  fifo(id: string): string {
    return joinClean(this.dir(id), 'exec.fifo');
  }
  exitFile(id: string): string {
    return joinClean(this.dir(id), 'exit-status');
  }

  /** Reserve the id: the directory is created exclusively, so two creates of one id cannot both win. */
  reserve(id: string): void {
    checkId(id);
    const reserve = () => mkdirSync(this.dir(id), { mode: 0o711 });
    try {
      try {
        reserve();
      } catch (e) {
        // The root is made on first use (a long-running caller does not ask for it each time);
        // its per-container directories come and go (see kernel/topdir.ts).
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
        ensureTopDir(this.root);
        reserve();
      }
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST')
        throw new OciError(`container "${id}" already exists`);
      throw e;
    }
  }

  exists(id: string): boolean {
    return existsSync(joinClean(this.dir(id), 'state.json'));
  }

  load(id: string): ContainerRecord {
    checkId(id);
    let text: string;
    try {
      text = readFileSync(joinClean(this.dir(id), 'state.json'), 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
        if (existsSync(this.dir(id))) {
          return { id, bundle: '', created: '', config: { ociVersion: OCI_VERSION } };
        }
        throw new OciError(`container "${id}" does not exist`);
      }
      throw e;
    }
    return JSON.parse(text) as ContainerRecord;
  }

  /**
   * Atomic write (tmp + rename), so a reader never sees half a file. `configJson`: `r.config`
   * serialized already (create saves one record up to three times, and the config, with its
   * seccomp profile, is most of it).
   */
  save(r: ContainerRecord, configJson?: string): void {
    const tmp = joinClean(this.dir(r.id), `.state.json.${process.pid}`);
    let text: string;
    if (configJson === undefined) text = JSON.stringify(r);
    else {
      const { config: _config, ...rest } = r;
      text = `${JSON.stringify(rest).slice(0, -1)},"config":${configJson}}`;
    }
    writeFileSync(tmp, text, { mode: 0o600 });
    renameSync(tmp, joinClean(this.dir(r.id), 'state.json'));
  }

  remove(id: string): void {
    // The directory holds files only (state.json, exec.fifo, lock, exit-status): unlink them and
    // rmdir, which spares a CLI call node's recursive rm (its module and a stat per entry).
    // Anything else (a subdirectory, an error): the recursive rm.
    const dir = this.dir(id);
    const gone = (e: unknown) => (e as NodeJS.ErrnoException).code === 'ENOENT';
    try {
      for (const name of readdirSync(dir)) {
        try {
          unlinkSync(joinClean(dir, name));
        } catch (e) {
          if (!gone(e)) throw e;
        }
      }
      rmdirSync(dir);
    } catch (e) {
      if (!gone(e)) rmSync(dir, { recursive: true, force: true });
    }
  }

  ids(): string[] {
    try {
      return readdirSync(this.root, { withFileTypes: true })
        .filter((d) => d.isDirectory() && ID_RE.test(d.name))
        .map((d) => d.name)
        .sort();
    } catch {
      return [];
    }
  }

  /** Status without the freezer (the runtime adds `paused`). */
  baseStatus(r: ContainerRecord): ContainerStatus {
    if (r.pid === undefined) return 'creating';
    if (!processAlive(r.pid, r.pidStartTime)) return 'stopped';
    if (!r.ready) return 'creating';
    if (!r.started && existsSync(this.fifo(r.id))) return 'created';
    return 'running';
  }

  ociState(r: ContainerRecord, status: ContainerStatus): OciState {
    const s: OciState = { ociVersion: OCI_VERSION, id: r.id, status, bundle: r.bundle };
    if (r.pid !== undefined && status !== 'stopped') s.pid = r.pid;
    if (r.annotations && Object.keys(r.annotations).length) s.annotations = r.annotations;
    return s;
  }

  /**
   * Run `fn` holding the container's lock: an in-process queue per id (the library may be called
   * concurrently), then a lock file created with O_EXCL holding our PID for other processes; a lock
   * file whose holder is gone is taken over.
   */
  async withLock<T>(id: string, fn: () => Promise<T>, timeoutMs = 30_000): Promise<T> {
    const prev = this.queues.get(id) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((r) => (release = r));
    const tail = prev.then(() => mine);
    this.queues.set(id, tail);
    await prev;
    try {
      return await (this.exclusive ? fn() : this.withFileLock(id, fn, timeoutMs));
    } finally {
      release();
      if (this.queues.get(id) === tail) this.queues.delete(id);
    }
  }

  private async withFileLock<T>(id: string, fn: () => Promise<T>, timeoutMs: number): Promise<T> {
    const path = joinClean(this.dir(id), 'lock');
    const end = Date.now() + timeoutMs;
    for (;;) {
      try {
        const fd = openSync(path, 'wx', 0o600);
        writeSync(fd, String(process.pid));
        closeSync(fd);
        break;
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'ENOENT') throw new OciError(`container "${id}" does not exist`);
        if (code !== 'EEXIST') throw e;
        let text: string;
        try {
          text = readFileSync(path, 'utf8');
        } catch {
          continue;
        }
        // Empty: the holder is between open and write; wait, unless that lasts past the timeout.
        if (text === '' && Date.now() < end) {
          await new Promise((r) => setTimeout(r, 2));
          continue;
        }
        const holder = Number(text);
        // Our own PID here is a leftover (the in-process queue guarantees we do not hold it).
        if (!Number.isInteger(holder) || holder <= 0 || holder === process.pid || !processAlive(holder)) {
          try {
            unlinkSync(path);
          } catch {
            /* someone else took it over */
          }
          continue;
        }
        if (Date.now() > end) throw new OciError(`container "${id}" is locked by process ${holder}`);
        await new Promise((r) => setTimeout(r, 5));
      }
    }
    try {
      return await fn();
    } finally {
      try {
        unlinkSync(path);
      } catch {
        /* the directory was removed (delete) */
      }
    }
  }

  private queues = new Map<string, Promise<void>>();
}
