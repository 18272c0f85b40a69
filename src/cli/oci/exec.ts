// corral-oci exec [flags] ID [COMMAND [ARGS...]] or --process FILE: run a process in a container.
import { readFileSync } from 'node:fs';
import type { Values } from './args.js';
import { intArg, type Context } from './context.js';
import { forwardSignals } from './signals.js';

interface ExecFlags {
  process?: string;
  tty?: boolean;
  detach?: boolean;
  pidFile?: string;
  consoleSocket?: string;
  env: string[];
  cwd?: string;
  user?: string;
  additionalGids: string[];
  cap: string[];
  noNewPrivs?: boolean;
  preserveFds: string;
}

export async function run(ctx: Context, values: Values, [id, ...command]: string[]): Promise<void> {
  const f = values as unknown as ExecFlags;
  const rt = await ctx.runtime();
  const { validateExecProcess } = await import('../../oci/validate.js');
  const { OciError } = await import('../../oci/errors.js');
  const spec = rt.store.load(id!).config;
  let proc;
  if (f.process) {
    let raw: unknown;
    try {
      raw = JSON.parse(readFileSync(f.process, 'utf8'));
    } catch (e) {
      throw new OciError(`--process ${f.process}: ${(e as Error).message}`);
    }
    proc = validateExecProcess(raw);
    proc.user ??= { uid: 0, gid: 0 };
    proc.cwd ??= '/';
  } else {
    if (!command.length) throw new OciError('exec needs a COMMAND or --process FILE');
    const base = spec.process;
    let uid = 0;
    let gid = 0;
    if (f.user) {
      const m = /^(\d+)(?::(\d+))?$/.exec(f.user);
      if (!m) throw new OciError(`--user: "${f.user}" must be UID or UID:GID (numbers)`);
      uid = Number(m[1]);
      gid = Number(m[2] ?? 0);
    } else if (base) {
      uid = base.user.uid;
      gid = base.user.gid;
    }
    const caps = base?.capabilities ? structuredClone(base.capabilities) : undefined;
    if (f.cap.length && caps) {
      for (const set of ['bounding', 'effective', 'permitted'] as const) {
        caps[set] = [...new Set([...(caps[set] ?? []), ...f.cap])];
      }
    }
    proc = validateExecProcess({
      terminal: !!f.tty,
      user: {
        uid,
        gid,
        additionalGids: f.additionalGids.length
          ? f.additionalGids.map((g) => intArg(g, '--additional-gids'))
          : f.user
            ? undefined
            : base?.user.additionalGids,
        umask: base?.user.umask,
      },
      args: command,
      env: [...(base?.env ?? []), ...f.env],
      cwd: f.cwd ?? base?.cwd ?? '/',
      ...(caps ? { capabilities: caps } : {}),
      noNewPrivileges: f.noNewPrivs || base?.noNewPrivileges,
      ...(base?.rlimits ? { rlimits: base.rlimits } : {}),
    });
  }
  let pid: number | undefined;
  const stop = f.detach ? () => undefined : forwardSignals(() => pid);
  try {
    const r = await rt.exec(id!, proc, {
      tty: f.tty ?? proc.terminal,
      detach: f.detach,
      pidFile: f.pidFile,
      consoleSocket: f.consoleSocket,
      preserveFds: intArg(f.preserveFds, '--preserve-fds'),
    });
    pid = r.pid;
    if (r.exited) process.exitCode = await r.exited;
  } finally {
    stop();
  }
}
