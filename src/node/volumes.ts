// Pod volumes, set up on the host under <podDir>/volumes/<plugin>/<name> before the first
// container starts and bind-mounted into each container's mount namespace (the kubelet's
// layout). emptyDir medium Memory, secrets and projected volumes are tmpfs mounts (secrets never
// touch the disk); configMap, secret, downwardAPI and projected are written once at pod start,
// except a projected serviceAccountToken: its token comes from the API server (TokenRequest, via
// `ObjectSource.tokens`) and is rewritten in place, atomically, each time the node renews it.
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, posix } from 'node:path';
import type { HelperSpawner } from '../kernel/plan/spawner.js';
import { parseBytes } from '../util/quantity.js';
import { fieldValue, type FieldContext } from './fields.js';
import type { ConfigMap, Container, DownwardAPIFile, KeyToPath, Pod, Secret, Volume } from './types.js';

export class VolumeError extends Error {
  override name = 'VolumeError';
}

/** A projected volume's `serviceAccountToken` source (not in the manifest types yet). */
export interface ServiceAccountTokenProjection {
  audience?: string;
  expirationSeconds?: number;
  path: string;
}

/** Where tokens for projected serviceAccountToken sources come from (the API server). */
export interface TokenSource {
  /** The current token for `src` of the pod; rejects with the reason it cannot be had. */
  token(pod: Pod, src: ServiceAccountTokenProjection): Promise<string>;
  /** Calls `fn` after each renewal of a token of pod `uid`; one listener per `key` (re-setup
   *  replaces it). Listeners go when the pod leaves the node. */
  onRenew(uid: string, key: string, fn: () => void): void;
}

export interface ObjectSource {
  configMap(namespace: string, name: string): ConfigMap | undefined;
  secret(namespace: string, name: string): Secret | undefined;
  /** Absent on a standalone node: it has no API server to issue tokens. */
  tokens?: TokenSource;
}

export function mountinfoHas(path: string): boolean {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .some((l) => l.split(' ')[4] === path);
}

export const MNT_DETACH = 2;

/** Who mounts: the helper spawner of the agent (one system call), else a `mount` process. */
export type Mounter = Pick<HelperSpawner, 'mount'>;

async function tmpfs(dir: string, mounter: Mounter | undefined, size?: number): Promise<void> {
  // A directory just made holds no mount: the mount table is read only for one found there.
  if (!mkdirSync(dir, { recursive: true, mode: 0o755 }) && mountinfoHas(dir)) return;
  const opts = ['mode=0755', ...(size ? [`size=${size}`] : [])].join(',');
  if (mounter) {
    await mounter
      .mount({ op: 'mount', fstype: 'tmpfs', source: 'tmpfs', target: dir, flags: 0, data: opts })
      .catch((e: Error) => {
        throw new VolumeError(`cannot mount tmpfs on ${dir}: ${e.message}`);
      });
    return;
  }
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', opts, 'tmpfs', dir], { encoding: 'utf8' });
  if (r.status !== 0) throw new VolumeError(`cannot mount tmpfs on ${dir}: ${(r.stderr ?? '').trim()}`);
}

function writeFiles(dir: string, files: { path: string; data: Buffer | string; mode: number }[]): void {
  for (const f of files) {
    const rel = posix.normalize(f.path);
    if (rel.startsWith('..') || rel.startsWith('/'))
      throw new VolumeError(`volume file path "${f.path}" must be relative and stay inside the volume`);
    const p = join(dir, rel);
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p, f.data, { mode: f.mode });
    chmodSync(p, f.mode);
  }
}

/** Replace one file by rename, so a reader sees the old token or the new one, never half. */
function writeAtomic(dir: string, rel: string, data: string, mode: number): void {
  const p = join(dir, rel);
  const tmp = join(dirname(p), `.${posix.basename(rel)}.tmp`);
  writeFileSync(tmp, data, { mode });
  chmodSync(tmp, mode);
  renameSync(tmp, p);
}

function tokenSources(v: Volume): ServiceAccountTokenProjection[] {
  const sources = (v.projected?.sources ?? []) as { serviceAccountToken?: ServiceAccountTokenProjection }[];
  return sources.flatMap((s) => (s.serviceAccountToken ? [s.serviceAccountToken] : []));
}

