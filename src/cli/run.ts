// `corral run`: in the foreground the container gets this terminal's stdout/stderr (and stdin with
// -i; with -t a pty of its own, relayed by corral-helper, sized and resized like this terminal,
// which is in raw mode meanwhile: see ./tty.ts) and `corral` exits with its exit code. Signals
// sent to `corral` are passed on to the container. With -d a monitor process waits for it and its
// output goes to the container's log (`corral logs`).
import { Engine } from '../engine/engine.js';
import type { RunRequest } from '../engine/options.js';
import { attachFront } from './front.js';
import { callerTerminal } from './tty.js';
import { trace, tracing } from '../engine/trace.js';

const FORWARDED = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2', 'SIGWINCH'] as const;

function mib(bytes: number): string {
  return bytes % 2 ** 20 === 0 ? `${bytes / 2 ** 20}Mi` : `${bytes} bytes`;
}

export async function runCommand(dataDir: string, req: RunRequest): Promise<number> {
  trace('run command');
  if (tracing) process.once('exit', () => trace('exit'));
  const front = attachFront();
  const spawner = front?.spawner;
  const engine = new Engine({ dataDir, ...(spawner ? { spawner } : {}) });
  if (req.detach) {
    const rec = await engine.runDetached(req);
    process.stdout.write(`${rec.id}\n`);
    return 0;
  }
  let target: string | undefined;
  const pending: NodeJS.Signals[] = [];
  const forward = (sig: NodeJS.Signals): void => {
    if (target) void engine.runtime.kill(target, sig).catch(() => undefined);
    else if (sig !== 'SIGWINCH') pending.push(sig);
  };
  // With -t the pty's resize delivers SIGWINCH to the container; ours need not be passed on.
  const forwarded = FORWARDED.filter((s) => !req.tty || s !== 'SIGWINCH');
  for (const s of forwarded) process.on(s, forward);
  const terminal = req.tty ? callerTerminal(!!req.interactive) : undefined;
  let code: number | undefined;
  try {
    const result = await engine.run(
      req,
      [req.interactive ? 'inherit' : 'ignore', 'inherit', 'inherit'],
      (id) => {
        target = id;
        for (const s of pending.splice(0)) forward(s);
      },
      terminal,
    );
    const late = engine.lateError(result.id);
    if (late && (result.exitCode === 126 || result.exitCode === 127)) {
      process.stderr.write(
        `corral: ${late}; ${result.exitCode === 127 ? 'check the command and the image' : "check the command's permissions and format"}\n`,
      );
    }
    if (result.oomKilled) {
      process.stderr.write(
        `corral: container ${result.name} was OOM-killed: it needed more memory than its limit` +
          `${result.memory ? ` (--memory ${mib(result.memory)})` : ''}; raise --memory\n`,
      );
    }
    code = result.exitCode;
    return code;
  } finally {
    terminal?.restore();
    for (const s of forwarded) process.off(s, forward);
    // The container is gone, its output and our messages written, the terminal restored: the
    // caller need not wait for Node to wind down (process.exitCode is this code too).
    if (code !== undefined) front?.report(code);
  }
}
