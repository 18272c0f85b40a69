// CORRAL_TRACE=1: a line on stderr per phase of a command, with the milliseconds since the
// process started (performance.now()), to see where the time of `corral run` goes (the OCI
// runtime's debug log included). Off by default: one environment lookup at load.
export const tracing = !!process.env.CORRAL_TRACE;

export function trace(phase: string): void {
  if (tracing) process.stderr.write(`corral-trace ${performance.now().toFixed(1)} ${phase}\n`);
}
