// The driver of `corral-helper run`: spawns the helper, writes the plan and speaks the handshake of
// native/PLAN.md ("Handshake"). Library code: no process-wide state, no process.exit.
import { spawn, type ChildProcess, type StdioNull, type StdioPipe } from 'node:child_process';
import { closeSync, constants as fsc, openSync } from 'node:fs';
import type { Socket } from 'node:net';
import type { Stream } from 'node:stream';
import { helperPath } from '../helper-path.js';
import { LineSplitter } from './lines.js';
import { decodeLine, encodeLine, encodePlan, type Plan } from './plan.js';
import type { HelperProcess, HelperSpawner, RelaySocket, SpawnerStdio } from './spawner.js';

/** A step of the plan failed (or the helper died). `step` is the record name the helper names
 *  first in its message (`mount`, `caps`, `seal`, `run`...). */
export class HelperError extends Error {
  constructor(
    readonly step: string,
    message: string,
  ) {
    super(message);
    this.name = 'HelperError';
  }
}

/** The helper binary: $CORRAL_HELPER, else <repo>/native/corral-helper next to this module
 *  (compiled: dist/src/kernel/plan/helper.js; from source: src/kernel/plan/helper.ts). */
export { helperPath };

export type HelperMessage =
  | { type: 'pid'; pid: number }
  | { type: 'prestart' }
  | { type: 'created' }
  | { type: 'error'; step: string; message: string };

/** One line from the helper (without its newline). Throws on anything the protocol does not know. */
export function parseHelperMessage(line: string): HelperMessage {
  const [name, ...rest] = decodeLine(line);
  switch (name) {
    case 'pid': {
      const pid = Number(rest[0]);
      if (!Number.isInteger(pid) || pid <= 0) throw new HelperError('protocol', `bad pid message: ${line}`);
      return { type: 'pid', pid };
    }
    case 'prestart':
    case 'created':
      return { type: name };
    case 'error': {
      const message = rest.join('\t') || 'unknown error';
      return { type: 'error', step: message.split(/[\s:]/, 1)[0]!, message };
    }
    default:
      throw new HelperError('protocol', `unexpected message from corral-helper: ${JSON.stringify(line)}`);
  }
}

export { LineSplitter };

/** A path is opened read-write for the helper (a FIFO does not block then). */
export type StdioSpec = StdioPipe | StdioNull | number | Stream | { path: string };

export interface StartPlanOptions {
  /** The container's stdin, stdout, stderr (the helper passes its own on). */
  stdio: [StdioSpec, StdioSpec, StdioSpec];
  /** Host fds that become fds 3, 4, ... of the process; the plan needs `preserve-fds` with the count. */
  preserveFds?: number[];
  /** The helper's environment (the container's comes from the plan's `env` records). */
  env?: Record<string, string>;
  /** Spawn the helper in its own session (setsid), so that the caller's terminal signals and
   *  session end do not reach the container (use with the plan's `detach` record). */
  detached: boolean;
  /** The container process exists (host PID) and waits: put it into its cgroups here. */
  onPid?(pid: number): Promise<void> | void;
  /** Mounts are done, pivot_root comes next: run createRuntime/prestart hooks here. */
  onPrestart?(pid: number): Promise<void> | void;
  /** OCI state JSON given to the plan's hooks (sent before each `go`). */
  stateJson?(pid: number): string;
  /** Overrides helperPath(). */
  helper?: string;
  /** Start the helper through this spawner when the stdio allows it ('ignore' or paths, no
   *  preserved fds); child_process.spawn otherwise. */
  spawner?: HelperSpawner;
  /** A helper prespawnHelper started with this stdio and `detached` (no preserved fds): used
   *  instead of starting one. */
  prespawned?: PrespawnedHelper;
}

export interface HelperExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** An error the helper reported after `created` (e.g. a failing execve or startContainer hook). */
  error?: HelperError;
}

