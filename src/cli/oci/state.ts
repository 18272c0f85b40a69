// corral-oci state ID: the OCI state JSON.
import type { Command } from 'commander';
import { printJson, type Context } from './context.js';

export function register(program: Command, ctx: Context): void {
  program
    .command('state')
    .description('print the state of a container (OCI state JSON)')
    .argument('<id>', 'container id')
    .action(async (id: string) => {
      printJson(await (await ctx.runtime()).state(id));
    });
}
