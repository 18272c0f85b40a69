// corral-oci start ID
import type { Command } from 'commander';
import type { Context } from './context.js';

export function register(program: Command, ctx: Context): void {
  program
    .command('start')
    .description('start the process of a created container')
    .argument('<id>', 'container id')
    .action(async (id: string) => {
      await (await ctx.runtime()).start(id);
    });
}
