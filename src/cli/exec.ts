// `corral exec [-i] [-t] [-e K=V] [-w DIR] [-u USER] CONTAINER COMMAND...`: another process in a
// running container (its namespaces, cgroup, capabilities, seccomp); exits with its exit code.
import type { ExecFlags } from './containers/register.js';
import { Engine } from '../engine/engine.js';
import { callerTerminal } from './tty.js';

export async function execCommand(
  dataDir: string,
  ref: string,
  cmd: string[],
  o: ExecFlags,
): Promise<number> {
  const engine = new Engine({ dataDir });
  const terminal = o.tty ? callerTerminal(!!o.interactive) : undefined;
  try {
    return await engine.exec(ref, {
      cmd,
      env: o.env,
      ...(o.workdir !== undefined ? { workdir: o.workdir } : {}),
      ...(o.user !== undefined ? { user: o.user } : {}),
      tty: !!o.tty,
      stdio: [o.interactive ? 'inherit' : 'ignore', 'inherit', 'inherit'],
      ...(terminal ? { terminal } : {}),
    });
  } finally {
    terminal?.restore();
  }
}
