// OCI namespace names → the plan's names (and /proc/PID/ns/<file> names).
import type { NamespaceType } from '../../kernel/plan/plan.js';
import type { NamespaceKind } from '../spec.js';

export const NAMESPACE_KINDS = ['pid', 'network', 'mount', 'ipc', 'uts', 'user', 'cgroup', 'time'] as const;

export const NS_TYPE: Record<NamespaceKind, NamespaceType> = {
  pid: 'pid',
  network: 'net',
  mount: 'mnt',
  ipc: 'ipc',
  uts: 'uts',
  user: 'user',
  cgroup: 'cgroup',
  time: 'time',
};

/** Join order for `exec` and for paths: user first (it grants the rights to join the others), mnt last. */
export const JOIN_ORDER: NamespaceType[] = ['user', 'ipc', 'uts', 'net', 'pid', 'cgroup', 'time', 'mnt'];
