// `corral run`: in the foreground the container gets this terminal's stdout/stderr (and stdin with
// -i; with -t the terminal itself: Corral has no pty relay yet, so the container shares the
// caller's terminal instead of getting its own) and `corral` exits with its exit code. Signals
// sent to `corral` are passed on to the container. With -d a monitor process waits for it and its
// output goes to the container's log (`corral logs`).
import { Engine } from '../engine/engine.js';
import { EngineError } from '../engine/errors.js';
import type { RunRequest } from '../engine/options.js';

const FORWARDED = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2', 'SIGWINCH'] as const;

function mib(bytes: number): string {
  return bytes % 2 ** 20 === 0 ? `${bytes / 2 ** 20}Mi` : `${bytes} bytes`;
}

export async function runCommand(dataDir: string, req: RunRequest): Promise<number> {
  if (req.tty && !req.detach && !process.stdin.isTTY) {
    throw new EngineError('-t: the input device is not a terminal; run without -t');
  }
  const engine = new Engine({ dataDir });
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
  for (const s of FORWARDED) process.on(s, forward);
  try {
    const result = await engine.run(
      req,
      [req.interactive ? 'inherit' : 'ignore', 'inherit', 'inherit'],
      (id) => {
        target = id;
        for (const s of pending.splice(0)) forward(s);
      },
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
    return result.exitCode;
  } finally {
    for (const s of FORWARDED) process.off(s, forward);
  }
}
