// The container engine (podman's libpod, small): `corral run` and the container commands on top
// of the OCI runtime library (src/oci) and the image store (src/image).
//
// Who waits for a container: whoever started it stays its parent's parent. The OCI runtime is used
// with detached:false, so corral-helper stays as the init's parent, reaps it and reports the exit
// status; the process that started the helper (the foreground `corral run`, or for `run -d` the
// small monitor process of ./monitor.ts) then records the exit code and OOM kill in state.json,
// deletes the OCI container (cgroup), releases the root filesystem and, with --rm, the record.
// If that waiter dies, the helper still writes the exit status file, and the next command that
// looks at the container (`ps`, `inspect`, `rm`...) finishes the bookkeeping (reconcile()).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { ContainerNetwork, type ContainerNetworkOptions } from '../network/container-network.js';
import type { StdioSpec } from '../oci/kernel.js';
import { procStat, processAlive, waitGone } from '../oci/proc.js';
import { Runtime } from '../oci/runtime.js';
import type { CreateOptions, ExecOptions } from '../oci/runtime.js';
import type { Process, Spec } from '../oci/spec.js';
import type { TerminalRelayOptions } from '../oci/terminal.js';
import { EngineError, NoSuchContainer, commandErrorCode, oneLine } from './errors.js';
import { storeBackend, type ImageBackend, type ImageRecord, type PreparedRootfs } from './images.js';
import { randomName } from './names.js';
import { oomKills } from './oom.js';
import { checkReference, parseEnv, parseRunRequest, type RunRequest } from './options.js';
import { buildSpec, processArgs } from './spec.js';
import { ContainerStore, type ContainerRecord, type ContainerState } from './store.js';
import { resolveUser } from './user.js';
import { consoleSize, type TerminalRequest } from './terminal.js';

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

