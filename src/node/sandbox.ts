// The pod sandbox: the pod's directory with its /etc files (hosts, hostname, resolv.conf), its
// cgroup, and the pause process that owns the pod's network, IPC and UTS (and shared PID)
// namespaces, with lo up in its network namespace.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LOOPBACK_ANNOTATION } from '../oci/plan-builder.js';
import type { NodeContext } from './context.js';
import { pauseSpec } from './container-spec.js';
import { startInstance, type Running } from './instance.js';
import { podCgroupPath, podResources, qosClass } from './qos.js';
import type { Pod } from './types.js';
import { MNT_DETACH, mountinfoHas, type Mounter } from './volumes.js';

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

const MS_NOSUID = 2;
const MS_NODEV = 4;
const MS_NOEXEC = 8;

/**
 * The pod's /dev/shm: a tmpfs at <podDir>/shm (64 MiB, as a container's own), which every
 * container of the pod binds; the host's with hostIPC.
 */
export async function podShm(pod: Pod, podDir: string, mounter: Mounter): Promise<string> {
  if (pod.spec.hostIPC) return '/dev/shm';
  const dir = join(podDir, 'shm');
  // A directory just made holds no mount: the mount table is read only for one found there.
  const made = mkdirSync(dir, { recursive: true });
  if (made || !mountinfoHas(dir))
    await mounter.mount({
      op: 'mount',
      fstype: 'tmpfs',
      source: 'shm',
      target: dir,
      flags: MS_NOSUID | MS_NODEV | MS_NOEXEC,
      data: 'mode=1777,size=65536k',
    });
  return dir;
}

/** Unmount the pod's /dev/shm (lazily: a process of the pod may still hold it) and remove it. */
export async function teardownShm(podDir: string, mounter: Mounter): Promise<void> {
  const dir = join(podDir, 'shm');
  if (!existsSync(dir)) return;
  if (mountinfoHas(dir))
    await mounter.mount({ op: 'umount', target: dir, flags: MNT_DETACH }).catch(() => undefined);
  rmSync(dir, { recursive: true, force: true });
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