/** Write a projected volume's tokens now, and again at each renewal while the volume exists. */
async function projectTokens(pod: Pod, v: Volume, dir: string, objects: ObjectSource, mode: number) {
  const sources = tokenSources(v);
  if (!sources.length) return;
  const tokens = objects.tokens;
  if (!tokens)
    throw new VolumeError(
      `volume ${v.name}: its serviceAccountToken source needs a token from an API server, and this node runs standalone (--manifests); run the pod on a cluster node (corral node --kubeconfig) or remove the source`,
    );
  for (const src of sources) {
    const rel = posix.normalize(src.path ?? '');
    if (!src.path || rel.startsWith('..') || rel.startsWith('/'))
      throw new VolumeError(
        `volume ${v.name}: serviceAccountToken.path must be a relative path inside the volume`,
      );
    let token: string;
    try {
      token = await tokens.token(pod, src);
    } catch (e) {
      throw new VolumeError(`volume ${v.name}: cannot get a ServiceAccount token: ${(e as Error).message}`, {
        cause: e,
      });
    }
    mkdirSync(dirname(join(dir, rel)), { recursive: true });
    writeAtomic(dir, rel, token, mode);
    tokens.onRenew(pod.metadata.uid, `${v.name}/${rel}`, () => {
      void tokens
        .token(pod, src)
        // Only while the volume is there: a torn-down pod's directory is not recreated.
        .then((t) => existsSync(join(dir, rel)) && writeAtomic(dir, rel, t, mode))
        .catch(() => undefined); // the old token stays until it expires; the next renewal retries
    });
  }
}

function keyed(
  data: Record<string, Buffer | string>,
  items: KeyToPath[] | undefined,
  mode: number,
  what: string,
): { path: string; data: Buffer | string; mode: number }[] {
  if (!items) return Object.entries(data).map(([k, v]) => ({ path: k, data: v, mode }));
  return items.map((it) => {
    if (!(it.key in data)) throw new VolumeError(`${what} has no key "${it.key}"; add it or remove the item`);
    return { path: it.path, data: data[it.key]!, mode: it.mode ?? mode };
  });
}

function configMapData(cm: ConfigMap): Record<string, Buffer | string> {
  const out: Record<string, Buffer | string> = { ...cm.data };
  for (const [k, v] of Object.entries(cm.binaryData ?? {})) out[k] = Buffer.from(v, 'base64');
  return out;
}
function secretData(s: Secret): Record<string, Buffer | string> {
  const out: Record<string, Buffer | string> = {};
  for (const [k, v] of Object.entries(s.data ?? {})) out[k] = Buffer.from(v, 'base64');
  for (const [k, v] of Object.entries(s.stringData ?? {})) out[k] = v;
  return out;
}

function downward(items: DownwardAPIFile[], ctx: FieldContext, mode: number) {
  return items.map((it) => {
    if (!it.fieldRef) throw new VolumeError(`downwardAPI item ${it.path}: only fieldRef is supported`);
    return { path: it.path, data: fieldValue(it.fieldRef.fieldPath, ctx), mode: it.mode ?? mode };
  });
}

function checkHostPath(v: Volume): string {
  const { path, type = '' } = v.hostPath!;
  const kind = (): string | undefined => {
    try {
      const st = statSync(path);
      if (st.isDirectory()) return 'Directory';
      if (st.isFile()) return 'File';
      if (st.isSocket()) return 'Socket';
      if (st.isCharacterDevice()) return 'CharDevice';
      if (st.isBlockDevice()) return 'BlockDevice';
      return 'other';
    } catch {
      return undefined;
    }
  };
  const k = kind();
  const need = (want: string) => {
    if (k !== want)
      throw new VolumeError(
        `volume ${v.name}: hostPath ${path} is ${k ? `a ${k}` : 'missing'}, type ${type} needs a ${want}`,
      );
  };
  switch (type) {
    case '':
      break;
    case 'DirectoryOrCreate':
      if (!k) mkdirSync(path, { recursive: true, mode: 0o755 });
      else need('Directory');
      break;
    case 'FileOrCreate':
      if (!k) {
        mkdirSync(dirname(path), { recursive: true });
        writeFileSync(path, '', { mode: 0o644 });
      } else need('File');
      break;
    case 'Directory':
    case 'File':
    case 'Socket':
    case 'CharDevice':
    case 'BlockDevice':
      need(type);
      break;
    default:
      throw new VolumeError(`volume ${v.name}: hostPath type "${type}" is unknown`);
  }
  return path;
}

