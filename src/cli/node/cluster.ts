// `corral node --kubeconfig FILE [--policy-kubeconfig FILE2] [--server URL]`: the node agent
// joined to an API server, in the foreground. FILE is the node's identity (system:node:<name>);
// FILE2, if given, the NetworkPolicy watch's (cluster-wide reads a node may not do). SIGINT/SIGTERM
// stop it and mark the node NotReady; pods keep running for the next agent, as with the kubelet.
import { ClusterNode, type ClusterNodeOptions } from '../../node/cluster/cluster-node.js';

export async function runClusterAgent(o: ClusterNodeOptions): Promise<void> {
  const node = new ClusterNode(o);
  await node.start();
  process.stderr.write(
    `corral node: node "${node.nodeName}" registered with ${node.client.serverUrl}; endpoint ${o.dataDir}/node.sock\n` +
      (o.policyKubeconfig ? `corral node: NetworkPolicy objects read with ${o.policyKubeconfig}\n` : ''),
  );
  await new Promise<void>((res) => {
    for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => res());
  });
  await node.shutdown();
  process.exit(0);
}
