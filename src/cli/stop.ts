// `corral stop [-t SECS] CONTAINER...`: the stop signal, SIGKILL after the timeout; prints each
// container as given once it has exited.
import { Engine } from '../engine/engine.js';
import { EngineError, oneLine } from '../engine/errors.js';

export async function stopCommand(dataDir: string, refs: string[], o: { time: string }): Promise<number> {
  if (!/^\d+$/.test(o.time))
    throw new EngineError(`-t ${o.time}: must be a whole number of seconds, e.g. -t 5`);
  const engine = new Engine({ dataDir });
  let code = 0;
  for (const ref of refs) {
    try {
      await engine.stop(ref, Number(o.time));
      process.stdout.write(`${ref}\n`);
    } catch (e) {
      process.stderr.write(`corral: ${oneLine(e)}\n`);
      code = 125;
    }
  }
  return code;
}
