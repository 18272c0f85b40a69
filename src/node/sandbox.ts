// The pod sandbox: the pod's directory with its /etc files (hosts, hostname, resolv.conf), its
// cgroup, and the pause process that owns the pod's network, IPC and UTS (and shared PID)
// namespaces, with lo up in its network namespace.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LOOPBACK_ANNOTATION } from '../oci/plan-builder.js';
import type { NodeContext } from './context.js';
import { pauseSpec } from './container-spec.js';
import { startInstance, type Running } from './instance.js';
import { podCgroupPath, podResources, qosClass } from './qos.js';
import type { Pod } from './types.js';

export function podHostname(pod: Pod): string {
  return (pod.spec.hostname ?? pod.metadata.name).slice(0, 63);
}

/** /etc/hosts, /etc/hostname, /etc/resolv.conf of the pod (kubelet's managed hosts file). */
export function writeEtcFiles(pod: Pod, podDir: string, nodeName: string, podIP?: string) {
  mkdirSync(podDir, { recursive: true });
  const host = pod.spec.hostNetwork ? nodeName : podHostname(pod);
  const fqdn = pod.spec.subdomain
    ? `${host}.${pod.spec.subdomain}.${pod.metadata.namespace}.svc.cluster.local\t`
    : '';
  const hosts = [
    '# Kubernetes-managed hosts file.',
    '127.0.0.1\tlocalhost',
    '::1\tlocalhost ip6-localhost ip6-loopback',
    `${podIP ?? '127.0.1.1'}\t${fqdn}${host}`,
    ...(pod.spec.hostAliases ?? []).map((a) => `${a.ip}\t${a.hostnames.join('\t')}`),
    '',
  ].join('\n');
  const etc = {
    hosts: join(podDir, 'etc-hosts'),
    hostname: join(podDir, 'etc-hostname'),
    resolvConf: join(podDir, 'resolv.conf'),
  };
  writeFileSync(etc.hosts, hosts);
  writeFileSync(etc.hostname, `${host}\n`);
  const resolv = existsSync('/etc/resolv.conf') ? readFileSync('/etc/resolv.conf') : '';
  writeFileSync(etc.resolvConf, resolv);
  return etc;
}

export function sandboxId(pod: Pod): string {
  return `${pod.metadata.uid.replace(/-/g, '').slice(0, 12)}.pause`;
}

/** Create the pod cgroup and start the pause process. */
export async function startSandbox(ctx: NodeContext, pod: Pod, podDir: string): Promise<Running> {
  const qos = qosClass(pod);
  const cg = podCgroupPath(pod.metadata.uid, qos);
  await ctx.cgroups.ensurePod(cg, podResources(pod, qos));
  const rootfs = await ctx.pauseRootfs();
  const id = sandboxId(pod);
  const spec = pauseSpec(pod, rootfs, `${cg}/pause`, podHostname(pod));
  // The pod's network namespace gets lo up (the helper does it as it creates the namespace).
  if (!pod.spec.hostNetwork) spec.annotations = { ...spec.annotations, [LOOPBACK_ANNOTATION]: 'up' };
  spec.process!.oomScoreAdj = ctx.oomScore(-998);
  const r = await startInstance(ctx, id, join(podDir, 'bundles', id), spec, undefined);
  return r;
}
