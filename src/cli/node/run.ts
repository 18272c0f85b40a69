// `corral node --manifests DIR` in the foreground. SIGINT/SIGTERM stop the agent but leave the
// pods running (the next agent re-adopts them, as with the kubelet); removing a manifest stops
// its pod.
import { NodeAgent } from '../../node/agent.js';
import { serve } from '../../node/endpoint.js';
import type { AgentOptions } from '../../node/agent.js';

export async function runAgent(o: Omit<AgentOptions, 'cgroupRoot'> & { cgroupRoot?: string }): Promise<void> {
  const agent = new NodeAgent({
    ...o,
    ...(o.cgroupRoot ? { cgroupRoot: o.cgroupRoot } : {}),
    log: (m) => process.stderr.write(`corral node: ${m}\n`),
  });
  await agent.start();
  const server = await serve(agent);
  process.stderr.write(`corral node: watching ${o.manifestsDir}; endpoint ${o.dataDir}/node.sock\n`);
  await new Promise<void>((res) => {
    for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => res());
  });
  server.close();
  await agent.shutdown();
  process.exit(0);
}
