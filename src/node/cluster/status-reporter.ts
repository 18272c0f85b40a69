// Pod status to the API server: every `everyMs` the agent's view of each pod is compared with
// what was last sent, and a change is PATCHed to pods/status (merge patch: phase, conditions,
// containerStatuses, hostIP, podIP, startTime). Also finishes deletions as the kubelet does: once
// the agent has stopped a pod that carries a deletionTimestamp, it deletes it with grace 0.
import type { NodeAgent } from '../agent.js';
import type { PodStatus } from '../types.js';
import { ApiError, type KubeClient } from './client.js';
import type { ApiPodSource } from './pod-source.js';

export class StatusReporter {
  private sent = new Map<string, string>(); // uid → JSON of the last status sent
  private deleting = new Set<string>();
  private timer?: NodeJS.Timeout;
  private busy?: Promise<void>;

  constructor(
    private readonly client: KubeClient,
    private readonly agent: () => NodeAgent,
    private readonly source: ApiPodSource,
    private readonly hostIP: string,
    private readonly log: (m: string) => void,
    private readonly everyMs = 500,
  ) {}

  start(): void {
    this.timer = setInterval(() => {
      if (!this.busy) this.busy = this.tick().finally(() => (this.busy = undefined));
    }, this.everyMs);
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.busy;
  }

  private async tick(): Promise<void> {
    const agent = this.agent();
    const running = new Set<string>();
    for (const p of agent.pods()) {
      running.add(p.uid);
      const api = this.source.pods.get(p.uid);
      if (!api) continue; // not (or no longer) ours in the API
      const status = this.toApi(p.status, api.spec as { hostNetwork?: boolean });
      const json = JSON.stringify(status);
      if (this.sent.get(p.uid) === json) continue;
      const path = `/api/v1/namespaces/${encodeURIComponent(p.namespace)}/pods/${encodeURIComponent(p.name)}/status`;
      try {
        await this.client.request('PATCH', path, { status }, 'application/merge-patch+json');
        this.sent.set(p.uid, json);
      } catch (e) {
        if (!(e instanceof ApiError && e.code === 404))
          this.log(`pod status ${p.namespace}/${p.name}: ${(e as Error).message}`);
      }
    }
    for (const uid of this.sent.keys()) if (!running.has(uid)) this.sent.delete(uid);
    // Pods being deleted that the agent no longer runs: wait for the agent to finish stopping
    // them (its sync is in flight), then remove them for good.
    const gone = [...this.source.pods.values()].filter(
      (p) =>
        p.metadata.deletionTimestamp && !running.has(p.metadata.uid!) && !this.deleting.has(p.metadata.uid!),
    );
    // Each on its own: one pod's long grace period does not hold up another's removal.
    for (const p of gone) {
      const uid = p.metadata.uid!;
      this.deleting.add(uid);
      const path = `/api/v1/namespaces/${encodeURIComponent(p.metadata.namespace ?? 'default')}/pods/${encodeURIComponent(p.metadata.name)}`;
      void agent
        .whenStopped(uid)
        .then(() => this.client.request('DELETE', path, { gracePeriodSeconds: 0, preconditions: { uid } }))
        .catch((e: unknown) => {
          if (!(e instanceof ApiError && (e.code === 404 || e.code === 409))) {
            this.deleting.delete(uid); // retry next tick
            this.log(`delete pod ${p.metadata.namespace}/${p.metadata.name}: ${(e as Error).message}`);
          }
        });
    }
    for (const uid of this.deleting) if (!this.source.pods.has(uid)) this.deleting.delete(uid);
  }

  /** The agent's status in API form, with the node's addresses filled in. */
  private toApi(s: PodStatus, spec: { hostNetwork?: boolean } | undefined): Record<string, unknown> {
    const podIP = s.podIP ?? (spec?.hostNetwork ? this.hostIP : undefined);
    const { initContainerStatuses, ...rest } = s;
    return {
      ...rest,
      ...(initContainerStatuses.length ? { initContainerStatuses } : {}),
      hostIP: this.hostIP,
      hostIPs: [{ ip: this.hostIP }],
      ...(podIP ? { podIP, podIPs: [{ ip: podIP }] } : {}),
    };
  }
}
