// corral-oci exec [flags] ID [COMMAND [ARGS...]] or --process FILE: run a process in a container.
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
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
  newPrivs?: boolean;
  preserveFds: string;
}

const collect = (v: string, prev: string[]) => [...prev, v];

export function register(program: Command, ctx: Context): void {
  program
    .command('exec')
    .description('run a process in a running container (joins all its namespaces and its cgroup)')
    .option('-p, --process <file>', 'process.json (the OCI process object) instead of COMMAND')
    .option('-t, --tty', 'allocate a pseudo-TTY (needs --console-socket with --detach)')
    .option('-d, --detach', 'do not wait for the process')
    .option('--pid-file <file>', 'write the process PID to this file')
    .option('--console-socket <path>', 'AF_UNIX socket that receives the pty master')
    .option('-e, --env <K=V>', 'set an environment variable (repeatable)', collect, [])
    .option('--cwd <dir>', 'working directory inside the container')
    .option('-u, --user <uid[:gid]>', 'user (numeric) to run as')
    .option('-g, --additional-gids <gid>', 'supplementary group (repeatable)', collect, [])
    .option('-c, --cap <cap>', 'add a capability (repeatable)', collect, [])
    .option('--no-new-privs', 'set no_new_privs')
    .option('--preserve-fds <n>', 'pass this many extra fds to the process', '0')
    .argument('<id>', 'container id')
    .argument('[command...]', 'command and arguments')
    .passThroughOptions()
    .action(async (id: string, command: string[], f: ExecFlags) => {
      const rt = await ctx.runtime();
      const { validateExecProcess } = await import('../../oci/validate.js');
      const { OciError } = await import('../../oci/errors.js');
      const spec = rt.store.load(id).config;
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
          noNewPrivileges: f.newPrivs === false || base?.noNewPrivileges,
          ...(base?.rlimits ? { rlimits: base.rlimits } : {}),
        });
      }
      let pid: number | undefined;
      const stop = f.detach ? () => undefined : forwardSignals(() => pid);
      try {
        const r = await rt.exec(id, proc, {
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
    });
}
