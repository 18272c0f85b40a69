// corral-oci resume ID
import type { Command } from 'commander';
import type { Context } from './context.js';

export function register(program: Command, ctx: Context): void {
  program
    .command('resume')
    .description('thaw a paused container')
    .argument('<id>', 'container id')
    .action(async (id: string) => {
      await (await ctx.runtime()).resume(id);
    });
}
