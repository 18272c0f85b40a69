// What a caller of the engine says about the terminal of a `-t` container or exec: its initial
// size and where the resize handle goes. The pty itself is the OCI layer's (src/oci/terminal.ts).
import type { TerminalControl } from '../oci/terminal.js';

export interface TerminalRequest {
  /** The caller's window size (0 or missing: unknown, the kernel's 0x0 stays). */
  rows?: number;
  cols?: number;
  /** Called once the process runs, with the handle that resizes its pty. */
  onStarted?(t: TerminalControl): void;
}

/** The OCI `process.consoleSize` for a request, or undefined when the size is unknown. */
export function consoleSize(t: TerminalRequest | undefined): { height: number; width: number } | undefined {
  const rows = Math.trunc(t?.rows ?? 0);
  const cols = Math.trunc(t?.cols ?? 0);
  if (rows <= 0 || cols <= 0 || rows > 65535 || cols > 65535) return undefined;
  return { height: rows, width: cols };
}
