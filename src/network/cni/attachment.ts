// What the runtime passes for one container on one network: its id, netns, interface name, the
// CNI_ARGS pairs and the capability arguments (port mappings, bandwidth...). Validation here keeps
// the values safe as environment variables and as cache file names.
import { CniConfigError } from './errors.js';

export interface PortMapping {
  hostPort: number;
  containerPort: number;
  protocol?: 'tcp' | 'udp' | 'sctp';
  hostIP?: string;
}

/** The bandwidth capability: rates in bits per second, bursts in bits. */
export interface BandwidthEntry {
  ingressRate?: number;
  ingressBurst?: number;
  egressRate?: number;
  egressBurst?: number;
}

export interface CapabilityArgs {
  portMappings?: PortMapping[];
  bandwidth?: BandwidthEntry;
  ips?: string[];
  mac?: string;
  [capability: string]: unknown;
}

export interface Attachment {
  containerId: string;
  /** Network namespace path, e.g. /run/netns/x or /proc/PID/ns/net. May be "" for DEL. */
  netns: string;
  /** Interface name inside the container; eth0 when absent. */
  ifName?: string;
  /** CNI_ARGS pairs, e.g. from podCniArgs; IgnoreUnknown=1 is always sent first. */
  args?: Record<string, string>;
  capabilityArgs?: CapabilityArgs;
}

export interface PodIdentity {
  namespace: string;
  name: string;
  uid: string;
  /** The sandbox (pause) container id. */
  infraContainerId: string;
}

/** The CNI_ARGS pairs kubelet-style runtimes send for a pod. */
export function podCniArgs(p: PodIdentity): Record<string, string> {
  return {
    K8S_POD_NAMESPACE: p.namespace,
    K8S_POD_NAME: p.name,
    K8S_POD_INFRA_CONTAINER_ID: p.infraContainerId,
    K8S_POD_UID: p.uid,
  };
}

/** `IgnoreUnknown=1;K=V;...`: plugins that do not know a key then ignore it instead of failing. */
export function cniArgsString(args: Record<string, string> | undefined): string {
  const pairs = [
    ['IgnoreUnknown', '1'],
    ...Object.entries(args ?? {}).filter(([k]) => k !== 'IgnoreUnknown'),
  ];
  for (const [k, v] of pairs) {
    if (!/^[A-Za-z0-9_.-]+$/.test(k!))
      throw new CniConfigError(`args.${k}`, 'keys must be letters, digits, "_", "." or "-"');
    if (/[;=\0\n]/.test(v!))
      throw new CniConfigError(`args.${k}`, `value "${v}" must not contain ";", "=" or newlines`);
  }
  return pairs.map(([k, v]) => `${k}=${v}`).join(';');
}

export interface NormalAttachment extends Attachment {
  ifName: string;
}

/** Defaults and checks (the spec's rules for container ids and interface names). */
export function normalizeAttachment(a: Attachment): NormalAttachment {
  if (typeof a.containerId !== 'string' || !/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(a.containerId))
    throw new CniConfigError(
      'containerId',
      `"${String(a.containerId)}" must be letters, digits, "_", "." or "-", starting with a letter or digit`,
    );
  const ifName = a.ifName ?? 'eth0';
  if (ifName.length === 0 || ifName.length > 15 || ifName === '.' || ifName === '..' || /[/:\s]/.test(ifName))
    throw new CniConfigError(
      'ifName',
      `"${ifName}" is not a valid interface name (1-15 characters, no "/", ":" or spaces)`,
    );
  if (typeof a.netns !== 'string') throw new CniConfigError('netns', 'must be a network namespace path');
  cniArgsString(a.args);
  const out: NormalAttachment = { ...a, ifName };
  if (a.capabilityArgs?.portMappings !== undefined)
    out.capabilityArgs = { ...a.capabilityArgs, portMappings: portMappings(a.capabilityArgs.portMappings) };
  return out;
}

const PROTOCOLS = ['tcp', 'udp', 'sctp'];

// portmap passes an empty protocol on to iptables, which fails obscurely: default it to tcp as
// Kubernetes does, and check the ports here where the field can be named.
function portMappings(pm: unknown): PortMapping[] {
  if (!Array.isArray(pm)) throw new CniConfigError('capabilityArgs.portMappings', 'must be an array');
  return pm.map((m: Partial<PortMapping>, i) => {
    const at = `capabilityArgs.portMappings[${i}]`;
    for (const k of ['hostPort', 'containerPort'] as const) {
      const v = m[k];
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > 65535)
        throw new CniConfigError(`${at}.${k}`, `${String(v)} must be a port number between 1 and 65535`);
    }
    const protocol = (m.protocol ?? 'tcp').toLowerCase();
    if (!PROTOCOLS.includes(protocol))
      throw new CniConfigError(`${at}.protocol`, `"${m.protocol}" must be one of ${PROTOCOLS.join(', ')}`);
    return { ...m, protocol } as PortMapping;
  });
}