/** Set up every volume of the pod; returns name → host path. */
export async function setupVolumes(
  pod: Pod,
  podDir: string,
  objects: ObjectSource,
  ctx: FieldContext,
  mounter?: Mounter,
): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const ns = pod.metadata.namespace;
  for (const v of pod.spec.volumes ?? []) {
    const dir = (plugin: string) => join(podDir, 'volumes', plugin, v.name);
    if (v.hostPath) out.set(v.name, checkHostPath(v));
    else if (v.emptyDir) {
      const d = dir('kubernetes.io~empty-dir');
      if (v.emptyDir.medium === 'Memory')
        await tmpfs(
          d,
          mounter,
          v.emptyDir.sizeLimit
            ? parseBytes(v.emptyDir.sizeLimit, `volumes[${v.name}].emptyDir.sizeLimit`)
            : undefined,
        );
      else mkdirSync(d, { recursive: true, mode: 0o777 });
      chmodSync(d, 0o777);
      out.set(v.name, d);
    } else if (v.configMap) {
      const cm = objects.configMap(ns, v.configMap.name);
      const d = dir('kubernetes.io~configmap');
      mkdirSync(d, { recursive: true });
      if (!cm && !v.configMap.optional)
        throw new VolumeError(
          `volume ${v.name}: configMap "${v.configMap.name}" not found in the manifests directory`,
        );
      if (cm)
        writeFiles(
          d,
          keyed(
            configMapData(cm),
            v.configMap.items,
            v.configMap.defaultMode ?? 0o644,
            `configMap ${cm.metadata.name}`,
          ),
        );
      out.set(v.name, d);
    } else if (v.secret) {
      const s = objects.secret(ns, v.secret.secretName);
      const d = dir('kubernetes.io~secret');
      await tmpfs(d, mounter);
      if (!s && !v.secret.optional)
        throw new VolumeError(
          `volume ${v.name}: secret "${v.secret.secretName}" not found in the manifests directory`,
        );
      if (s)
        writeFiles(
          d,
          keyed(secretData(s), v.secret.items, v.secret.defaultMode ?? 0o644, `secret ${s.metadata.name}`),
        );
      out.set(v.name, d);
    } else if (v.downwardAPI) {
      const d = dir('kubernetes.io~downward-api');
      mkdirSync(d, { recursive: true });
      writeFiles(d, downward(v.downwardAPI.items ?? [], ctx, v.downwardAPI.defaultMode ?? 0o644));
      out.set(v.name, d);
    } else if (v.projected) {
      const d = dir('kubernetes.io~projected');
      await tmpfs(d, mounter);
      const mode = v.projected.defaultMode ?? 0o644;
      for (const src of v.projected.sources ?? []) {
        if (src.configMap) {
          const cm = objects.configMap(ns, src.configMap.name);
          if (!cm && !src.configMap.optional)
            throw new VolumeError(`volume ${v.name}: configMap "${src.configMap.name}" not found`);
          if (cm)
            writeFiles(
              d,
              keyed(configMapData(cm), src.configMap.items, mode, `configMap ${cm.metadata.name}`),
            );
        } else if (src.secret) {
          const s = objects.secret(ns, src.secret.name);
          if (!s && !src.secret.optional)
            throw new VolumeError(`volume ${v.name}: secret "${src.secret.name}" not found`);
          if (s) writeFiles(d, keyed(secretData(s), src.secret.items, mode, `secret ${s.metadata.name}`));
        } else if (src.downwardAPI) writeFiles(d, downward(src.downwardAPI.items ?? [], ctx, mode));
      }
      await projectTokens(pod, v, d, objects, mode);
      out.set(v.name, d);
    } else
      throw new VolumeError(
        `volume ${v.name}: unsupported volume type; use emptyDir, hostPath, configMap, secret, downwardAPI or projected`,
      );
  }
  return out;
}

/** The container's volumeMounts as host-path binds (subPath inside the volume). */
export function containerMounts(c: Container, vols: Map<string, string>) {
  return (c.volumeMounts ?? []).map((m) => {
    let source = vols.get(m.name)!;
    if (m.subPath) {
      const rel = posix.normalize(m.subPath);
      if (rel.startsWith('..') || rel.startsWith('/'))
        throw new VolumeError(`volumeMount ${m.name}: subPath must stay inside the volume`);
      source = join(source, rel);
      if (!existsSync(source)) mkdirSync(source, { recursive: true });
    }
    return { source, destination: m.mountPath, readOnly: !!m.readOnly };
  });
}

/** Unmount the pod's tmpfs volumes and remove its volume directories (never a hostPath). */
export async function teardownVolumes(podDir: string, mounter?: Mounter): Promise<void> {
  const root = join(podDir, 'volumes');
  if (!existsSync(root)) return;
  for (const l of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const mp = l.split(' ')[4];
    if (!mp || !mp.startsWith(root + '/')) continue;
    // Lazily (MNT_DETACH, as umount -l): a process still in the pod must not keep it mounted here.
    if (mounter) await mounter.mount({ op: 'umount', target: mp, flags: MNT_DETACH }).catch(() => undefined);
    else spawnSync('umount', ['-l', mp], { stdio: 'ignore' });
  }
  try {
    lstatSync(root);
    rmSync(root, { recursive: true, force: true });
  } catch {
    /* gone */
  }
}
