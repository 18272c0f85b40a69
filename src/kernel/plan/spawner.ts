// Starts `corral-helper run` through one long-lived `corral-helper spawner` (native/spawner.c,
// native/PLAN.md "The spawner") instead of child_process.spawn: Node forks a child by copying
// its page tables and waits until the child has exec'd, milliseconds of a busy event loop per
// container in a process as big as the node agent; the spawner is small and the caller only
// writes a line. Each run looks like a child process (pid, exit, kill) with a sync socket (a
// Duplex whose lines the spawner relays).
// The spawner is a child process of ours, or the `corral` front that started this process
// (HelperSpawner.overFront: native/front.c, the same requests and events over a socket).
import { spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { Socket } from 'node:net';
import { constants } from 'node:os';
import { Duplex, type Readable, type Writable } from 'node:stream';
import { LineSplitter } from './lines.js';
import { encodeLine, unescapeField } from './plan.js';

/** What startPlan needs of the helper process, whether Node or the spawner started it. */
export interface HelperProcess extends EventEmitter {
  readonly pid?: number;
  readonly exitCode: number | null;
  kill(signal?: NodeJS.Signals): boolean;
  unref(): void;
}

/** A run's stdio: /dev/null, or a path the spawner opens read-write (a FIFO, a file, a tty), or
 *  (only through the front: HelperSpawner.inheritsStdio) the front's own, which is its caller's. */
export type SpawnerStdio = 'ignore' | 'inherit' | { path: string };

/** The spawner as this process reaches it: requests in, events out. */
interface SpawnerLink {
  readonly pid?: number;
  readonly input: Writable;
  readonly output: Readable;
  ref(): void;
  unref(): void;
  /** No more requests. */
  end(): void;
}

const SIGNAL_NAMES = new Map<number, NodeJS.Signals>(
  Object.entries(constants.signals).map(([name, n]) => [n, name as NodeJS.Signals]),
);

class SpawnedRun extends EventEmitter implements HelperProcess {
  pid?: number;
  exitCode: number | null = null;
  exited = false;
  refed = true;
  readonly sync: RelaySocket;

  constructor(
    private readonly owner: HelperSpawner,
    readonly token: string,
  ) {
    super();
    this.sync = new RelaySocket(owner, token, () => this.unref());
  }

  kill(signal: NodeJS.Signals = 'SIGTERM'): boolean {
    if (this.exited || !this.pid) return false;
    try {
      process.kill(this.pid, signal);
      return true;
    } catch {
      return false;
    }
  }

  unref(): void {
    if (!this.refed) return;
    this.refed = false;
    this.owner.release();
  }
}

/** The helper's sync socket as seen from here: lines out through the spawner, lines in from it. */
class RelaySocket extends Duplex {
  private readonly out = new LineSplitter();

  constructor(
    private readonly owner: HelperSpawner,
    private readonly token: string,
    private readonly onUnref: () => void,
  ) {
    super({ allowHalfOpen: false, decodeStrings: false });
  }

  override _write(chunk: Buffer | string, _enc: BufferEncoding, cb: (e?: Error | null) => void): void {
    // One write for the chunk (a whole plan is hundreds of lines).
    const lines = this.out.push(chunk.toString());
    if (lines.length) this.owner.send(lines.map((l) => `data\t${this.token}\t${l}\n`).join(''));
    cb();
  }

  override _final(cb: (e?: Error | null) => void): void {
    this.owner.send(encodeLine(['close', this.token]));
    cb();
  }

  override _read(): void {
    /* lines are pushed as the spawner reports them */
  }

  /** As net.Socket's: the run no longer keeps the caller alive. */
  unref(): this {
    this.onUnref();
    return this;
  }
}

/** A mount(2) or umount2(2) the spawner does for its caller (see native/PLAN.md "The spawner"). */
export type MountRequest =
  | { op: 'mount'; fstype: string; source: string; target: string; flags: number; data: string }
  | { op: 'umount'; target: string; flags: number };

export class HelperSpawner {
  private child?: SpawnerLink;
  private readonly runs = new Map<string, SpawnedRun>();
  private readonly ops = new Map<string, { resolve: () => void; reject: (e: Error) => void }>();
  private seq = 0;
  private frontLost = false;
  private refs = 0;
  private closing = false;

  constructor(
    private readonly helper: string,
    private readonly log: (msg: string) => void = () => undefined,
    private readonly frontFd?: number,
  ) {}

  /**
   * The spawner of the `corral` front that started this process (native/front.c): its socket is
   * `fd`. Its runs may inherit its stdio, which is the caller's ('inherit').
   */
  static overFront(fd: number, log?: (msg: string) => void): HelperSpawner {
    return new HelperSpawner('corral front', log, fd);
  }

  /** Over the front: its socket has not closed (lost) yet. */
  get frontAlive(): boolean {
    return this.frontFd !== undefined && !this.frontLost;
  }

  /** Runs may have 'inherit' stdio: the spawner's own stdio is this process's caller's. */
  get inheritsStdio(): boolean {
    return this.frontFd !== undefined;
  }

  /** The spawner process (started with the first run). */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Start `corral-helper run` with its sync socket as fd 3 (CORRAL_SYNC_FD=3). */
  spawn(o: {
    stdio: [SpawnerStdio, SpawnerStdio, SpawnerStdio];
    env?: Record<string, string>;
    detached: boolean;
  }): { child: HelperProcess; sync: Duplex & { unref(): unknown } } {
    if (this.closing) throw new Error('the helper spawner is closed');
    const io = o.stdio.map((s) => {
      if (s === 'ignore') return '-';
      if (s !== 'inherit') return s.path;
      if (!this.inheritsStdio) throw new Error('only the corral front passes its stdio on');
      return '&';
    });
    const child = this.process();
    const token = String(++this.seq);
    const run = new SpawnedRun(this, token);
    this.runs.set(token, run);
    this.refs++;
    this.refresh();
    const env = Object.entries(o.env ?? {}).map(([k, v]) => `${k}=${v}`);
    child.input.write(encodeLine(['spawn', token, o.detached ? '1' : '0', ...io, ...env]));
    return { child: run, sync: run.sync };
  }

  /**
   * Mount or unmount in the caller's stead: a long-running caller (the node agent) spends a fork
   * of itself on every `mount` process it starts; the spawner makes the one system call. Rejects
   * with the kernel's message (the error's `code` is its errno number).
   */
  mount(r: MountRequest): Promise<void> {
    return this.fsOp((token) =>
      r.op === 'mount'
        ? ['mount', token, r.fstype, r.source, r.target, String(r.flags), r.data]
        : ['umount', token, r.target, String(r.flags)],
    );
  }

  /** A named pipe at `path` with exactly `mode`: Node has no mkfifo(2), and a `mkfifo` process
   *  would cost the caller a fork of itself. Rejects as mount() does (EEXIST included). */
  mkfifo(path: string, mode: number): Promise<void> {
    return this.fsOp((token) => ['mkfifo', token, path, mode.toString(8)]);
  }

  private fsOp(fields: (token: string) => string[]): Promise<void> {
    if (this.closing) return Promise.reject(new Error('the helper spawner is closed'));
    const child = this.process();
    const token = `m${++this.seq}`;
    this.refs++;
    this.refresh();
    const done = new Promise<void>((resolve, reject) => this.ops.set(token, { resolve, reject }));
    child.input.write(encodeLine(fields(token)));
    return done.finally(() => this.release());
  }

  /**
   * No more runs: the spawner ends once the runs it has report their exits (as child processes
   * would keep reporting theirs); the helpers run on after it, as after any caller's exit.
   */
  close(): void {
    this.closing = true;
    if (!this.runs.size && !this.ops.size) this.end();
  }

  private end(): void {
    const c = this.child;
    this.child = undefined;
    c?.end();
    c?.unref();
  }

  send(line: string): void {
    this.child?.input.write(line);
  }

  release(): void {
    this.refs--;
    this.refresh();
  }

  private process(): SpawnerLink {
    if (this.child) return this.child;
    const child = this.frontFd !== undefined ? this.front(this.frontFd) : this.spawnProcess();
    this.child = child;
    const lines = new LineSplitter();
    child.output.setEncoding('utf8');
    child.output.on('data', (chunk: string) => {
      for (const line of lines.push(chunk)) this.event(line);
    });
    child.input.on('error', () => undefined);
    return child;
  }

  /** The spawner's end: runs not yet forked fail as a spawn would; the others run on unwatched
   *  (their helpers still write the exit status files). */
  private lost(child: SpawnerLink, why: string): void {
    if (this.child !== child) return; // closed, or already reported
    this.child = undefined;
    this.log(`corral-helper spawner: ${why}`);
    for (const [token, op] of [...this.ops]) {
      this.ops.delete(token);
      op.reject(new Error(`the helper spawner ${why}`));
    }
    for (const run of [...this.runs.values()]) {
      if (run.pid !== undefined) continue;
      run.exited = true;
      this.finish(run);
      run.sync.push(null);
      run.emit('error', new Error(`the helper spawner ${why}`));
    }
  }

  private spawnProcess(): SpawnerLink {
    const child = spawn(this.helper, ['spawner'], { stdio: ['pipe', 'pipe', 'inherit'] });
    const link: SpawnerLink = {
      get pid() {
        return child.pid;
      },
      input: child.stdin!,
      output: child.stdout!,
      ref: () => {
        child.ref();
        for (const s of [child.stdin, child.stdout] as unknown as Socket[]) s.ref?.();
      },
      unref: () => {
        child.unref();
        for (const s of [child.stdin, child.stdout] as unknown as Socket[]) s.unref?.();
      },
      end: () => child.stdin!.end(),
    };
    child.on('error', (e) => this.lost(link, `cannot run ${this.helper}: ${e.message}`));
    child.on('exit', (code, signal) => this.lost(link, `ended (${signal ?? code})`));
    return link;
  }

  /** The front's socket. Not ended when done: the front waits for our `exit` (src/cli/front.ts). */
  private front(fd: number): SpawnerLink {
    const sock = new Socket({ fd, readable: true, writable: true });
    const link: SpawnerLink = {
      input: sock,
      output: sock,
      ref: () => sock.ref(),
      unref: () => sock.unref(),
      end: () => undefined,
    };
    sock.on('error', () => undefined);
    sock.on('close', () => {
      this.frontLost = true;
      this.lost(link, 'the corral front is gone');
    });
    return link;
  }

  /** Keep the caller alive while a run is ref'd (as a child process would). */
  private refresh(): void {
    const c = this.child;
    if (!c) return;
    if (this.refs > 0) c.ref();
    else c.unref();
  }

  private event(line: string): void {
    const a = line.indexOf('\t');
    const b = line.indexOf('\t', a + 1);
    const name = line.slice(0, a);
    const token = unescapeField(b < 0 ? line.slice(a + 1) : line.slice(a + 1, b));
    const rest = b < 0 ? '' : line.slice(b + 1);
    const op = name === 'done' ? this.ops.get(token) : undefined;
    if (op) {
      this.ops.delete(token);
      const [errno, message] = rest.split('\t');
      if (errno === '0') op.resolve();
      else op.reject(Object.assign(new Error(unescapeField(message ?? '')), { code: Number(errno) }));
      if (this.closing && !this.runs.size && !this.ops.size) this.end();
      return;
    }
    const run = this.runs.get(token);
    if (!run) return;
    switch (name) {
      case 'pid':
        run.pid = Number(rest);
        return;
      case 'data':
        run.sync.push(rest + '\n');
        return;
      case 'eof':
        run.sync.push(null);
        return;
      case 'error':
        run.exited = true;
        this.finish(run);
        run.sync.push(null);
        run.emit('error', new Error(unescapeField(rest)));
        return;
      case 'exit': {
        const [code, sig] = rest.split('\t').map(Number);
        run.exited = true;
        run.exitCode = code! >= 0 ? code! : null;
        this.finish(run);
        run.emit('exit', run.exitCode, sig ? (SIGNAL_NAMES.get(sig!) ?? null) : null);
      }
    }
  }

  private finish(run: SpawnedRun): void {
    this.runs.delete(run.token);
    run.unref();
    if (this.closing && !this.runs.size && !this.ops.size) this.end();
  }
}