export interface StartedPlan {
  /** Host PID of the container process. */
  pid: number;
  helper: HelperProcess;
  /** The helper's end: with detach 0 it carries the container's status (128+n when killed by n). */
  exited: Promise<HelperExit>;
  /** Let the caller's event loop end without waiting for the helper (then `exited` may never settle). */
  unref(): void;
  /** With a `terminal-relay` plan: set the pty's window size (a `winsize` line on the sync socket). */
  resize(rows: number, cols: number): void;
}

function preserveCount(plan: Plan): number {
  let n = 0;
  for (const r of plan) if (r.op === 'preserve-fds') n = r.count;
  return n;
}

function killQuietly(pid: number | undefined): void {
  if (!pid) return;
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    /* already gone */
  }
}

/** What the spawner can give a run: /dev/null, a path, or through the `corral` front (whose
 *  stdio is this process's caller's) 'inherit'. */
const viaSpawner = (s: StdioSpec, spawner: HelperSpawner): s is SpawnerStdio =>
  s === 'ignore' ||
  (s === 'inherit' && spawner.inheritsStdio) ||
  (typeof s === 'object' && s !== null && 'path' in s);

/** The helper's sync socket: a socketpair end, or the spawner's relay of one. */
type SyncSocket = Socket | RelaySocket;

/** The helper process and its sync socket: through the spawner, or spawned here. */
function spawnHelper(
  opts: StartPlanOptions,
  preserve: number[],
): { child: HelperProcess; sync: SyncSocket | null } {
  const stdio = opts.stdio;
  const spawner = opts.spawner;
  if (spawner && !preserve.length && stdio.every((s) => viaSpawner(s, spawner))) {
    return spawner.spawn({
      stdio: stdio as [SpawnerStdio, SpawnerStdio, SpawnerStdio],
      ...(opts.env ? { env: opts.env } : {}),
      detached: opts.detached,
    });
  }
  const syncFd = 3 + preserve.length;
  const opened: number[] = [];
  try {
    const io = stdio.map((s) => {
      if (typeof s !== 'object' || s === null || !('path' in s)) return s;
      const fd = openSync(s.path, fsc.O_RDWR | fsc.O_NOCTTY);
      opened.push(fd);
      return fd;
    });
    const child: ChildProcess = spawn(opts.helper ?? helperPath(), ['run'], {
      stdio: [...io, ...preserve, 'pipe'],
      env: { ...opts.env, CORRAL_SYNC_FD: String(syncFd) },
      detached: opts.detached,
    });
    return { child: child as HelperProcess, sync: child.stdio[syncFd] as Socket | null };
  } finally {
    for (const fd of opened) closeSync(fd);
  }
}

/**
 * A helper started before its plan is ready: it seals itself (copies its binary to a sealed
 * memfd and re-execs that) and waits for the plan while the caller resolves the image and builds
 * the plan, work a short-lived caller (`corral run`) otherwise has on its critical path after it.
 */
export interface PrespawnedHelper {
  /** For startPlan: the helper and its sync socket, once (later calls: undefined). */
  take(): { child: HelperProcess; sync: SyncSocket } | undefined;
  /** Not needed after all (unless taken): the helper exits on the closed socket, quietly. */
  cancel(): void;
}

export function prespawnHelper(
  opts: Pick<StartPlanOptions, 'stdio' | 'detached' | 'helper' | 'env' | 'spawner'>,
): PrespawnedHelper | undefined {
  let h: { child: HelperProcess; sync: SyncSocket | null };
  try {
    h = spawnHelper(opts, []);
  } catch {
    return undefined; // startPlan will try again and report why
  }
  const { child, sync } = h;
  if (!sync) {
    child.kill('SIGKILL');
    return undefined;
  }
  let taken = false;
  return {
    take: () => (taken ? undefined : ((taken = true), { child, sync })),
    cancel: () => {
      if (taken) return;
      taken = true;
      sync.end();
    },
  };
}

/** Run a plan: resolves once the helper reports `created` (the process then waits on the exec
 *  fifo, or runs). Rejects with a HelperError naming the failed step; on any failure the helper
 *  and the container process are killed. */
