// corral-oci delete [--force] ID
import type { Command } from 'commander';
import type { Context } from './context.js';

export function register(program: Command, ctx: Context): void {
  program
    .command('delete')
    .description('delete a stopped container (--force: kill it first)')
    .option('-f, --force', 'kill a running container first; no error when it does not exist')
    .argument('<id>', 'container id')
    .action(async (id: string, f: { force?: boolean }) => {
      await (await ctx.runtime()).delete(id, { force: f.force });
    });
}
