// The node agent's network flags, shared by `corral up` and `corral node`.
import type { PodNetworkOptions } from '../node/pod-network.js';

/** The flags as commander parses them (addAgentOptions defines them). */
export interface NetworkFlags {
  network: string;
  podCidr?: string;
  bridge?: string;
  cniConfDir?: string;
  cniBinDir?: string;
  cniNetns?: string;
}

/** The node agent's network options from `--network`, `--pod-cidr`... (shared with `corral node`). */
export function networkOptions(f: NetworkFlags): { network?: PodNetworkOptions } {
  if (f.network === 'none') return {};
  if (f.network !== 'cni') throw new Error(`--network: "${f.network}" is not a mode; use cni or none`);
  return {
    network: {
      ...(f.podCidr ? { podCIDR: f.podCidr } : {}),
      ...(f.bridge ? { bridge: f.bridge } : {}),
      ...(f.cniConfDir ? { confDir: f.cniConfDir } : {}),
      ...(f.cniBinDir ? { binDirs: f.cniBinDir.split(':').filter(Boolean) } : {}),
      ...(f.cniNetns ? { hostNetns: f.cniNetns } : {}),
    },
  };
}
