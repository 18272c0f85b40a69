// The pod's network, as the kubelet asks its CRI runtime for it: one CNI attachment (eth0) per
// pod sandbox, with the kubelet's CNI_ARGS (K8S_POD_NAMESPACE...) and the pod's hostPorts and
// bandwidth annotations as capability arguments.
import { bandwidthFromAnnotations, podCniArgs, type PortMapping } from '../network/cni/index.js';
import { ContainerNetwork, type ContainerNetworkOptions } from '../network/container-network.js';
import type { Pod } from './types.js';

export type PodNetworkOptions = ContainerNetworkOptions;

export class PodNetwork {
  private readonly net: ContainerNetwork;

  constructor(dataDir: string, o: PodNetworkOptions, log: (m: string) => void = () => undefined) {
    this.net = new ContainerNetwork(dataDir, 'node', o, log);
  }

  /** ADD for the pod whose pause process is `pid`: returns its addresses (IPv4 first). */
  setup(pod: Pod, sandboxId: string, pid: number): Promise<string[]> {
    const portMappings: PortMapping[] = [];
    for (const c of pod.spec.containers)
      for (const p of c.ports ?? [])
        if (p.hostPort)
          portMappings.push({
            hostPort: p.hostPort,
            containerPort: p.containerPort,
            protocol: (p.protocol ?? 'TCP').toLowerCase() as PortMapping['protocol'],
            ...(p.hostIP ? { hostIP: p.hostIP } : {}),
          });
    const bandwidth = bandwidthFromAnnotations(pod.metadata.annotations ?? {});
    return this.net.setup(sandboxId, pid, {
      args: podCniArgs({
        namespace: pod.metadata.namespace,
        name: pod.metadata.name,
        uid: pod.metadata.uid,
        infraContainerId: sandboxId,
      }),
      capabilityArgs: {
        ...(portMappings.length ? { portMappings } : {}),
        ...(bandwidth ? { bandwidth } : {}),
      },
    });
  }

  teardown(sandboxId: string): Promise<void> {
    return this.net.teardown(sandboxId);
  }

  /** Delete every attachment whose sandbox is not in `live` (agent start). */
  gc(live: Iterable<string>): Promise<string[]> {
    return this.net.gc(live);
  }
}