const MONITOR = join(dirname(fileURLToPath(import.meta.url)), 'monitor.js');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class Engine {
  readonly store: ContainerStore;
  readonly runtime: Runtime;
  readonly images: ImageBackend;
  /** Root filesystems prepared by this process, released when their container exits. */
  private prepared = new Map<string, PreparedRootfs>();
  private resolved = new Map<string, ImageRecord>();
  /** Errors the helper reported after `created` (a failing execve), by container id. */
  private lateErrors = new Map<string, string>();
  private bridge?: ContainerNetwork;

  /** The CNI network of `--network bridge`, shared with the node agent of the same data dir. */
  private network(): ContainerNetwork {
    this.bridge ??= new ContainerNetwork(this.opts.dataDir, 'run', this.opts.network ?? {});
    return this.bridge;
  }

  /** DEL of a bridge container's attachment (idempotent); failures cannot be acted on here. */
  private async detach(rec: ContainerRecord): Promise<void> {
    if (rec.run.network === 'bridge')
      await this.network()
        .teardown(rec.id)
        .catch(() => undefined);
  }

  constructor(readonly opts: EngineOptions) {
    // CORRAL_CGROUP_ROOT: another cgroup root for this instance (tests use one per data dir).
    if (opts.cgroupRoot === undefined && process.env.CORRAL_CGROUP_ROOT)
      this.opts = opts = { ...opts, cgroupRoot: process.env.CORRAL_CGROUP_ROOT };
    this.store = new ContainerStore(opts.dataDir);
    this.images = opts.images ?? storeBackend(opts.dataDir);
    this.runtime = new Runtime({
      root: join(opts.dataDir, 'runtime'),
      ...(opts.cgroupRoot ? { cgroupRoot: opts.cgroupRoot } : {}),
      ...(opts.helperPath ? { helperPath: opts.helperPath } : {}),
      log: (level, msg) => {
        const m = /^(?:container|exec in) (\S+): (.*)$/.exec(msg);
        if (level === 'error' && m) this.lateErrors.set(m[1]!, m[2]!);
      },
    });
  }

  // ---------- create ----------

  /** Check the flags, resolve the image and write the record (status `created`). Nothing runs yet. */
  async create(req: RunRequest): Promise<ContainerRecord> {
    const run = parseRunRequest(req);
    checkReference(run.image);
    for (const v of run.volumes) {
      try {
        statSync(v.source);
      } catch {
        throw new EngineError(
          `-v ${v.source}:${v.destination}: the host path ${v.source} does not exist; create it first`,
        );
      }
    }
    let image: ImageRecord;
    try {
      image = await this.images.resolve(run.image);
    } catch (e) {
      if (e instanceof EngineError) throw e;
      throw new EngineError(oneLine(e));
    }
    const args = processArgs(run, image.config.config ?? {});
    const id = this.store.newId();
    let name = run.name;
    if (name) this.store.claimName(name, id);
    else {
      for (let i = 0; ; i++) {
        const n = i < 20 ? randomName() : `${randomName()}_${id.slice(0, 6)}`;
        try {
          this.store.claimName(n, id);
          name = n;
          break;
        } catch (e) {
          if (i > 25) throw e;
        }
      }
    }
    const rec: ContainerRecord = {
      id,
      name,
      created: new Date().toISOString(),
      image: run.image,
      imageName: image.ref,
      imageDigest: image.digest,
      imageId: image.configDigest,
      args,
      run: { ...run, name },
      hostname: run.hostname ?? id.slice(0, 12),
      user: { uid: 0, gid: 0, additionalGids: [] },
      cgroupsPath: `corral-${id.slice(0, 12)}`,
    };
    try {
      this.store.create(rec, { status: 'created' });
      const dir = this.store.dir(id);
      writeFileSync(join(dir, 'hostname'), `${rec.hostname}\n`);
      writeFileSync(
        join(dir, 'hosts'),
        `127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n127.0.1.1\t${rec.hostname}\n`,
      );
    } catch (e) {
      this.store.remove(id, name);
      throw e;
    }
    this.resolved.set(id, image);
    return rec;
  }

  // ---------- start / finish (in the waiting process) ----------

  /**
   * Prepare the root filesystem, write the OCI config and start the container with `stdio`;
   * this process becomes its waiter (call finish()). On failure everything is removed again.
   */
  async start(id: string, stdio: Stdio, terminal?: TerminalRequest): Promise<number> {
    const rec = this.store.load(id);
    const dir = this.store.dir(id);
    try {
      const image = this.resolved.get(id) ?? (await this.resolveAgain(rec));
      const prepared = await this.images.prepareRootfs(image, id);
      this.prepared.set(id, prepared);
      rec.rootfs = prepared.rootfs;
      const cfg = image.config.config ?? {};
      const userSpec = rec.run.user ?? (cfg.User || '0');
      rec.user = resolveUser(prepared.rootfs, userSpec, rec.run.user ? '-u' : `image ${rec.image}: User`);
      this.store.updateRecord(rec);
      const resolvConf =
        rec.run.network === 'host' && existsSync('/etc/resolv.conf') ? join(dir, 'resolv.conf') : undefined;
      if (resolvConf) writeFileSync(resolvConf, readFileSync('/etc/resolv.conf'));
      const spec = buildSpec({
        id,
        run: rec.run,
        image: cfg,
        rootfs: prepared.rootfs,
        user: rec.user,
        hostname: rec.hostname,
        etc: {
          hostname: join(dir, 'hostname'),
          hosts: join(dir, 'hosts'),
          ...(resolvConf ? { resolvConf } : {}),
        },
        cgroupsPath: rec.cgroupsPath,
      });
      if (!rec.run.readOnly) ensureWorkdir(prepared.rootfs, spec.process!.cwd);
      const size = spec.process!.terminal ? consoleSize(terminal) : undefined;
      if (size) spec.process!.consoleSize = size;
      writeFileSync(join(dir, 'config.json'), JSON.stringify(spec, null, 1));
      // -t: the container gets a pty of its own, relayed by the helper (src/oci/terminal.ts).
      const createOpts: CreateOptions & TerminalRelayOptions = {
        detached: false,
        stdio,
        ...(spec.process!.terminal ? { terminalRelay: { onStarted: (t) => terminal?.onStarted?.(t) } } : {}),
      };
      const { pid } = await this.runtime.create(id, dir, createOpts);
      // Between create and start, as podman: the process exists (its namespaces do) but has not
      // run, so it starts with eth0 up and its address in /etc/hosts.
      if (rec.run.network === 'bridge') {
        rec.ips = await this.network().setup(id, pid, {
          capabilityArgs: rec.run.publish?.length
            ? {
                portMappings: rec.run.publish.map((p) => ({
                  hostPort: p.hostPort,
                  containerPort: p.containerPort,
                  protocol: p.protocol,
                  ...(p.hostIP ? { hostIP: p.hostIP } : {}),
                })),
              }
            : {},
        });
        this.store.updateRecord(rec);
        writeFileSync(
          join(dir, 'hosts'),
          `127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n${rec.ips[0] ?? '127.0.1.1'}\t${rec.hostname}\n`,
        );
      }
      await this.runtime.start(id);
      this.store.patchState(id, {
        status: 'running',
        pid,
        startedAt: new Date().toISOString(),
        monitorPid: process.pid,
      });
      return pid;
    } catch (e) {
      await this.cleanupFailedStart(rec);
      throw startError(e);
    }
  }

  private async resolveAgain(rec: ContainerRecord): Promise<ImageRecord> {
    const image = await this.images.resolve(rec.imageName).catch(() => this.images.resolve(rec.image));
    if (image.digest !== rec.imageDigest) {
      throw new EngineError(`image ${rec.image} changed since the container was created; create it again`);
    }
    return image;
  }

  private async cleanupFailedStart(rec: ContainerRecord): Promise<void> {
    await this.detach(rec);
    await this.runtime.delete(rec.id, { force: true }).catch(() => undefined);
    await this.releaseRootfs(rec.id);
    this.store.remove(rec.id, rec.name);
  }

  private async releaseRootfs(id: string): Promise<void> {
    const p = this.prepared.get(id);
    this.prepared.delete(id);
    await p?.release().catch(() => undefined);
  }

  /**
   * The rootfs of a container whose waiter died is still mounted and its release() handle gone:
   * unmount it (src/image documents it at <container dir>/rootfs) before the directory goes.
   */
  private unmountOrphanRootfs(rec: ContainerRecord): void {
    if (!rec.rootfs || this.prepared.has(rec.id)) return;
    const esc = rec.rootfs.replace(/[ \t\n\\]/g, (c) => `\\${c.charCodeAt(0).toString(8).padStart(3, '0')}`);
    const mounted = readFileSync('/proc/self/mountinfo', 'utf8')
      .split('\n')
      .some((l) => l.split(' ')[4] === esc);
    if (mounted) spawnSync('umount', ['-l', rec.rootfs], { stdio: 'ignore' });
  }

  /**
   * Wait for a container this process started, record how it ended, delete its OCI container
   * (and cgroup), release its root filesystem; with --rm remove it.
   */
  async finish(id: string): Promise<RunResult> {
    const rec = this.store.load(id);
    let code = (await this.runtime.wait(id)) ?? 1;
    const late = this.lateErrors.get(id);
    const mapped = late ? commandErrorCode(late) : undefined;
    if (mapped !== undefined) code = mapped;
    const oomKilled = (await oomKills(rec.cgroupsPath, this.opts.cgroupRoot, this.opts.helperPath)) > 0;
    await this.detach(rec);
    await this.runtime.delete(id, { force: true }).catch(() => undefined);
    await this.releaseRootfs(id);
    this.store.patchState(id, {
      status: 'exited',
      exitCode: code,
      oomKilled,
      finishedAt: new Date().toISOString(),
      ...(late ? { error: late } : {}),
    });
    // A command that could not be executed never ran: like a failed start, nothing stays.
    if (rec.run.rm || mapped !== undefined) this.store.remove(id, rec.name);
    return {
      id,
      name: rec.name,
      exitCode: code,
      oomKilled,
      ...(rec.run.memory ? { memory: rec.run.memory } : {}),
    };
  }

  /** A late error of the container's command, for the CLI to print (e.g. "exec /x: Permission denied"). */
  lateError(id: string): string | undefined {
    return this.lateErrors.get(id);
  }

  /** `corral run` in the foreground: create, start with `stdio`, wait; `onStarted` gets the id. */
  async run(
    req: RunRequest,
    stdio: Stdio,
    onStarted?: (id: string, pid: number) => void,
    terminal?: TerminalRequest,
  ): Promise<RunResult> {
    const rec = await this.create(req);
    const pid = await this.start(rec.id, stdio, terminal);
    onStarted?.(rec.id, pid);
    return this.finish(rec.id);
  }

  /**
   * `corral run -d`: create, then hand the container to a monitor process (./monitor.ts) that
   * starts it with its output in ctr.log and waits for it. Resolves once it runs.
   */
  async runDetached(req: RunRequest): Promise<ContainerRecord> {
    const rec = await this.create(req);
    const args = [MONITOR_FLAGS, MONITOR, JSON.stringify(monitorOptions(this.opts)), rec.id].flat();
    let report = '';
    try {
      const child = spawn(process.execPath, args, {
        detached: true,
        stdio: ['ignore', 'ignore', 'ignore', 'pipe'],
      });
      const pipe = child.stdio[3] as Readable;
      pipe.setEncoding('utf8');
      pipe.on('data', (d: string) => (report += d));
      await new Promise<void>((res, rej) => {
        pipe.on('close', () => res());
        child.on('error', rej);
      });
      child.unref();
    } catch (e) {
      this.store.remove(rec.id, rec.name);
      throw new EngineError(`cannot start the container monitor: ${oneLine(e)}`);
    }
    const [kind, code, ...msg] = report.trim().split('\t');
    if (kind === 'started') return rec;
    // The monitor removed what it made; an early crash may have left the record.
    if (existsSync(this.store.dir(rec.id))) this.store.remove(rec.id, rec.name);
    if (kind === 'error') throw new EngineError(msg.join('\t'), Number(code) || 125);
    throw new EngineError(`the container monitor exited without reporting (${report.trim() || 'no output'})`);
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
  async reconcile(id: string): Promise<ContainerState> {
    const s = this.store.loadState(id);
    if (s.status === 'exited' || s.status === 'created') return s;
    if (s.monitorPid && monitorAlive(s)) return s;
    // Re-read: the waiter may have finished between the two reads.
    const again = this.store.loadState(id);
    if (again.status === 'exited') return again;
    if (s.pid && processAlive(s.pid)) return s; // running without a waiter (it was killed)
    const rec = this.store.load(id);
    let code: number | undefined;
    try {
      code = await this.runtime.wait(id);
    } catch {
      code = undefined;
    }
    const oomKilled = (await oomKills(rec.cgroupsPath, this.opts.cgroupRoot, this.opts.helperPath)) > 0;
    await this.detach(rec);
    await this.runtime.delete(id, { force: true }).catch(() => undefined);
    return this.store.patchState(id, {
      status: 'exited',
      exitCode: code ?? -1,
      oomKilled,
      finishedAt: new Date().toISOString(),
      error: 'the process waiting for the container was gone; exit status from the runtime',
    });
  }

  // ---------- stop / rm / wait ----------

  /** SIGTERM (or the image's StopSignal), SIGKILL after `timeoutSecs`; resolves once it has exited. */
  async stop(ref: string, timeoutSecs = 10): Promise<ContainerView> {
    const id = this.store.lookup(ref);
    const s = await this.reconcile(id);
    if (s.status !== 'running' && s.status !== 'stopping') return { record: this.store.load(id), state: s };
    const rec = this.store.load(id);
    const image = this.resolved.get(id);
    const sig = image?.config.config?.StopSignal ?? 'SIGTERM';
    await this.runtime.kill(id, sig).catch(() => undefined);
    if (s.pid && !(await waitGone(s.pid, undefined, timeoutSecs * 1000))) {
      await this.runtime.kill(id, 'SIGKILL', { all: true }).catch(() => undefined);
    }
    return { record: rec, state: await this.waitExited(id) };
  }

  /** Wait until the waiter recorded the exit (or removed the container, with --rm). */
  async waitExited(id: string, timeoutMs = 30_000): Promise<ContainerState> {
    const end = Date.now() + timeoutMs;
    let delay = 5;
    for (;;) {
      let s: ContainerState;
      try {
        s = await this.reconcile(id);
      } catch (e) {
        if (e instanceof NoSuchContainer) return { status: 'exited' }; // removed by --rm
        throw e;
      }
      if (s.status === 'exited') {
        // With --rm the waiter removes it right after recording: let it finish.
        const rec = this.store.load(id);
        if (!rec.run.rm || !s.monitorPid || !monitorAlive(s)) return s;
      }
      if (Date.now() > end) throw new EngineError(`container ${id.slice(0, 12)} did not exit in time`);
      await sleep(delay);
      delay = Math.min(delay * 2, 100);
    }
  }

  /** `corral wait`: the exit code once the container has exited. */
  async wait(ref: string): Promise<number> {
    const id = this.store.lookup(ref);
    const s = await this.waitExited(id, 2 ** 31 - 1);
    return s.exitCode ?? -1;
  }

  /** Remove a container; a running one only with `force` (killed first). */
  async remove(ref: string, force = false): Promise<string> {
    const id = this.store.lookup(ref);
    const rec = this.store.load(id);
    const s = await this.reconcile(id);
    if (s.status === 'running' || s.status === 'stopping') {
      if (!force) {
        throw new EngineError(
          `container ${rec.name} is running; stop it first (corral stop ${rec.name}) or use corral rm -f`,
        );
      }
      await this.runtime.kill(id, 'SIGKILL', { all: true }).catch(() => undefined);
      await this.waitExited(id).catch(() => undefined);
      if (!existsSync(this.store.dir(id))) return id; // --rm: the waiter removed it
      const w = this.store.loadState(id);
      if (w.monitorPid && monitorAlive(w)) await waitGone(w.monitorPid, undefined, 10_000);
    }
    await this.detach(rec);
    await this.runtime.delete(id, { force: true }).catch(() => undefined);
    await this.releaseRootfs(id);
    this.unmountOrphanRootfs(this.store.load(id));
    this.store.remove(id, rec.name);
    return id;
  }

  // ---------- exec ----------

  /** Run a command in a running container; resolves with its exit code. */
  async exec(ref: string, req: ExecRequest): Promise<number> {
    const id = this.store.lookup(ref);
    const rec = this.store.load(id);
    const s = await this.reconcile(id);
    if (s.status !== 'running') {
      throw new EngineError(
        `container ${rec.name} is not running (${s.status}); start a new one with corral run`,
      );
    }
    if (!req.cmd.length) throw new EngineError('exec: no command given; usage: corral exec NAME COMMAND...');
    if (req.workdir !== undefined && !req.workdir.startsWith('/'))
      throw new EngineError(`-w ${req.workdir}: the working directory must be an absolute path`);
    const spec = JSON.parse(readFileSync(join(this.store.dir(id), 'config.json'), 'utf8')) as Spec;
    const base = spec.process!;
    const user = req.user ? resolveUser(rec.rootfs ?? '/nonexistent', req.user) : undefined;
    const env = new Map<string, string>();
    for (const kv of [...(base.env ?? []), ...parseEnv(req.env ?? [])]) {
      const eq = kv.indexOf('=');
      env.set(kv.slice(0, eq), kv.slice(eq + 1));
    }
    if (req.tty && !env.has('TERM')) env.set('TERM', 'xterm');
    const proc: Process = {
      ...base,
      args: req.cmd,
      env: [...env].map(([k, v]) => `${k}=${v}`),
      cwd: req.workdir ?? base.cwd,
      terminal: !!req.tty,
      ...(req.tty && consoleSize(req.terminal) ? { consoleSize: consoleSize(req.terminal)! } : {}),
      ...(user
        ? {
            user: {
              uid: user.uid,
              gid: user.gid,
              ...(user.additionalGids.length ? { additionalGids: user.additionalGids } : {}),
            },
            ...(user.uid !== 0 && base.capabilities
              ? { capabilities: { bounding: base.capabilities.bounding ?? [], effective: [], permitted: [] } }
              : {}),
          }
        : {}),
    };
    let result;
    const execOpts: ExecOptions & TerminalRelayOptions = {
      tty: !!req.tty,
      stdio: req.stdio ?? ['inherit', 'inherit', 'inherit'],
      ...(req.tty ? { terminalRelay: { onStarted: (t) => req.terminal?.onStarted?.(t) } } : {}),
    };
    try {
      result = await this.runtime.exec(id, proc, execOpts);
    } catch (e) {
      throw startError(e);
    }
    const code = (await result.exited) ?? 1;
    const late = this.lateErrors.get(id);
    this.lateErrors.delete(id);
    return (late ? commandErrorCode(late) : undefined) ?? code;
  }

  logPath(ref: string): string {
    return this.store.logPath(this.store.lookup(ref));
  }
}

/** A start-time error as the CLI reports it: the command's 126/127, else 125. */
function startError(e: unknown): EngineError {
  if (e instanceof EngineError) return e;
  const msg = oneLine(e);
  const code = commandErrorCode(msg);
  if (code !== undefined) {
    const m = /^(?:arg|exec) ([^:]*):/.exec(msg.replace(/^arg: /, 'arg '));
    return new EngineError(
      code === 127
        ? `${m?.[1] ?? 'the command'}: executable file not found in $PATH; check the command and the image`
        : `${msg}; check the command's permissions and format`,
      code,
    );
  }
  return new EngineError(`cannot start the container: ${msg}`);
}

function monitorAlive(s: ContainerState): boolean {
  if (!s.monitorPid) return false;
  const st = procStat(s.monitorPid);
  return !!st && st.state !== 'Z' && st.state !== 'X';
}

/** Create the working directory in the (writable) rootfs when missing, as podman does. */
function ensureWorkdir(rootfs: string, cwd: string): void {
  let p = rootfs;
  for (const c of cwd.split('/').filter(Boolean)) {
    p = join(p, c);
    try {
      const st = lstatSync(p);
      if (st.isSymbolicLink()) return; // resolved in the container (the helper handles it)
      if (!st.isDirectory()) return;
    } catch {
      mkdirSync(p, { mode: 0o755 });
    }
  }
}

/** Node flags of the monitor: a small heap, it only waits. */
const MONITOR_FLAGS = ['--max-old-space-size=16', '--max-semi-space-size=1'];

export interface MonitorOptions {
  dataDir: string;
  helperPath?: string;
  cgroupRoot?: string;
  network?: ContainerNetworkOptions;
}

function monitorOptions(o: EngineOptions): MonitorOptions {
  return {
    dataDir: o.dataDir,
    ...(o.helperPath ? { helperPath: o.helperPath } : {}),
    ...(o.cgroupRoot ? { cgroupRoot: o.cgroupRoot } : {}),
    ...(o.network ? { network: o.network } : {}),
  };
}

export { MONITOR };
