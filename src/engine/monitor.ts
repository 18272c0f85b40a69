// The monitor of a detached container (`corral run -d`): `node monitor.js OPTIONS_JSON ID`, spawned
// in its own session by Engine.runDetached with a pipe on fd 3. It starts the container (output
// appended to <dataDir>/containers/<id>/ctr.log; with -t its pty's, relayed by the helper), reports "started" or "error<TAB>code<TAB>message"
// on fd 3 and closes it, then waits: corral-helper stays the init's parent and reaps it, this
// process records the exit code and OOM kill, deletes the OCI container and its cgroup, releases
// the root filesystem and, with --rm, removes the container. One per detached container; it only
// waits on a pipe, so Node runs it with a small heap (see MONITOR_FLAGS in detached.ts).
import { closeSync, openSync, writeSync } from 'node:fs';
import type { MonitorOptions } from './detached.js';
import { Engine } from './engine.js';
import { EngineError, oneLine } from './errors.js';

async function main(): Promise<void> {
  const [optsJson = '{}', id = ''] = process.argv.slice(2);
  const opts = JSON.parse(optsJson) as MonitorOptions;
  const report = (line: string): void => {
    try {
      writeSync(3, line + '\n');
      closeSync(3);
    } catch {
      /* the caller is gone */
    }
  };
  // Signals from the terminal never reach us (own session); SIGTERM/SIGHUP from someone else
  // must not leave the container without its waiter.
  for (const sig of ['SIGHUP', 'SIGINT', 'SIGTERM', 'SIGPIPE'] as const) process.on(sig, () => undefined);
  const engine = new Engine(opts);
  let log: number;
  try {
    log = openSync(engine.store.logPath(id), 'a', 0o640);
  } catch (e) {
    report(`error\t125\tcannot open the container log: ${oneLine(e)}`);
    return;
  }
  try {
    // -t: the pty is relayed to the log; 80x24 as a terminal that nobody resized.
    await engine.start(id, ['ignore', log, log], { rows: 24, cols: 80 });
  } catch (e) {
    const code = e instanceof EngineError ? e.exitCode : 125;
    report(`error\t${code}\t${oneLine(e)}`);
    return;
  } finally {
    closeSync(log);
  }
  report('started');
  try {
    await engine.finish(id);
  } catch (e) {
    try {
      engine.store.patchState(id, { status: 'exited', error: `monitor: ${oneLine(e)}` });
    } catch {
      /* removed */
    }
  }
}

void main().then(() => process.exit(0));
