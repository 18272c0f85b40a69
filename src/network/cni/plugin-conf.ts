// The configuration one plugin reads on stdin: its own entry of the list plus what the runtime
// injects — the list's name and cniVersion, the previous result converted to that version, and
// runtimeConfig holding only the capability arguments the plugin declared (as libcni does: a
// plugin that did not ask for portMappings never sees them).
import type { CapabilityArgs } from './attachment.js';
import type { NetworkConfigList, PluginConfig } from './config.js';
import { resultForVersion, type CniResult } from './result.js';

export interface ConfInjection {
  prevResult?: CniResult;
  capabilityArgs?: CapabilityArgs;
  /** Further keys, e.g. "cni.dev/valid-attachments" for GC. */
  extra?: Record<string, unknown>;
}

export function pluginConf(
  net: NetworkConfigList,
  p: PluginConfig,
  inj: ConfInjection = {},
): Record<string, unknown> {
  const conf: Record<string, unknown> = { ...p, name: net.name, cniVersion: net.cniVersion };
  const runtimeConfig: Record<string, unknown> = {};
  for (const [cap, on] of Object.entries(p.capabilities ?? {})) {
    const v = inj.capabilityArgs?.[cap];
    if (on && v !== undefined) runtimeConfig[cap] = v;
  }
  if (Object.keys(runtimeConfig).length > 0) conf.runtimeConfig = runtimeConfig;
  if (inj.prevResult) conf.prevResult = resultForVersion(inj.prevResult, net.cniVersion);
  return { ...conf, ...inj.extra };
}
