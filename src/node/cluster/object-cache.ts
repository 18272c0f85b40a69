// The ConfigMaps and Secrets the node's pods reference, fetched one by one (GET per name) and
// re-read every `everyMs`, as the kubelet's TTL-based configmap/secret managers do. A node's
// identity may read only the objects its pods reference (the Node authorizer), so nothing is
// listed cluster-wide. A pod is ready to hand to the agent once each of its objects has been
// answered once (found, missing or refused), so volume setup does not fail for want of a fetch
// still in flight.
import { ApiError, type KubeClient, type KubeObject } from './client.js';

type Kind = 'configmaps' | 'secrets';

interface Ref {
  kind: Kind;
  namespace: string;
  name: string;
}

interface Cached {
  ref: Ref;
  /** undefined: absent (404 or refused); set once the first answer came. */
  object?: KubeObject;
  answered: boolean;
  busy?: Promise<void>;
  refusedLogged?: boolean;
}

type Spec = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** The ConfigMaps and Secrets a pod uses: volumes (also projected), env and envFrom. */
export function podObjectRefs(pod: KubeObject): Ref[] {
  const ns = pod.metadata.namespace ?? 'default';
  const out = new Map<string, Ref>();
  const add = (kind: Kind, name: unknown) => {
    if (typeof name === 'string' && name) out.set(`${kind}/${name}`, { kind, namespace: ns, name });
  };
  const spec = (pod.spec ?? {}) as Spec;
  for (const v of spec.volumes ?? []) {
    add('secrets', v?.secret?.secretName);
    add('configmaps', v?.configMap?.name);
    for (const s of v?.projected?.sources ?? []) {
      add('secrets', s?.secret?.name);
      add('configmaps', s?.configMap?.name);
    }
  }
  for (const c of [...(spec.containers ?? []), ...(spec.initContainers ?? [])]) {
    for (const e of c?.env ?? []) {
      add('secrets', e?.valueFrom?.secretKeyRef?.name);
      add('configmaps', e?.valueFrom?.configMapKeyRef?.name);
    }
    for (const f of c?.envFrom ?? []) {
      add('secrets', f?.secretRef?.name);
      add('configmaps', f?.configMapRef?.name);
    }
  }
  return [...out.values()];
}

const refKey = (r: Ref) => `${r.kind}/${r.namespace}/${r.name}`;

export class ReferencedObjects {
  private readonly cache = new Map<string, Cached>();
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly client: KubeClient,
    private readonly log: (m: string) => void,
    /** An object appeared, changed or went, or a first answer arrived. */
    private readonly onChange: () => void,
    private readonly everyMs = 10_000,
  ) {}

  start(): void {
    this.timer = setInterval(() => {
      for (const c of this.cache.values()) void this.fetch(c);
    }, this.everyMs);
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** Track exactly what these pods reference: new objects are fetched, unreferenced ones dropped. */
  track(pods: Iterable<KubeObject>): void {
    const want = new Map<string, Ref>();
    for (const p of pods) for (const r of podObjectRefs(p)) want.set(refKey(r), r);
    for (const k of this.cache.keys()) if (!want.has(k)) this.cache.delete(k);
    for (const [k, ref] of want)
      if (!this.cache.has(k)) {
        const c: Cached = { ref, answered: false };
        this.cache.set(k, c);
        void this.fetch(c);
      }
  }

  /** Whether every object the pod references has been answered once. */
  ready(pod: KubeObject): boolean {
    return podObjectRefs(pod).every((r) => this.cache.get(refKey(r))?.answered);
  }

  objects(kind: Kind): KubeObject[] {
    return [...this.cache.values()].filter((c) => c.ref.kind === kind && c.object).map((c) => c.object!);
  }

  private fetch(c: Cached): Promise<void> {
    c.busy ??= this.get(c).finally(() => (c.busy = undefined));
    return c.busy;
  }

  private async get(c: Cached): Promise<void> {
    const { kind, namespace, name } = c.ref;
    const path = `/api/v1/namespaces/${encodeURIComponent(namespace)}/${kind}/${encodeURIComponent(name)}`;
    let object: KubeObject | undefined;
    try {
      object = await this.client.request<KubeObject>('GET', path);
    } catch (e) {
      if (e instanceof ApiError && e.code === 403 && !c.refusedLogged) {
        c.refusedLogged = true;
        this.log(`${kind} ${namespace}/${name}: ${e.message}`);
      } else if (!(e instanceof ApiError && (e.code === 404 || e.code === 403))) {
        // A transient error keeps what we had; a first attempt still counts as answered.
        this.log(`${kind} ${namespace}/${name}: ${(e as Error).message}`);
        if (c.answered) return;
        object = undefined;
      }
    }
    if (this.cache.get(refKey(c.ref)) !== c) return; // no longer referenced
    const changed = !c.answered || c.object?.metadata.resourceVersion !== object?.metadata.resourceVersion;
    c.answered = true;
    c.object = object;
    if (changed) this.onChange();
  }
}
