// ServiceAccount tokens for projected volumes, as the kubelet's token manager keeps them: one
// TokenRequest per (pod, audience, expiry), bound to the pod (boundObjectRef with its uid, so the
// token dies with the pod), asked for as soon as the pod source sees the pod — in parallel with
// the sandbox start, so a pod does not wait on it later — and renewed at 80 % of its lifetime or
// after 24 h, whichever comes first. A failed renewal keeps the old token (it is still valid) and
// is retried shortly.
import type { Pod } from '../types.js';
import type { ServiceAccountTokenProjection, TokenSource } from '../volumes.js';
import type { KubeClient, KubeObject } from './client.js';

const DAY_MS = 24 * 3600_000;
const RETRY_MS = 10_000;
/** The ServiceAccount admission plugin's default; the kubelet's too. */
const DEFAULT_SECONDS = 3600;

/** When the kubelet renews a token of this lifetime: at 80 %, or after 24 h. */
export function refreshDelayMs(ttlMs: number): number {
  return Math.max(0, Math.min(ttlMs * 0.8, DAY_MS));
}

interface Entry {
  uid: string;
  current?: Promise<string>;
  token?: string;
  timer?: NodeJS.Timeout;
}

type PodLike = Pick<Pod, 'metadata' | 'spec'> | KubeObject;

export interface TokenManagerOptions {
  /** When to renew a token that lives `ttlMs` (default refreshDelayMs); tests shorten it. */
  refreshDelay?: (ttlMs: number) => number;
}

export class ServiceAccountTokenManager implements TokenSource {
  private readonly entries = new Map<string, Entry>();
  private readonly listeners = new Map<string, Map<string, () => void>>(); // uid → key → fn
  private stopped = false;

  constructor(
    private readonly client: KubeClient,
    private readonly log: (m: string) => void,
    private readonly o: TokenManagerOptions = {},
  ) {}

  /** Start requesting the tokens the pod's projected volumes need (none: nothing happens). */
  prefetch(pod: PodLike): void {
    for (const src of projections(pod))
      void this.token(pod as Pod, src).catch((e: Error) =>
        this.log(`pod ${pod.metadata.namespace}/${pod.metadata.name}: ServiceAccount token: ${e.message}`),
      );
  }

  token(pod: Pod, src: ServiceAccountTokenProjection): Promise<string> {
    if (this.stopped) return Promise.reject(new Error('the node agent is stopping'));
    const k = entryKey(pod, src);
    let e = this.entries.get(k);
    if (!e) {
      e = { uid: pod.metadata.uid! };
      this.entries.set(k, e);
    }
    if (e.token !== undefined) return Promise.resolve(e.token);
    e.current ??= this.fetch(k, e, pod, src, false);
    return e.current;
  }

  onRenew(uid: string, key: string, fn: () => void): void {
    let m = this.listeners.get(uid);
    if (!m) this.listeners.set(uid, (m = new Map()));
    m.set(key, fn);
  }

  /** Forget the pods not in `uids` (gone from the node): no more renewals for them. */
  retain(uids: Set<string>): void {
    for (const [k, e] of this.entries)
      if (!uids.has(e.uid)) {
        clearTimeout(e.timer);
        this.entries.delete(k);
      }
    for (const uid of this.listeners.keys()) if (!uids.has(uid)) this.listeners.delete(uid);
  }

  stop(): void {
    this.stopped = true;
    this.retain(new Set());
  }

  private async fetch(
    k: string,
    e: Entry,
    pod: Pod,
    src: ServiceAccountTokenProjection,
    renewal: boolean,
  ): Promise<string> {
    const ns = pod.metadata.namespace ?? 'default';
    const sa = (pod.spec as { serviceAccountName?: string } | undefined)?.serviceAccountName || 'default';
    const path = `/api/v1/namespaces/${encodeURIComponent(ns)}/serviceaccounts/${encodeURIComponent(sa)}/token`;
    try {
      const tr = await this.client.request<KubeObject>('POST', path, {
        apiVersion: 'authentication.k8s.io/v1',
        kind: 'TokenRequest',
        spec: {
          ...(src.audience ? { audiences: [src.audience] } : {}),
          expirationSeconds: src.expirationSeconds ?? DEFAULT_SECONDS,
          boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name: pod.metadata.name, uid: pod.metadata.uid },
        },
      });
      const status = (tr.status ?? {}) as { token?: string; expirationTimestamp?: string };
      if (!status.token) throw new Error(`the API server answered ${path} without a token`);
      if (this.entries.get(k) !== e) return status.token; // the pod went meanwhile
      e.token = status.token;
      const expires = Date.parse(status.expirationTimestamp ?? '');
      const ttl = Number.isFinite(expires)
        ? expires - Date.now()
        : (src.expirationSeconds ?? DEFAULT_SECONDS) * 1000;
      this.schedule(k, e, pod, src, (this.o.refreshDelay ?? refreshDelayMs)(ttl));
      if (renewal) for (const fn of this.listeners.get(e.uid)?.values() ?? []) fn();
      return status.token;
    } catch (err) {
      if (renewal) {
        this.log(
          `pod ${ns}/${pod.metadata.name}: renewing its ServiceAccount token: ${(err as Error).message}`,
        );
        if (this.entries.get(k) === e) this.schedule(k, e, pod, src, RETRY_MS);
      } else e.current = undefined; // the next volume setup asks again
      throw err;
    }
  }

  private schedule(k: string, e: Entry, pod: Pod, src: ServiceAccountTokenProjection, ms: number): void {
    clearTimeout(e.timer);
    if (this.stopped) return;
    e.timer = setTimeout(() => {
      e.current = this.fetch(k, e, pod, src, true);
      e.current.catch(() => undefined);
    }, ms);
  }
}

/** The serviceAccountToken sources of a pod's projected volumes. */
export function projections(pod: PodLike): ServiceAccountTokenProjection[] {
  const vols = ((pod.spec ?? {}) as { volumes?: { projected?: { sources?: unknown[] } }[] }).volumes ?? [];
  return vols.flatMap((v) =>
    ((v.projected?.sources ?? []) as { serviceAccountToken?: ServiceAccountTokenProjection }[]).flatMap(
      (s) => (s.serviceAccountToken ? [s.serviceAccountToken] : []),
    ),
  );
}

function entryKey(pod: Pod, src: ServiceAccountTokenProjection): string {
  return JSON.stringify([pod.metadata.uid, src.audience ?? '', src.expirationSeconds ?? DEFAULT_SECONDS]);
}
