// Child process for failure.root.test.ts: runs one ADD with the runtime and is SIGKILLed by the
// test while a plugin of the chain hangs, as if Corral crashed mid-ADD.
import { CniRuntime, type CniRuntimeOptions } from '../../../src/network/cni/index.js';

const o = JSON.parse(process.argv[2] ?? '{}') as CniRuntimeOptions & {
  network: string;
  netns: string;
  containerId: string;
};
const rt = new CniRuntime(o);
const net = await rt.loadNetwork(o.network);
await rt.add(net, { containerId: o.containerId, netns: o.netns });
console.log('ADD finished, which it should not have');
