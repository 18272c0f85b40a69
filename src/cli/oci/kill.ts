// corral-oci kill [--all] ID [SIGNAL]
import type { Command } from 'commander';
import type { Context } from './context.js';

export function register(program: Command, ctx: Context): void {
  program
    .command('kill')
    .description('send a signal (default SIGTERM) to the container process')
    .option('-a, --all', 'send it to every process of the container')
    .argument('<id>', 'container id')
    .argument('[signal]', 'signal name (KILL, SIGKILL) or number', 'SIGTERM')
    .action(async (id: string, signal: string, f: { all?: boolean }) => {
      await (await ctx.runtime()).kill(id, signal, { all: f.all });
    });
}
