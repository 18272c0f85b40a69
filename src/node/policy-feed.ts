// What the node's NetworkPolicy engine enforces, gathered from where it lives: the Namespaces and
// NetworkPolicies (from the manifests directory, or the API server's watch), this node's pods with
// the addresses CNI gave them, and in a cluster the other pods the API server knows (peers that
// selectors may name). Every change recomputes the whole state; the engine coalesces and skips
// applies that change nothing.
import type { NetworkPolicy, PolicyEngine, PolicyNamespace, PolicyPod } from '../network/policy/index.js';
import type { NamespaceObject, NetworkPolicyObject, Pod } from './types.js';

const NAME_LABEL = 'kubernetes.io/metadata.name';

/** The policy view of a pod: identity, labels, addresses and named container ports. */
export function policyPod(pod: Pod, ips: string[]): PolicyPod {
  return {
    namespace: pod.metadata.namespace,
    name: pod.metadata.name,
    labels: pod.metadata.labels ?? {},
    ips,
    ports: pod.spec.containers.flatMap((c) =>
      (c.ports ?? []).map((p) => ({
        containerPort: p.containerPort,
        ...(p.name ? { name: p.name } : {}),
        protocol: (p.protocol ?? 'TCP') as 'TCP' | 'UDP' | 'SCTP',
      })),
    ),
    ...(pod.spec.hostNetwork ? { hostNetwork: true } : {}),
  };
}

export class PolicyFeed {
  private namespaces: NamespaceObject[] = [];
  private policies: NetworkPolicyObject[] = [];
  private local: PolicyPod[] = [];
  private remote: PolicyPod[] = [];

  constructor(private readonly engine: PolicyEngine) {}

  setObjects(namespaces: NamespaceObject[], policies: NetworkPolicyObject[]): void {
    this.namespaces = namespaces;
    this.policies = policies;
    this.push();
  }

  /** This node's pods that have addresses. */
  setLocalPods(pods: PolicyPod[]): void {
    this.local = pods;
    this.push();
  }

  /** Pods the API server knows (all nodes); this node's own entries are overridden by setLocalPods. */
  setRemotePods(pods: PolicyPod[]): void {
    this.remote = pods;
    this.push();
  }

  private push(): void {
    const pods = new Map<string, PolicyPod>();
    for (const p of this.remote) if (p.ips.length) pods.set(`${p.namespace}/${p.name}`, p);
    for (const p of this.local) pods.set(`${p.namespace}/${p.name}`, p);
    // Every namespace a pod or policy is in exists for selectors, labelled with its name as the
    // API server labels it, even when no Namespace object was given (standalone manifests).
    const namespaces = new Map<string, PolicyNamespace>();
    for (const n of this.namespaces)
      namespaces.set(n.metadata.name, {
        name: n.metadata.name,
        labels: { ...n.metadata.labels, [NAME_LABEL]: n.metadata.name },
      });
    for (const name of [
      ...[...pods.values()].map((p) => p.namespace),
      ...this.policies.map((p) => p.metadata.namespace),
    ])
      if (!namespaces.has(name)) namespaces.set(name, { name, labels: { [NAME_LABEL]: name } });
    this.engine.update({
      pods: [...pods.values()],
      namespaces: [...namespaces.values()],
      policies: this.policies as unknown as NetworkPolicy[],
    });
  }
}
