// corral-oci run [create flags] [-d] ID: create + start; in the foreground wait and exit with the
// container's status, then delete it.
import type { Values } from './args.js';
import type { Context } from './context.js';
import { createOptions } from './create.js';
import { forwardSignals } from './signals.js';

export async function run(ctx: Context, f: Values, [id]: string[]): Promise<void> {
  const o = createOptions(f);
  const rt = await ctx.runtime();
  let pid: number | undefined;
  const stop = f.detach ? () => undefined : forwardSignals(() => pid);
  try {
    const code = await rt.run(id!, f.bundle as string, {
      ...o,
      detached: !!f.detach,
      onCreated: (p) => (pid = p),
    });
    if (code !== undefined) process.exitCode = code;
  } finally {
    stop();
  }
}
