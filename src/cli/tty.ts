// The caller's side of `-t` (corral run -t, corral exec -t, corral node exec -t): the container's
// pty gets this terminal's size and follows its resizes; with -i on a terminal, the terminal goes
// into raw mode so every key (^C, ^D, arrows) reaches the container's line discipline, and is
// restored however the command ends. Without a terminal on stdin -t still allocates a pty, and
// -i -t warns as podman does ("The input device is not a TTY").
import type { ReadStream } from 'node:tty';

export interface TerminalResize {
  resize(rows: number, cols: number): void;
}

export interface CallerTerminal {
  rows?: number;
  cols?: number;
  /** Forward this terminal's resizes to the container's pty from now on. */
  onStarted(t: TerminalResize): void;
  /** Leave raw mode and stop forwarding (idempotent). */
  restore(): void;
}

/** The window size of our terminal (stdout, else stderr), if we have one. */
function windowSize(): { rows: number; cols: number } | undefined {
  for (const s of [process.stdout, process.stderr]) {
    if (s.isTTY && s.rows > 0 && s.columns > 0) return { rows: s.rows, cols: s.columns };
  }
  return undefined;
}

export function callerTerminal(interactive: boolean): CallerTerminal {
  // node:tty only when a terminal is asked for (-t): most commands have none.
  const onTerminal = process.getBuiltinModule('node:tty').isatty(0);
  if (interactive && !onTerminal) {
    process.stderr.write(
      'corral: warning: the input device is not a TTY; -t and -i might not work properly (use -i alone for piped input)\n',
    );
  }
  // Only touched with -i on a terminal: our own stdin handle must not read what the container's is for.
  const stdin = interactive && onTerminal ? (process.stdin as ReadStream) : undefined;
  stdin?.setRawMode(true);
  const out = [process.stdout, process.stderr].find((s) => s.isTTY);
  let target: TerminalResize | undefined;
  const onResize = (): void => {
    const size = windowSize();
    if (size && target) target.resize(size.rows, size.cols);
  };
  let restored = false;
  return {
    ...windowSize(),
    onStarted(t) {
      target = t;
      out?.on('resize', onResize);
      onResize(); // a resize between reading the size and now is not lost
    },
    restore() {
      if (restored) return;
      restored = true;
      out?.off('resize', onResize);
      if (!stdin) return;
      stdin.setRawMode(false);
      // setRawMode opened our stdin handle; it must not keep the event loop alive
      stdin.pause();
      stdin.unref?.();
    },
  };
}
