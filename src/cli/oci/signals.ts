// Forward the signals a foreground `run`/`exec` receives to the container process, so that
// `kill <corral-oci pid>` reaches the container (runc's signal forwarding).
const FORWARDED: NodeJS.Signals[] = ['SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2', 'SIGWINCH'];

export function forwardSignals(pid: () => number | undefined): () => void {
  const handlers = FORWARDED.map((sig) => {
    const h = () => {
      const p = pid();
      try {
        if (p) process.kill(p, sig);
      } catch {
        /* gone */
      }
    };
    process.on(sig, h);
    return [sig, h] as const;
  });
  // Ctrl-C reaches the helper too (same process group), which forwards it; just don't die here.
  const onInt = () => undefined;
  process.on('SIGINT', onInt);
  return () => {
    for (const [sig, h] of handlers) process.off(sig, h);
    process.off('SIGINT', onInt);
  };
}
