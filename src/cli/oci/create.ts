// corral-oci create [--bundle DIR] [--pid-file F] [--console-socket S] [--no-pivot] [--preserve-fds N] ID
import type { Values } from './args.js';
import { intArg, type Context } from './context.js';

export function createOptions(f: Values) {
  return {
    pidFile: f.pidFile as string | undefined,
    consoleSocket: f.consoleSocket as string | undefined,
    noPivot: !!f.noPivot,
    preserveFds: intArg((f.preserveFds as string | undefined) ?? '0', '--preserve-fds'),
  };
}

export async function run(ctx: Context, f: Values, [id]: string[]): Promise<void> {
  const rt = await ctx.runtime();
  await rt.create(id!, f.bundle as string, { ...createOptions(f), detached: true });
}
