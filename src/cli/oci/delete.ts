// corral-oci delete [--force] ID
import type { Values } from './args.js';
import type { Context } from './context.js';

export async function run(ctx: Context, f: Values, [id]: string[]): Promise<void> {
  await (await ctx.runtime()).delete(id!, { force: !!f.force });
}
