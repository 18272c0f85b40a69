// corral-oci list [--format table|json] [-q]
import type { Command } from 'commander';
import { printJson, type Context } from './context.js';

export function register(program: Command, ctx: Context): void {
  program
    .command('list')
    .alias('ls')
    .description('list containers')
    .option('-f, --format <fmt>', 'table or json', 'table')
    .option('-q, --quiet', 'print only the ids')
    .action(async (f: { format: string; quiet?: boolean }) => {
      const list = await (await ctx.runtime()).list();
      if (f.quiet) {
        if (list.length) process.stdout.write(list.map((c) => c.id).join('\n') + '\n');
        return;
      }
      if (f.format === 'json') return printJson(list);
      if (f.format !== 'table') throw new Error(`--format: "${f.format}" is not table or json`);
      const rows = [
        ['ID', 'PID', 'STATUS', 'BUNDLE', 'CREATED', 'OWNER'],
        ...list.map((c) => [c.id, String(c.pid), c.status, c.bundle, c.created, c.owner]),
      ];
      const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
      process.stdout.write(
        rows
          .map((r) =>
            r
              .map((c, i) => c.padEnd(widths[i]! + 3))
              .join('')
              .trimEnd(),
          )
          .join('\n') + '\n',
      );
    });
}
