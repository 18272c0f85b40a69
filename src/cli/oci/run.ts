// corral-oci run [create flags] [-d] ID: create + start; in the foreground wait and exit with the
// container's status, then delete it.
import type { Command } from 'commander';
import { intArg, type Context } from './context.js';
import { createOptions, type CreateFlags } from './create.js';
import { forwardSignals } from './signals.js';

export function register(program: Command, ctx: Context): void {
  createOptions(program.command('run'))
    .description('create and start a container; without --detach wait for it and exit with its status')
    .option('-d, --detach', 'return after the start, leave the container running')
    .argument('<id>', 'container id')
    .action(async (id: string, f: CreateFlags) => {
      const rt = await ctx.runtime();
      let pid: number | undefined;
      const stop = f.detach ? () => undefined : forwardSignals(() => pid);
      try {
        const code = await rt.run(id, f.bundle, {
          pidFile: f.pidFile,
          consoleSocket: f.consoleSocket,
          noPivot: !f.pivot,
          preserveFds: intArg(f.preserveFds ?? '0', '--preserve-fds'),
          detached: !!f.detach,
          onCreated: (p) => (pid = p),
        });
        if (code !== undefined) process.exitCode = code;
      } finally {
        stop();
      }
    });
}
