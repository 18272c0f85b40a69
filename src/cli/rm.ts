// `corral rm [-f] CONTAINER...`: remove containers (running ones only with -f, killed first).
import { Engine } from '../engine/engine.js';
import { oneLine } from '../engine/errors.js';

export async function rmCommand(dataDir: string, refs: string[], o: { force?: boolean }): Promise<number> {
  const engine = new Engine({ dataDir });
  let code = 0;
  for (const ref of refs) {
    try {
      await engine.remove(ref, !!o.force);
      process.stdout.write(`${ref}\n`);
    } catch (e) {
      process.stderr.write(`corral: ${oneLine(e)}\n`);
      code = 125;
    }
  }
  return code;
}
