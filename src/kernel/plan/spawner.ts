// Starts `corral-helper run` through one long-lived `corral-helper spawner` (native/spawner.c,
// native/PLAN.md "The spawner") instead of child_process.spawn: Node forks a child by copying
// its page tables and waits until the child has exec'd, milliseconds of a busy event loop per
// container in a process as big as the node agent; the spawner is small and the caller only
// writes a line. Each run looks like a child process (pid, exit, kill) with a sync socket (a
// Duplex whose lines the spawner relays).
// The spawner is a child process of ours, or the `corral` front that started this process
// (HelperSpawner.overFront: native/front.c, the same requests and events over a socket). Over the
// front nothing here needs Node's stream or net modules, which `corral run` then never loads
// (tens of modules to compile, and memory to touch, at every start).
import { spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { read, readFileSync, writeSync } from 'node:fs';
import { constants } from 'node:os';
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

/** The spawner as this process reaches it: requests written, events given to `onChunk`. */
interface SpawnerLink {
  readonly pid?: number;
  write(s: string): void;
  /** Keep this process alive for events (runs or operations are pending). */
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

/**
 * The helper's sync socket as seen from here: lines out through the spawner, lines in from it.
 * What startPlan uses of a socket (write, end, 'data', 'end', 'close', unref) on an EventEmitter,
 * not a stream.Duplex (see the top).
 */
export class RelaySocket extends EventEmitter {
  destroyed = false;
  private ended = false;
  private readonly out = new LineSplitter();

  constructor(
    private readonly owner: HelperSpawner,
    private readonly token: string,
    private readonly onUnref: () => void,
  ) {
    super();
  }

  /** Lines arrive as strings already. */
  setEncoding(_encoding: 'utf8'): this {
    return this;
  }

  write(chunk: string): boolean {
    if (this.ended || this.destroyed) return false;
    // One request for the chunk (a whole plan is hundreds of lines).
    const lines = this.out.push(chunk);
    if (lines.length) this.owner.send(lines.map((l) => `data\t${this.token}\t${l}\n`).join(''));
    return true;
  }

  /** Shut down our writing side (the helper reads EOF). */
  end(): this {
    if (this.ended || this.destroyed) return this;
    this.ended = true;
    this.owner.send(encodeLine(['close', this.token]));
    return this;
  }

  /** As net.Socket's: the run no longer keeps the caller alive. */
  unref(): this {
    this.onUnref();
    return this;
  }

  /** From the spawner: a line (with its newline), or null at the helper's EOF: then 'end' and
   *  'close', as a socket that is not half-open emits them. */
  push(data: string | null): void {
    if (this.destroyed) return;
    if (data !== null) {
      this.emit('data', data);
      return;
    }
    this.destroyed = true;
    process.nextTick(() => {
      this.emit('end');
      this.emit('close', false);
    });
  }
}

/**
 * The front's end (a blocking socket, fd CORRAL_FRONT_FD): requests are written as they come,
 * events read on Node's thread pool while something is pending (a read in flight keeps the
 * process alive: unref() asks the front for a `pong` to end it).
 */
class FrontLink implements SpawnerLink {
  private reading = false;
  private refed = false;
  private gone = false;
  private readonly buf = Buffer.allocUnsafe(16384);
  private readonly text = new TextDecoder();

  constructor(
    private readonly fd: number,
    private readonly onChunk: (s: string) => void,
    private readonly onGone: (why: string) => void,
  ) {}

  write(s: string): void {
    if (this.gone) return;
    const b = Buffer.from(s);
    try {
      for (let off = 0; off < b.length;) off += writeSync(this.fd, b, off);
    } catch (e) {
      this.lost(`is gone (${(e as Error).message})`);
    }
  }

  ref(): void {
    this.refed = true;
    this.pump();
  }

  unref(): void {
    this.refed = false;
    if (this.reading) this.write(encodeLine(['ping', '-']));
  }

  end(): void {
    /* the front waits for our `exit` (src/cli/front.ts) */
  }

  private pump(): void {
    if (this.reading || !this.refed || this.gone) return;
    this.reading = true;
    read(this.fd, this.buf, 0, this.buf.length, null, (err, n) => {
      this.reading = false;
      if (err || n === 0) return this.lost(err ? `is gone (${err.message})` : 'is gone');
      this.onChunk(this.text.decode(this.buf.subarray(0, n), { stream: true }));
      this.pump();
    });
  }

  private lost(why: string): void {
    if (this.gone) return;
    this.gone = true;
    this.onGone(why);
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
  }): { child: HelperProcess; sync: RelaySocket } {
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
    child.write(encodeLine(['spawn', token, o.detached ? '1' : '0', ...io, ...env]));
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
    child.write(encodeLine(fields(token)));
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
    this.child?.write(line);
  }

  release(): void {
    this.refs--;
    this.refresh();
  }

  private process(): SpawnerLink {
    if (this.child) return this.child;
    const lines = new LineSplitter();
    const onChunk = (chunk: string): void => {
      for (const line of lines.push(chunk)) this.event(line);
    };
    const child =
      this.frontFd !== undefined
        ? new FrontLink(this.frontFd, onChunk, (why) => {
            this.frontLost = true;
            this.lost(child, `the corral front ${why}`);
          })
        : this.spawnProcess(onChunk);
    this.child = child;
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
      if (run.pid !== undefined) {
        // The front is gone (killed): nobody reports this helper's end; notice it here. Its
        // status is in its exit status file (its caller reads that on an end without one).
        if (this.frontFd !== undefined) this.watchUnreported(run, run.pid);
        continue;
      }
      run.exited = true;
      this.finish(run);
      run.sync.push(null);
      run.emit('error', new Error(`the helper spawner ${why}`));
    }
  }

  /** Poll until process `pid` (started at the start time /proc shows now) is gone. */
  private watchUnreported(run: SpawnedRun, pid: number): void {
    const started = (): string | undefined => {
      try {
        const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
        const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
        return f[0] === 'Z' ? undefined : f[19]; // a zombie has ended too
      } catch {
        return undefined;
      }
    };
    const at = started();
    const timer = setInterval(() => {
      if (at !== undefined && started() === at) return;
      clearInterval(timer);
      run.exited = true;
      this.finish(run);
      run.sync.push(null);
      run.emit('exit', null, null);
    }, 100);
    if (!run.refed) timer.unref();
  }

  private spawnProcess(onChunk: (s: string) => void): SpawnerLink {
    const child = spawn(this.helper, ['spawner'], { stdio: ['pipe', 'pipe', 'inherit'] });
    const streams = [child.stdin, child.stdout] as unknown as { ref?(): void; unref?(): void }[];
    const link: SpawnerLink = {
      get pid() {
        return child.pid;
      },
      write: (s) => void child.stdin!.write(s),
      ref: () => {
        child.ref();
        for (const s of streams) s.ref?.();
      },
      unref: () => {
        child.unref();
        for (const s of streams) s.unref?.();
      },
      end: () => child.stdin!.end(),
    };
    child.stdout!.setEncoding('utf8').on('data', onChunk);
    child.stdin!.on('error', () => undefined);
    child.on('error', (e) => this.lost(link, `cannot run ${this.helper}: ${e.message}`));
    child.on('exit', (code, signal) => this.lost(link, `ended (${signal ?? code})`));
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
