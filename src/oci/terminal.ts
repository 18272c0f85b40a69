// A terminal of the process's own, relayed by corral-helper (native/PLAN.md `terminal-relay`).
// runc hands the pty master to a console socket (SCM_RIGHTS), which Node cannot receive; so for
// Corral's own callers the helper keeps the master and copies bytes between it and the stdio it
// was given, and TypeScript sets the window size through the helper's sync socket.
//
// The option rides on CreateOptions/ExecOptions (create.ts, exec.ts read it): a process with
// `terminal: true`, started with detached:false and without a console socket, gets its own pty.
import type { StdioSpec } from '../kernel/plan/helper.js';
import type { PlanRecord } from '../kernel/plan/plan.js';
import type { Process } from './spec.js';

/** The running process's terminal. */
export interface TerminalControl {
  /** Set the window size (the process gets SIGWINCH, as on a real terminal). */
  resize(rows: number, cols: number): void;
}

export interface TerminalRelay {
  /** Called once the process is created, with the handle for window size changes. */
  onStarted?(t: TerminalControl): void;
}

export interface TerminalRelayOptions {
  /**
   * Give a `terminal: true` process its own pty: stdio[0] is copied to it (unless 'ignore'), its
   * output goes to stdio[1]. The initial size is `process.consoleSize`.
   */
  terminalRelay?: TerminalRelay;
}

/** The plan option of a relayed terminal, or undefined when the process gets none. */
export function relayPlanOption(
  proc: Process,
  o: TerminalRelayOptions & { consoleSocket?: string; stdio?: [StdioSpec, StdioSpec, StdioSpec] },
): { stdin: boolean } | undefined {
  if (!proc.terminal || !o.terminalRelay || o.consoleSocket) return undefined;
  return { stdin: (o.stdio?.[0] ?? 'inherit') !== 'ignore' };
}

/** The `terminal-relay` record: the initial window size and whether stdin is copied. */
export function relayRecord(proc: Process, stdin: boolean): PlanRecord {
  return {
    op: 'terminal-relay',
    rows: proc.consoleSize?.height ?? 0,
    cols: proc.consoleSize?.width ?? 0,
    stdin,
  };
}
