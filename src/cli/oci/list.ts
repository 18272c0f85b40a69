// corral-oci list [--format table|json] [-q]
import type { Values } from './args.js';
import { printJson, type Context } from './context.js';

export async function run(ctx: Context, f: Values): Promise<void> {
  if (f.format !== 'table' && f.format !== 'json')
    throw new Error(`--format: "${f.format as string}" is not table or json`);
  const list = await (await ctx.runtime()).list();
  if (f.quiet) {
    if (list.length) process.stdout.write(list.map((c) => c.id).join('\n') + '\n');
    return;
  }
  if (f.format === 'json') return printJson(list);
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
}
