// corral-oci state ID: the OCI state JSON.
import type { Values } from './args.js';
import { printJson, type Context } from './context.js';

export async function run(ctx: Context, _f: Values, [id]: string[]): Promise<void> {
  printJson(await (await ctx.runtime()).state(id!));
}
