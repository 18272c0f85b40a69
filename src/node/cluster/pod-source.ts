// The agent's pods from the API server: list+watch of the pods bound to this node
// (fieldSelector spec.nodeName=<node>) and of the ConfigMaps and Secrets, turned into the same
// `Desired` snapshots the manifests directory gives. A pod being deleted (deletionTimestamp) is
// left out, so the agent stops it; a finished pod the agent no longer knows (an agent restart
// after it ended) is left out too, so it is not run a second time.
import type { Desired } from '../watcher.js';
import type { ConfigMap, Pod, Secret } from '../types.js';
import type { KubeClient, KubeObject, WatchEvent } from './client.js';

const key = (o: KubeObject) => `${o.metadata.namespace ?? ''}/${o.metadata.name}`;

export class ApiPodSource {
  /** The node's pods by uid, as last seen. */
  readonly pods = new Map<string, KubeObject>();
  private readonly configMaps = new Map<string, KubeObject>();
  private readonly secrets = new Map<string, KubeObject>();
  private informers: { stop(): void }[] = [];
  private pending?: NodeJS.Timeout;
  private synced = new Set<string>();
  private onChange: (d: Desired) => void = () => undefined;

  constructor(
    private readonly client: KubeClient,
    private readonly nodeName: string,
    /** Whether the agent runs this pod uid now. */
    private readonly running: (uid: string) => boolean,
    private readonly log: (m: string) => void,
    /** A pod got a deletionTimestamp: the grace period its stop should use. */
    private readonly deleting: (pod: KubeObject, graceSeconds: number) => void = () => undefined,
  ) {}

  /** The agent's `source` hook. */
  bind(onChange: (d: Desired) => void): { start(): void; stop(): void } {
    this.onChange = onChange;
    return { start: () => this.start(), stop: () => this.stop() };
  }

  private cache(
    name: string,
    path: string,
    map: Map<string, KubeObject>,
    id: (o: KubeObject) => string,
  ): { stop(): void } {
    return this.client.informer(
      path,
      (items) => {
        map.clear();
        for (const o of items) map.set(id(o), o);
        this.synced.add(name);
        this.soon();
      },
      (e: WatchEvent) => {
        if (e.type === 'DELETED') map.delete(id(e.object));
        else map.set(id(e.object), e.object);
        this.soon();
      },
      (e) => this.log(`${name}: ${e.message}`),
    );
  }

  start(): void {
    const sel = encodeURIComponent(`spec.nodeName=${this.nodeName}`);
    this.informers = [
      this.cache('pods', `/api/v1/pods?fieldSelector=${sel}`, this.pods, (o) => o.metadata.uid ?? key(o)),
      this.cache('configmaps', '/api/v1/configmaps', this.configMaps, key),
      this.cache('secrets', '/api/v1/secrets', this.secrets, key),
    ];
  }

  stop(): void {
    for (const i of this.informers) i.stop();
    this.informers = [];
    clearTimeout(this.pending);
  }

  /** Coalesce bursts of events into one snapshot; none before all three lists arrived. */
  private soon(): void {
    if (this.synced.size < 3) return;
    clearTimeout(this.pending);
    this.pending = setTimeout(() => this.onChange(this.desired()), 20);
  }

  /** Re-send the snapshot (the agent's view of what runs changed). */
  resync(): void {
    this.soon();
  }

  desired(): Desired {
    const pods: Pod[] = [];
    for (const p of this.pods.values()) {
      const uid = p.metadata.uid!;
      if (p.metadata.deletionTimestamp) {
        const grace = p.metadata.deletionGracePeriodSeconds;
        if (typeof grace === 'number') this.deleting(p, grace);
        continue;
      }
      const phase = (p.status as { phase?: string } | undefined)?.phase;
      if ((phase === 'Succeeded' || phase === 'Failed') && !this.running(uid)) continue;
      pods.push({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { ...p.metadata, namespace: p.metadata.namespace ?? 'default', uid },
        spec: p.spec as unknown as Pod['spec'],
      });
    }
    const as = <T>(kind: string, o: KubeObject) => ({ ...o, apiVersion: 'v1', kind }) as unknown as T;
    return {
      pods,
      configMaps: [...this.configMaps.values()].map((o) => as<ConfigMap>('ConfigMap', o)),
      secrets: [...this.secrets.values()].map((o) => as<Secret>('Secret', o)),
      // In a cluster, namespaces and policies reach the policy engine through their own watch.
      namespaces: [],
      networkPolicies: [],
      errors: new Map(),
    };
  }
}
