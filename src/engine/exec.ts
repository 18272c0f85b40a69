// `exec`: another process in a running container, from its OCI config (env, cwd, user,
// capabilities) with the request's changes; it joins all of the init's namespaces and its cgroup.
import { readFileSync } from 'node:fs';

import type { ExecOptions } from '../oci/runtime.js';
import type { Process, Spec } from '../oci/spec.js';
import type { TerminalRelayOptions } from '../oci/terminal.js';
import type { EngineContext, ExecRequest } from './context.js';
import { EngineError, commandErrorCode } from './errors.js';
import { startError } from './launch.js';
import { parseEnv } from './options.js';
import { consoleSize } from './terminal.js';
import { resolveUser } from './user.js';
import { joinClean } from '../util/join-clean.js';

export async function execInContainer(ctx: EngineContext, ref: string, req: ExecRequest): Promise<number> {
  const id = ctx.store.lookup(ref);
  const rec = ctx.store.load(id);
  const s = await ctx.reconcile(id);
  if (s.status !== 'running') {
    throw new EngineError(
      `container ${rec.name} is not running (${s.status}); start a new one with corral run`,
    );
  }
  if (!req.cmd.length) throw new EngineError('exec: no command given; usage: corral exec NAME COMMAND...');
  if (req.workdir !== undefined && !req.workdir.startsWith('/'))
    throw new EngineError(`-w ${req.workdir}: the working directory must be an absolute path`);
  const spec = JSON.parse(readFileSync(joinClean(ctx.store.dir(id), 'config.json'), 'utf8')) as Spec;
  const base = spec.process!;
  // The container's root as its init sees it: the overlay is mounted in its mount namespace only.
  const user = req.user ? resolveUser(`/proc/${s.pid}/root`, req.user) : undefined;
  const env = new Map<string, string>();
  for (const kv of [...(base.env ?? []), ...parseEnv(req.env ?? [])]) {
    const eq = kv.indexOf('=');
    env.set(kv.slice(0, eq), kv.slice(eq + 1));
  }
  if (req.tty && !env.has('TERM')) env.set('TERM', 'xterm');
  const size = req.tty ? consoleSize(req.terminal) : undefined;
  const proc: Process = {
    ...base,
    args: req.cmd,
    env: [...env].map(([k, v]) => `${k}=${v}`),
    cwd: req.workdir ?? base.cwd,
    terminal: !!req.tty,
    ...(size ? { consoleSize: size } : {}),
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
  const execOpts: ExecOptions & TerminalRelayOptions = {
    tty: !!req.tty,
    stdio: req.stdio ?? ['inherit', 'inherit', 'inherit'],
    ...(req.tty ? { terminalRelay: { onStarted: (t) => req.terminal?.onStarted?.(t) } } : {}),
  };
  let result;
  try {
    result = await ctx.runtime.exec(id, proc, execOpts);
  } catch (e) {
    throw startError(e);
  }
  const code = (await result.exited) ?? 1;
  const late = ctx.lateErrors.get(id);
  ctx.lateErrors.delete(id);
  return (late ? commandErrorCode(late) : undefined) ?? code;
}
