// Everything a container needs before the runtime creates it: its image, a fresh root filesystem,
// the user (runAsUser/runAsGroup over the image's User, runAsNonRoot checked), the environment
// with field references, its volume mounts, cgroup resources and oom_score_adj, the OCI config.
import { join } from 'node:path';
import { DEFAULT_ENV } from '../oci/defaults/spec-template.js';
import type { Spec } from '../oci/spec.js';
import { prepareRootfs } from '../image/index.js';
import { resolveUser } from '../image/user.js';
import type { NodeContext } from './context.js';
import { containerSpec, SpecError } from './container-spec.js';
import { containerEnv, type FieldContext } from './fields.js';
import { containerAmounts, containerResources, oomScoreAdj, qosClass } from './qos.js';
import { containerMounts } from './volumes.js';
import type { Container, Pod } from './types.js';

export interface Launch {
  spec: Spec;
  release: () => Promise<void>;
}

export interface LaunchOptions {
  sandboxPid: number;
  podCgroup: string;
  etc: { hosts: string; hostname: string; resolvConf: string };
  shm?: string;
  volumes: Map<string, string>;
  fields: FieldContext;
}

export async function prepareContainer(
  ctx: NodeContext,
  pod: Pod,
  c: Container,
  id: string,
  o: LaunchOptions,
  bundle: string,
): Promise<Launch> {
  const image = await ctx.images.resolve(c.image);
  const cfg = image.config.config ?? {};
  // The overlay is mounted by the helper in the container's mount namespace: no `mount` and
  // `umount` process per container, nothing mounted on the host. Its mount point is the bundle's
  // rootfs on the agent's tmpfs: only the upper and work dirs are new inodes on the disk.
  const prepared = await prepareRootfs(ctx.images, image, id, {
    mountIn: 'container',
    mountpoint: join(bundle, 'rootfs'),
  });
  try {
    const sc = c.securityContext ?? {};
    const psc = pod.spec.securityContext ?? {};
    const runAsUser = sc.runAsUser ?? psc.runAsUser;
    const runAsGroup = sc.runAsGroup ?? psc.runAsGroup;
    const userSpec =
      runAsUser !== undefined
        ? `${runAsUser}${runAsGroup !== undefined ? `:${runAsGroup}` : ''}`
        : cfg.User || '0';
    const user = resolveUser(prepared.read, userSpec, `container ${c.name}: user`);
    if (runAsUser === undefined && runAsGroup !== undefined) user.gid = runAsGroup;
    if ((sc.runAsNonRoot ?? psc.runAsNonRoot) && user.uid === 0)
      throw new SpecError(
        `container ${c.name}: runAsNonRoot is set but the container would run as root; set runAsUser or use an image with a non-root User`,
      );
    const groups = [
      ...user.additionalGids,
      ...(psc.supplementalGroups ?? []),
      ...(psc.fsGroup !== undefined ? [psc.fsGroup] : []),
    ];
    const hostname = pod.spec.hostNetwork ? ctx.nodeName : (pod.spec.hostname ?? pod.metadata.name);
    const base = [
      // TERM only with a terminal, as the CRI runtimes do.
      ...DEFAULT_ENV.filter((e) => c.tty || !e.startsWith('TERM=')),
      `HOSTNAME=${hostname}`,
      ...(cfg.Env ?? []),
    ];
    const env = containerEnv(c, base, o.fields, {
      configMapKey: (name, key) => ctx.objects.configMap(pod.metadata.namespace, name)?.data?.[key],
      secretKey: (name, key) => {
        const s = ctx.objects.secret(pod.metadata.namespace, name);
        const b = s?.data?.[key];
        return s?.stringData?.[key] ?? (b !== undefined ? Buffer.from(b, 'base64').toString() : undefined);
      },
    });
    if (!env.has('HOME')) env.set('HOME', user.home ?? '/');
    const qos = qosClass(pod);
    const mode = ctx.driver.mode;
    const spec = containerSpec({
      pod,
      container: c,
      image: cfg,
      rootfs: prepared.rootfs,
      ...(prepared.mount ? { rootMount: prepared.mount } : {}),
      env,
      user: { uid: user.uid, gid: user.gid, additionalGids: [...new Set(groups)] },
      sandboxPid: o.sandboxPid,
      etc: o.etc,
      ...(o.shm ? { shm: o.shm } : {}),
      mounts: containerMounts(c, o.volumes),
      resources: containerResources(c, mode, ctx.memoryCapacity),
      oomScoreAdj: ctx.oomScore(
        oomScoreAdj(qos, containerAmounts(c).requests.memory ?? 0, ctx.memoryCapacity),
      ),
      cgroupsPath: `${o.podCgroup}/${id}`,
      seccompDefault: ctx.opts.seccompDefault === false ? 'Unconfined' : 'RuntimeDefault',
      annotations: {
        'io.kubernetes.pod.name': pod.metadata.name,
        'io.kubernetes.pod.namespace': pod.metadata.namespace,
        'io.kubernetes.pod.uid': pod.metadata.uid,
        'io.kubernetes.container.name': c.name,
      },
    });
    return { spec, release: prepared.release };
  } catch (e) {
    await prepared.release();
    throw e;
  }
}