export function startPlan(plan: Plan, opts: StartPlanOptions): Promise<StartedPlan> {
  const preserve = opts.preserveFds ?? [];
  if (preserveCount(plan) !== preserve.length) {
    return Promise.reject(
      new HelperError(
        'preserve-fds',
        `preserve-fds: the plan passes ${preserveCount(plan)} fds but ${preserve.length} were given`,
      ),
    );
  }
  let child: HelperProcess;
  let sync: SyncSocket | null;
  try {
    ({ child, sync } = (!preserve.length && opts.prespawned?.take()) || spawnHelper(opts, preserve));
  } catch (e) {
    return Promise.reject(new HelperError('spawn', `cannot start corral-helper: ${(e as Error).message}`));
  }
  if (!sync) {
    child.kill('SIGKILL');
    return Promise.reject(new HelperError('spawn', 'cannot start corral-helper: no sync socket'));
  }

  return new Promise<StartedPlan>((resolveStart, rejectStart) => {
    let pid: number | undefined;
    let settled = false;
    let lateError: HelperError | undefined;
    const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((res) => {
      child.once('exit', (code, signal) => res({ code, signal }));
    });
    const syncClosed = new Promise<void>((res) => sync.once('close', () => res()));
    const exited: Promise<HelperExit> = Promise.all([exit, syncClosed]).then(([e]) =>
      lateError ? { ...e, error: lateError } : e,
    );

    const fail = (err: Error): void => {
      if (settled) return;
      settled = true;
      killQuietly(pid);
      // The helper exits by itself after an error, an abort or EOF on the sync socket, and it reaps
      // the container process first; killing it at once could leave an unreaped orphan. So close
      // the socket and only SIGKILL a helper that is still there after a grace period.
      sync.end();
      const timer = setTimeout(() => child.kill('SIGKILL'), 2000);
      timer.unref();
      void exit.then(() => clearTimeout(timer));
      rejectStart(err);
    };
    const send = (fields: string[]): void => {
      if (!sync.destroyed) sync.write(encodeLine(fields));
    };
    const reply = (): void => {
      if (opts.stateJson && pid) send(['state', opts.stateJson(pid)]);
      send(['go']);
    };

    const handle = async (line: string): Promise<void> => {
      const msg = parseHelperMessage(line);
      if (settled && msg.type !== 'error') return;
      switch (msg.type) {
        case 'pid':
          pid = msg.pid;
          await opts.onPid?.(msg.pid);
          return reply();
        case 'prestart':
          await opts.onPrestart?.(pid!);
          return reply();
        case 'created':
          settled = true;
          return resolveStart({
            pid: pid!,
            helper: child,
            exited,
            unref: () => {
              child.unref();
              sync.unref();
            },
            resize: (rows, cols) => send(['winsize', String(Math.trunc(rows)), String(Math.trunc(cols))]),
          });
        case 'error': {
          const err = new HelperError(msg.step, msg.message);
          if (settled) lateError = err;
          else fail(err);
        }
      }
    };

    // Messages are strictly request/reply, so handling them one after another in a chain keeps
    // the order even when a callback is slow.
    let chain = Promise.resolve();
    const splitter = new LineSplitter();
    sync.setEncoding('utf8');
    sync.on('data', (chunk: string) => {
      for (const line of splitter.push(chunk)) {
        chain = chain
          .then(() => handle(line))
          .catch((e: unknown) => {
            const err = e instanceof Error ? e : new Error(String(e));
            if (!settled) send(['abort', err.message]); // the helper kills the child and exits
            fail(err);
          });
      }
    });
    sync.on('error', () => {
      /* EPIPE/ECONNRESET when the helper dies: its exit tells the rest */
    });
    sync.on('end', () => {
      chain = chain.then(async () => {
        if (settled) return;
        const e = await exit;
        fail(
          new HelperError(
            'run',
            `corral-helper ${e.signal ? `was killed by ${e.signal}` : `exited with status ${e.code}`} before the container was created`,
          ),
        );
      });
    });
    child.once('error', (e) => fail(new HelperError('spawn', `cannot start corral-helper: ${e.message}`)));

    sync.write(encodePlan(plan));
  });
}
