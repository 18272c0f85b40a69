// `corral node pods` as a table, like `kubectl get pods`.
import type { PodStatus } from '../../node/types.js';

interface Row {
  name: string;
  namespace: string;
  status: PodStatus;
}

function age(since: string | undefined): string {
  if (!since) return '-';
  const s = Math.max(0, Math.round((Date.now() - Date.parse(since)) / 1000));
  return s < 120 ? `${s}s` : s < 7200 ? `${Math.round(s / 60)}m` : `${Math.round(s / 3600)}h`;
}

export function printPods(r: { pods: Row[]; manifestErrors: Record<string, string> }): string {
  const rows = [['NAMESPACE', 'NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE']];
  for (const p of r.pods) {
    const cs = p.status.containerStatuses;
    const waiting = [...p.status.initContainerStatuses, ...cs].find(
      (c) => c.state.waiting && c.state.waiting.reason !== 'PodInitializing',
    )?.state.waiting?.reason;
    const term = cs.find((c) => c.state.terminated)?.state.terminated?.reason;
    rows.push([
      p.namespace,
      p.name,
      `${cs.filter((c) => c.ready).length}/${cs.length}`,
      waiting ?? (p.status.phase === 'Running' ? 'Running' : (term ?? p.status.phase)),
      String(cs.reduce((n, c) => n + c.restartCount, 0)),
      age(p.status.startTime),
    ]);
  }
  const w = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  let out =
    rows
      .map((r) =>
        r
          .map((c, i) => c.padEnd(w[i]!))
          .join('   ')
          .trimEnd(),
      )
      .join('\n') + '\n';
  for (const [f, e] of Object.entries(r.manifestErrors)) out += `manifest error: ${f}: ${e}\n`;
  return out;
}
