// The node agent's policy flags, shared by `corral node` and `corral up`: the kubelet's
// --eviction-hard and --seccomp-default.
import { parseEvictionHard } from '../node/eviction.js';

export interface AgentFlags {
  evictionHard?: string;
  seccompDefault?: string;
}

export function agentOptions(f: AgentFlags): { evictionHard?: string; seccompDefault?: boolean } {
  const out: { evictionHard?: string; seccompDefault?: boolean } = {};
  if (f.evictionHard !== undefined) {
    parseEvictionHard(f.evictionHard); // a mistake is reported now, naming the flag
    out.evictionHard = f.evictionHard.trim() === 'none' ? '' : f.evictionHard;
  }
  if (f.seccompDefault !== undefined) {
    if (f.seccompDefault !== 'true' && f.seccompDefault !== 'false')
      throw new Error(`--seccomp-default: "${f.seccompDefault}" is not a boolean; use true or false`);
    out.seccompDefault = f.seccompDefault === 'true';
  }
  return out;
}
