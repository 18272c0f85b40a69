// The probe loops of one container run: startup first (liveness and readiness wait for it), then
// liveness (failureThreshold failures → the container is killed and restarted per policy) and
// readiness (successThreshold / failureThreshold flip `ready`). Each loop ends when the run it
// was started for is over; sleeps are the pod worker's, so stopping the pod wakes them.
import { runProbe, type ProbeTarget } from './probes.js';
import type { Container, Probe } from './types.js';

/** What the loops change: the container's started/ready flags. */
export interface ProbeState {
  started: boolean;
  ready: boolean;
}

export interface ProbeHost {
  /** Still the same run, and no stop in progress. */
  alive(): boolean;
  sleep(ms: number): Promise<void>;
  target(): ProbeTarget;
  /** A liveness or startup probe failed failureThreshold times: kill the container. */
  fail(kind: 'startup' | 'liveness', output: string): Promise<void>;
  log(msg: string): void;
}

type Kind = 'startup' | 'liveness' | 'readiness';

async function loop(p: Probe, kind: Kind, c: Container, s: ProbeState, h: ProbeHost): Promise<void> {
  await h.sleep((p.initialDelaySeconds ?? 0) * 1000);
  let ok = 0;
  let bad = 0;
  while (h.alive()) {
    if (kind !== 'startup' && !s.started) {
      await h.sleep(100);
      continue;
    }
    const res = await runProbe(p, h.target());
    if (!h.alive()) return;
    if (res.ok) {
      ok++;
      bad = 0;
    } else {
      bad++;
      ok = 0;
    }
    if (kind === 'readiness') {
      if (!res.ok && (s.ready || process.env.CORRAL_NODE_DEBUG))
        h.log(`container ${c.name}: readiness probe failed: ${res.output}`);
      if (ok >= (p.successThreshold ?? 1)) s.ready = true;
      if (bad >= (p.failureThreshold ?? 3)) s.ready = false;
    } else if (res.ok && kind === 'startup') {
      s.started = true;
      if (!c.readinessProbe) s.ready = true;
      return;
    } else if (bad >= (p.failureThreshold ?? 3)) {
      h.log(`container ${c.name}: ${kind} probe failed: ${res.output}`);
      await h.fail(kind, res.output);
      return;
    }
    await h.sleep((p.periodSeconds ?? 10) * 1000);
  }
}

/** Set the initial flags (started unless a startup probe; ready unless a readiness probe) and
 *  start the container's probe loops. */
export function startProbes(c: Container, s: ProbeState, h: ProbeHost): void {
  const { startupProbe, livenessProbe, readinessProbe } = c;
  s.started = !startupProbe;
  s.ready = !readinessProbe && s.started;
  if (startupProbe) void loop(startupProbe, 'startup', c, s, h);
  if (livenessProbe) void loop(livenessProbe, 'liveness', c, s, h);
  if (readinessProbe) void loop(readinessProbe, 'readiness', c, s, h);
}
