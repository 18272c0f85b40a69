// NetworkPolicy inputs from the API server: list+watch of Namespaces, NetworkPolicies and every
// pod (peers on other nodes can be named by selectors), fed to the agent's PolicyFeed. A policy
// the engine's validator rejects is skipped with a log line (the API server validated it already;
// this guards against a newer server's fields).
import { validateNetworkPolicy } from '../../network/policy/index.js';
import type { PolicyFeed } from '../policy-feed.js';
import { policyPod } from '../policy-feed.js';
import type { NamespaceObject, NetworkPolicyObject, Pod } from '../types.js';
import type { KubeClient, KubeObject, WatchEvent } from './client.js';

const key = (o: KubeObject) => o.metadata.uid ?? `${o.metadata.namespace ?? ''}/${o.metadata.name}`;

export class ApiPolicySource {
  private readonly maps = {
    namespaces: new Map<string, KubeObject>(),
    policies: new Map<string, KubeObject>(),
    pods: new Map<string, KubeObject>(),
  };
  private informers: { stop(): void }[] = [];
  private synced = new Set<string>();
  private pending?: NodeJS.Timeout;
  private objectsKey = '';

  constructor(
    private readonly client: KubeClient,
    private readonly feed: PolicyFeed,
    private readonly log: (m: string) => void,
  ) {}

  start(): void {
    const watch = (name: keyof ApiPolicySource['maps'], path: string) =>
      this.client.informer(
        path,
        (items) => {
          this.maps[name].clear();
          for (const o of items) this.maps[name].set(key(o), o);
          this.synced.add(name);
          this.soon();
        },
        (e: WatchEvent) => {
          if (e.type === 'DELETED') this.maps[name].delete(key(e.object));
          else this.maps[name].set(key(e.object), e.object);
          this.soon();
        },
        (e) => this.log(`${name} (NetworkPolicy): ${e.message}`),
      );
    this.informers = [
      watch('namespaces', '/api/v1/namespaces'),
      watch('policies', '/apis/networking.k8s.io/v1/networkpolicies'),
      watch('pods', '/api/v1/pods'),
    ];
  }

  stop(): void {
    for (const i of this.informers) i.stop();
    this.informers = [];
    clearTimeout(this.pending);
  }

  /** Coalesce bursts; nothing before all three lists arrived (a partial view would open holes). */
  private soon(): void {
    if (this.synced.size < 3) return;
    clearTimeout(this.pending);
    this.pending = setTimeout(() => this.push(), 10);
  }

  private push(): void {
    const namespaces = [...this.maps.namespaces.values()] as unknown as NamespaceObject[];
    const policies: NetworkPolicyObject[] = [];
    for (const o of this.maps.policies.values()) {
      const problems = validateNetworkPolicy(o);
      if (problems.length)
        this.log(`NetworkPolicy ${o.metadata.namespace}/${o.metadata.name} skipped: ${problems.join('; ')}`);
      else policies.push(o as unknown as NetworkPolicyObject);
    }
    // Pod updates (status, heartbeats) are frequent; only re-set objects when they changed.
    const k = JSON.stringify([
      namespaces.map((n) => [n.metadata.name, n.metadata.labels]),
      policies.map((p) => [p.metadata.namespace, p.metadata.name, p.spec]),
    ]);
    if (k !== this.objectsKey) {
      this.objectsKey = k;
      this.feed.setObjects(namespaces, policies);
    }
    const pods = [...this.maps.pods.values()]
      .filter((p) => !p.metadata.deletionTimestamp)
      .map((o) => {
        const pod = o as unknown as Pod & { status?: { podIP?: string; podIPs?: { ip: string }[] } };
        const ips = pod.status?.podIPs?.map((x) => x.ip) ?? (pod.status?.podIP ? [pod.status.podIP] : []);
        return policyPod(
          { ...pod, metadata: { ...pod.metadata, namespace: pod.metadata.namespace ?? 'default' } },
          ips,
        );
      });
    this.feed.setRemotePods(pods);
  }
}
