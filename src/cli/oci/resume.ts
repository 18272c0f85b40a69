// corral-oci resume ID
import type { Values } from './args.js';
import type { Context } from './context.js';

export async function run(ctx: Context, _f: Values, [id]: string[]): Promise<void> {
  await (await ctx.runtime()).resume(id!);
}
