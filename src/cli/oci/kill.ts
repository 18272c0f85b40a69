// corral-oci kill [--all] ID [SIGNAL]
import type { Values } from './args.js';
import type { Context } from './context.js';

export async function run(ctx: Context, f: Values, [id, signal]: string[]): Promise<void> {
  await (await ctx.runtime()).kill(id!, signal ?? 'SIGTERM', { all: !!f.all });
}
