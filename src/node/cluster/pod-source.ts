// The agent's pods from the API server: list+watch of the pods bound to this node
// (fieldSelector spec.nodeName=<node>) turned into the same `Desired` snapshots the manifests
// directory gives, with the ConfigMaps and Secrets those pods reference (fetched per name, see
// object-cache.ts). A new pod joins the snapshot once its objects have been fetched, and its
// ServiceAccount tokens are requested as soon as it is seen (token-manager.ts). A pod being
// deleted (deletionTimestamp) is left out, so the agent stops it; a finished pod the agent no
// longer knows (an agent restart after it ended) is left out too, so it is not run a second time.
import type { Desired } from '../watcher.js';
import type { ConfigMap, Pod, Secret } from '../types.js';
import type { KubeClient, KubeObject, WatchEvent } from './client.js';
import { ReferencedObjects } from './object-cache.js';
import type { ServiceAccountTokenManager } from './token-manager.js';

const key = (o: KubeObject) => `${o.metadata.namespace ?? ''}/${o.metadata.name}`;

export interface ApiPodSourceOptions {
  /** Whether the agent runs this pod uid now. */
  running: (uid: string) => boolean;
  log: (m: string) => void;
  /** A pod got a deletionTimestamp: the grace period its stop should use. */
  deleting?: (pod: KubeObject, graceSeconds: number) => void;
  /** Requests the tokens of projected serviceAccountToken sources ahead of volume setup. */
  tokens?: ServiceAccountTokenManager;
  /** How often referenced ConfigMaps and Secrets are read again (default 10 s). */
  objectResyncMs?: number;
}

export class ApiPodSource {
  /** The node's pods by uid, as last seen. */
  readonly pods = new Map<string, KubeObject>();
  private readonly objects: ReferencedObjects;
  private informer?: { stop(): void };
  private pending?: NodeJS.Timeout;
  private synced = false;
  private sent = false;
  /** Pods handed to the agent: they stay in every snapshot while they exist. */
  private handed = new Set<string>();
  private onChange: (d: Desired) => void = () => undefined;

  constructor(
    private readonly client: KubeClient,
    private readonly nodeName: string,
    private readonly o: ApiPodSourceOptions,
  ) {
    this.objects = new ReferencedObjects(client, o.log, () => this.soon(), o.objectResyncMs);
  }

  /** The agent's `source` hook. */
  bind(onChange: (d: Desired) => void): { start(): void; stop(): void } {
    this.onChange = onChange;
    return { start: () => this.start(), stop: () => this.stop() };
  }

  /** The pod set changed: fetch what new pods need, forget what gone pods needed. */
  private podsChanged(): void {
    const live = [...this.pods.values()].filter((p) => !p.metadata.deletionTimestamp);
    this.objects.track(live);
    for (const p of live) if (!this.handed.has(p.metadata.uid!)) this.o.tokens?.prefetch(p);
    const uids = new Set(this.pods.keys());
    this.o.tokens?.retain(uids);
    for (const u of this.handed) if (!uids.has(u)) this.handed.delete(u);
    this.soon();
  }

  start(): void {
    const sel = encodeURIComponent(`spec.nodeName=${this.nodeName}`);
    const id = (o: KubeObject) => o.metadata.uid ?? key(o);
    this.objects.start();
    this.informer = this.client.informer(
      `/api/v1/pods?fieldSelector=${sel}`,
      (items) => {
        this.pods.clear();
        for (const o of items) this.pods.set(id(o), o);
        this.synced = true;
        this.podsChanged();
      },
      (e: WatchEvent) => {
        if (e.type === 'DELETED') this.pods.delete(id(e.object));
        else this.pods.set(id(e.object), e.object);
        this.podsChanged();
      },
      (e) => this.o.log(`pods: ${e.message}`),
    );
  }

  stop(): void {
    this.informer?.stop();
    this.informer = undefined;
    this.objects.stop();
    clearTimeout(this.pending);
  }

  /**
   * Coalesce bursts of events into one snapshot; none before the pod list arrived, and the first
   * not before every pod's objects did: the agent's first sync stops recorded pods it is not
   * given, so a pod it runs since before a restart must not be held back.
   */
  private soon(): void {
    if (!this.synced) return;
    if (!this.sent && ![...this.pods.values()].every((p) => this.objects.ready(p))) return;
    clearTimeout(this.pending);
    this.pending = setTimeout(() => {
      this.sent = true;
      this.onChange(this.desired());
    }, 20);
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
        if (typeof grace === 'number') this.o.deleting?.(p, grace);
        continue;
      }
      const phase = (p.status as { phase?: string } | undefined)?.phase;
      if ((phase === 'Succeeded' || phase === 'Failed') && !this.o.running(uid)) continue;
      // A new pod waits (outside the snapshot) for its ConfigMaps and Secrets to be fetched.
      if (!this.handed.has(uid) && !this.objects.ready(p)) continue;
      this.handed.add(uid);
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
      configMaps: this.objects.objects('configmaps').map((o) => as<ConfigMap>('ConfigMap', o)),
      secrets: this.objects.objects('secrets').map((o) => as<Secret>('Secret', o)),
      // In a cluster, namespaces and policies reach the policy engine through their own watch.
      namespaces: [],
      networkPolicies: [],
      errors: new Map(),
    };
  }
}
