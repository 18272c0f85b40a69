// Drive podman (Debian's 4.3) as a peer, with private everything so it touches nothing of the
// host's and leaves nothing behind. What this machine needs, and why:
//  --root/--runroot/--tmpdir DIR   private image/container storage, run state and libpod tmp.
//  --storage-driver vfs            plain directories: no overlay mounts to leak (overlay works too,
//                                  cleanup unmounts whatever is left below DIR).
//  --events-backend file           there is no journald here.
//  --cgroup-manager cgroupfs       no systemd here; with
//  --cgroup-parent <own>/...       (per run) containers and conmon (<parent>/conmon) go below our
//                                  own cgroup: the memory cgroup we run in is not ours to leave.
//  --runtime-flag root=DIR         the OCI runtime keeps its state below DIR, not /run/<runtime>.
//  --network none                  no netavark/CNI setup; network only to what we create.
//  --ulimit nofile=N:N --ulimit nproc=M:M
//                                  as root, podman asks the runtime for RLIMIT_NOFILE and
//                                  RLIMIT_NPROC of 1048576, but this VM's root lacks
//                                  CAP_SYS_RESOURCE and its hard limits are lower, so runc/crun
//                                  fail with "error setting rlimit type 7/6: operation not
//                                  permitted". podman also lowers its own (hence conmon's and the
//                                  runtime's) nproc to 32768 at start, so nproc is capped at that.
//  CONTAINERS_CONF=DIR/containers.conf with lock_type = "file"
//                                  otherwise podman allocates locks in the machine-wide
//                                  /dev/shm/libpod_lock, shared with every other root podman;
//                                  and conmon_env_vars with TMPDIR=DIR/tmp, else conmon leaves
//                                  /tmp/conmon-term.* sockets behind when the runtime fails.
// crun needs a wrapper on this hybrid cgroup layout (see crun.ts); runc and an absolute path to
// any runc-compatible executable work as --runtime directly.
import { mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { execProgram, execOk, type ExecResult, type ExecOptions } from './exec.js';
import { nestedCgroupsPath, removeCgroupTree } from './cgroup.js';
import { makeBusyboxRootfs } from '../support/busybox-rootfs.js';

export const PODMAN = '/usr/bin/podman';
export const BUSYBOX_IMAGE = 'localhost/corral-busybox:latest';
const CONMON_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export interface PodmanOptions {
  /** Absolute path of the OCI runtime executable podman gives to conmon. */
  runtime: string;
  storageDriver?: 'vfs' | 'overlay';
  /** Parent directory for the private temp dir (keep it short); default os.tmpdir(). */
  tmpParent?: string;
}

/** Hard limit of an rlimit of this process, from /proc/self/limits. */
function hardLimit(name: string): number {
  const line = readFileSync('/proc/self/limits', 'utf8')
    .split('\n')
    .find((l) => l.startsWith(name));
  const hard = line?.slice(26).trim().split(/\s+/)[1];
  return hard === undefined || hard === 'unlimited' ? Infinity : Number(hard);
}

export class Podman {
  readonly cgroupParent: string;
  readonly runtimeRoot: string;
  private readonly env: NodeJS.ProcessEnv;

  private constructor(
    readonly dir: string,
    readonly runtime: string,
    private readonly storageDriver: string,
  ) {
    this.cgroupParent = nestedCgroupsPath(`corral-podman-${process.pid}-${dir.slice(-6)}`);
    this.runtimeRoot = join(dir, 'runtime');
    const conf = join(dir, 'containers.conf');
    // conmon puts console sockets in $TMPDIR (and leaves them when the runtime fails); it only
    // gets the environment in conmon_env_vars.
    writeFileSync(
      conf,
      '[engine]\nlock_type = "file"\n' +
        `conmon_env_vars = ["PATH=${CONMON_PATH}", "TMPDIR=${join(dir, 'tmp')}"]\n`,
    );
    this.env = { ...process.env, CONTAINERS_CONF: conf };
  }

  static create(opts: PodmanOptions): Podman {
    // Short: podman refuses a runroot longer than 50 characters (conmon's socket paths).
    const dir = mkdtempSync(join(opts.tmpParent ?? tmpdir(), 'cpodman-'));
    if (join(dir, 'runroot').length > 50)
      throw new Error(`podman runroot ${dir}/runroot is over 50 characters`);
    return new Podman(dir, opts.runtime, opts.storageDriver ?? 'vfs');
  }

  globalArgs(): string[] {
    return [
      '--root',
      join(this.dir, 'root'),
      '--runroot',
      join(this.dir, 'runroot'),
      '--tmpdir',
      join(this.dir, 'tmp'),
      '--storage-driver',
      this.storageDriver,
      '--events-backend',
      'file',
      '--cgroup-manager',
      'cgroupfs',
      '--runtime',
      this.runtime,
      '--runtime-flag',
      `root=${this.runtimeRoot}`,
    ];
  }

  /** Flags for `podman run`/`create` that this machine needs (see the header). */
  runFlags(): string[] {
    const nofile = Math.min(hardLimit('Max open files'), 1048576);
    const nproc = Math.min(hardLimit('Max processes'), 32768);
    return [
      '--network',
      'none',
      '--cgroup-parent',
      this.cgroupParent,
      '--ulimit',
      `nofile=${nofile}:${nofile}`,
      '--ulimit',
      `nproc=${nproc}:${nproc}`,
    ];
  }

  /** The full argv (podman first) of `podman <global> <args>`. */
  argv(args: readonly string[]): string[] {
    return [PODMAN, ...this.globalArgs(), ...args];
  }

  /** The environment podman must run with (CONTAINERS_CONF). */
  podmanEnv(): NodeJS.ProcessEnv {
    return this.env;
  }

  exec(args: readonly string[], opts: ExecOptions = {}): Promise<ExecResult> {
    return execProgram(PODMAN, [...this.globalArgs(), ...args], {
      timeoutMs: 120_000,
      ...opts,
      env: this.env,
    });
  }

  /** `podman run --rm <flags> [extra] image cmd...` */
  run(image: string, cmd: readonly string[], extra: readonly string[] = [], opts: ExecOptions = {}) {
    return this.exec(['run', '--rm', ...this.runFlags(), ...extra, image, ...cmd], opts);
  }

  /** Build a busybox rootfs, tar it and `podman import` it as `name`. */
  async importBusybox(name = BUSYBOX_IMAGE): Promise<string> {
    const rootfs = makeBusyboxRootfs(join(this.dir, 'busybox-rootfs'));
    const tar = join(this.dir, 'busybox.tar');
    await execOk('tar', ['-C', rootfs, '-cf', tar, '.']);
    const r = await this.exec(['import', '--quiet', tar, name]);
    if (r.code !== 0) throw new Error(`podman import failed (${r.code}): ${r.stderr.trim()}`);
    rmSync(rootfs, { recursive: true, force: true });
    rmSync(tar, { force: true });
    return name;
  }

  /**
   * Remove everything: containers, conmon processes started for our storage, mounts below our
   * dir, our cgroups, the dir. Returns what could not be cleaned (empty when all went).
   */
  async cleanup(): Promise<string[]> {
    const problems: string[] = [];
    const inits = this.containerInits();
    try {
      const r = await this.exec(['rm', '--all', '--force', '--time', '0'], { timeoutMs: 60_000 });
      if (r.code !== 0) problems.push(`podman rm --all: ${r.stderr.trim()}`);
    } catch (err) {
      problems.push(`podman rm --all: ${String(err)}`);
    }
    for (const pid of [...inits, ...this.conmonPids()]) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    problems.push(...unmountBelow(this.dir));
    problems.push(...(await removeCgroupTree(this.cgroupParent)));
    try {
      rmSync(this.dir, { recursive: true, force: true });
    } catch (err) {
      problems.push(`rm ${this.dir}: ${String(err)}`);
    }
    return problems;
  }

  /**
   * Container init processes podman recorded (runroot/.../userdata/pidfile) that still run. A
   * PID is only taken while it is in another PID namespace than ours: a reused PID of a host
   * process is not.
   */
  private containerInits(): number[] {
    const pids: number[] = [];
    const ownPidNs = safeReadlink('/proc/self/ns/pid');
    const containers = join(this.dir, 'runroot', `${this.storageDriver}-containers`);
    let entries: string[];
    try {
      entries = readdirSync(containers);
    } catch {
      return pids;
    }
    for (const c of entries) {
      let pid: number;
      try {
        pid = Number(readFileSync(join(containers, c, 'userdata/pidfile'), 'utf8').trim());
      } catch {
        continue;
      }
      const ns = pid > 0 ? safeReadlink(`/proc/${pid}/ns/pid`) : undefined;
      if (ns && ownPidNs && ns !== ownPidNs) pids.push(pid);
    }
    return pids;
  }

  /** conmon processes whose command line names our storage (conmon daemonizes, so not children). */
  private conmonPids(): number[] {
    const pids: number[] = [];
    for (const e of readdirSync('/proc')) {
      if (!/^\d+$/.test(e)) continue;
      try {
        const argv = readFileSync(`/proc/${e}/cmdline`, 'utf8').split('\0');
        if (argv[0]?.endsWith('conmon') && argv.some((a) => a.startsWith(this.dir + '/')))
          pids.push(Number(e));
      } catch {
        /* exited */
      }
    }
    return pids;
  }
}

/** Unmount every mount at or below `dir`, deepest first. Returns failures. */
export function unmountBelow(dir: string): string[] {
  const targets = readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((l) =>
      l.split(' ')[4]?.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8))),
    )
    .filter((t): t is string => !!t && (t === dir || t.startsWith(dir + '/')))
    .sort((a, b) => b.length - a.length);
  const failed: string[] = [];
  for (const t of targets) {
    try {
      execFileSync('umount', [t], { stdio: 'pipe' });
    } catch {
      try {
        execFileSync('umount', ['-l', t], { stdio: 'pipe' });
      } catch (err) {
        failed.push(`umount ${t}: ${String(err)}`);
      }
    }
  }
  return failed;
}

function safeReadlink(path: string): string | undefined {
  try {
    return readlinkSync(path);
  } catch {
    return undefined;
  }
}
