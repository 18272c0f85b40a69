// corral-oci pause ID / resume ID (cgroup freezer)
import type { Command } from 'commander';
import type { Context } from './context.js';

export function register(program: Command, ctx: Context): void {
  program
    .command('pause')
    .description('freeze every process of the container')
    .argument('<id>', 'container id')
    .action(async (id: string) => {
      await (await ctx.runtime()).pause(id);
    });
}
