// Container records on disk: <dataDir>/containers/<id>/ holds
//   container.json  what the container is (image, flags, command; written once at create)
//   state.json      what it is doing (status, pid, exit code, OOM; rewritten atomically)
//   config.json     the OCI config (the directory is the OCI bundle)
//   ctr.log         stdout+stderr of a detached container
//   hostname, hosts the files bind-mounted over the container's /etc ones
// and <dataDir>/names/<name> holds the id a name points to (created with O_EXCL: two containers
// cannot take one name).
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  readSync,
  readdirSync,
  renameSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';

import { removeDir, unlinkQuiet } from '../image/fsutil.js';
import { EngineError, NoSuchContainer } from './errors.js';
import type { RunConfig } from './options.js';
import type { ResolvedUser } from './user.js';
import { ensureTopDir } from '../kernel/topdir.js';
import { joinClean } from '../util/join-clean.js';

export type ContainerStatus = 'created' | 'running' | 'exited' | 'stopping' | 'removing';

export interface ContainerRecord {
  id: string;
  name: string;
  created: string;
  /** The reference as given, and what it resolved to. */
  image: string;
  imageName: string;
  imageDigest: string;
  imageId: string;
  /** The process args (entrypoint + command). */
  args: string[];
  run: RunConfig;
  hostname: string;
  user: ResolvedUser;
  rootfs?: string;
  /** linux.cgroupsPath of the container (below Corral's cgroup root). */
  cgroupsPath: string;
  /** Addresses on the bridge network (--network bridge). */
  ips?: string[];
}

export interface ContainerState {
  status: ContainerStatus;
  /** Host PID of the container's init while it runs. */
  pid?: number;
  /** PID of the process that waits for the container (the `corral run` or the monitor). */
  monitorPid?: number;
  startedAt?: string;
  finishedAt?: string;
  exitCode?: number;
  oomKilled?: boolean;
  /** Why the container could not be started or finished abnormally. */
  error?: string;
}

export class ContainerStore {
  readonly root: string;
  readonly namesDir: string;

  constructor(readonly dataDir: string) {
    this.root = joinClean(dataDir, 'containers');
    this.namesDir = joinClean(dataDir, 'names');
  }

  dir(id: string): string {
    return joinClean(this.root, id);
  }
  logPath(id: string): string {
    return joinClean(this.dir(id), 'ctr.log');
  }

  /** 256 random bits from the kernel (node:crypto, with its start-up cost, is not needed here). */
  newId(): string {
    const buf = Buffer.alloc(32);
    const fd = openSync('/dev/urandom', 'r');
    try {
      if (readSync(fd, buf) !== buf.length)
        throw new EngineError('cannot read /dev/urandom for a container id');
    } finally {
      closeSync(fd);
    }
    return buf.toString('hex');
  }

  /** Claim `name` for `id`; throws when it is taken. */
  claimName(name: string, id: string): void {
    mkdirSync(this.namesDir, { recursive: true, mode: 0o700 });
    const path = joinClean(this.namesDir, name);
    try {
      writeFileSync(path, id, { flag: 'wx', mode: 0o600 });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const owner = this.readName(name);
      if (owner && !existsSync(this.dir(owner))) {
        // A stale name (its container is gone, e.g. a crash mid-removal): take it over.
        writeFileSync(path, id, { mode: 0o600 });
        return;
      }
      throw new EngineError(
        `the name "${name}" is already in use by container ${owner?.slice(0, 12) ?? '?'}; remove it (corral rm ${name}) or choose another --name`,
      );
    }
  }

  releaseName(name: string, id: string): void {
    if (this.readName(name) === id) unlinkQuiet(joinClean(this.namesDir, name));
  }

  private readName(name: string): string | undefined {
    try {
      return readFileSync(joinClean(this.namesDir, name), 'utf8').trim();
    } catch {
      return undefined;
    }
  }

  /** Create the record's directory (exclusively) and write container.json. */
  create(rec: ContainerRecord, state: ContainerState): void {
    ensureTopDir(this.root);
    mkdirSync(this.dir(rec.id), { mode: 0o711 });
    this.writeJson(rec.id, 'container.json', rec);
    this.saveState(rec.id, state);
  }

  updateRecord(rec: ContainerRecord): void {
    this.writeJson(rec.id, 'container.json', rec);
  }

  load(id: string): ContainerRecord {
    try {
      return JSON.parse(readFileSync(joinClean(this.dir(id), 'container.json'), 'utf8')) as ContainerRecord;
    } catch {
      throw new NoSuchContainer(id);
    }
  }

  loadState(id: string): ContainerState {
    try {
      return JSON.parse(readFileSync(joinClean(this.dir(id), 'state.json'), 'utf8')) as ContainerState;
    } catch {
      throw new NoSuchContainer(id);
    }
  }

  saveState(id: string, s: ContainerState): void {
    this.writeJson(id, 'state.json', s);
  }

  /** Merge `patch` into the state (read-modify-write; writers of one container take turns by design). */
  patchState(id: string, patch: Partial<ContainerState>): ContainerState {
    const s = { ...this.loadState(id), ...patch };
    this.saveState(id, s);
    return s;
  }

  private writeJson(id: string, file: string, value: unknown): void {
    const path = joinClean(this.dir(id), file);
    const tmp = `${path}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(value, null, 1));
    renameSync(tmp, path);
  }

  ids(): string[] {
    try {
      return readdirSync(this.root).filter((d) => /^[0-9a-f]{64}$/.test(d));
    } catch {
      return [];
    }
  }

  /** A name, a full id or a unique id prefix (≥ 3 characters) → the id. */
  lookup(ref: string): string {
    if (/^[0-9a-f]{64}$/.test(ref) && existsSync(joinClean(this.dir(ref), 'container.json'))) return ref;
    const byName = this.readName(ref);
    if (byName && existsSync(joinClean(this.dir(byName), 'container.json'))) return byName;
    if (/^[0-9a-f]{3,63}$/.test(ref)) {
      const hits = this.ids().filter((id) => id.startsWith(ref));
      if (hits.length === 1) return hits[0]!;
      if (hits.length > 1)
        throw new EngineError(`"${ref}" matches ${hits.length} containers; give more of the id or the name`);
    }
    throw new NoSuchContainer(ref);
  }

  remove(id: string, name?: string): void {
    removeDir(this.dir(id));
    if (name) this.releaseName(name, id);
  }

  unlinkQuiet(path: string): void {
    try {
      unlinkSync(path);
    } catch {
      /* gone */
    }
  }
}
