// The root CA publisher (kube-controller-manager's root-ca-cert-publisher): every namespace gets
// the ConfigMap `kube-root-ca.crt` holding the cluster CA, which the ServiceAccount token volume
// projects into pods; a deleted or edited copy is put back.
import { ApiError } from '../errors.js';
import { decode } from '../registry/object.js';
import { SYSTEM_USER } from '../registry/options.js';
import type { Store } from '../registry/store.js';
import { configmaps } from '../resources/config.js';
import { namespaces } from '../resources/namespaces.js';
import type { ResourceDef } from '../resources/types.js';
import type { Storage, Watch } from '../storage/types.js';

const ROOT_CA_CONFIGMAP = 'kube-root-ca.crt';
const DESCRIPTION =
  'Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. No other usage is guaranteed across distributions of Kubernetes clusters.';

export class RootCaPublisher {
  private watch: Watch | undefined;
  private queue: Promise<void> = Promise.resolve();

  constructor(
    private readonly storage: Storage,
    private readonly stores: Map<ResourceDef, Store>,
    private readonly caCert: string,
    private readonly log: (m: string) => void,
  ) {}

  async start(): Promise<void> {
    const rev = await this.storage.currentRevision();
    this.watch = this.storage.watch(
      '/registry/core/',
      rev,
      (e) => {
        if (e.type === 'progress') return;
        const parts = e.kv.key.split('/'); // ['', 'registry', 'core', plural, ns?, name]
        if (parts[3] === 'namespaces' && e.type === 'put') this.enqueue(parts[4]!);
        if (parts[3] === 'configmaps' && parts[5] === ROOT_CA_CONFIGMAP) {
          const o = e.type === 'put' ? decode(e.kv) : undefined;
          if (!o || (o.data as Record<string, string> | undefined)?.['ca.crt'] !== this.caCert)
            this.enqueue(parts[4]!);
        }
      },
      (err) => this.log(`root-ca publisher: watch ended: ${err.message}`),
    );
    for (const ns of (await this.stores.get(namespaces)!.list()).items) this.enqueue(ns.metadata.name!);
    await this.queue;
  }

  stop(): Promise<void> {
    this.watch?.close();
    return this.queue;
  }

  /** Resolves when every queued namespace is handled (tests). */
  idle(): Promise<void> {
    return this.queue;
  }

  private enqueue(ns: string): void {
    this.queue = this.queue
      .then(() => this.ensure(ns))
      .catch((e: unknown) =>
        this.log(`root-ca publisher: ${ns}: ${e instanceof Error ? e.message : String(e)}`),
      );
  }

  private async ensure(ns: string): Promise<void> {
    const nsStore = this.stores.get(namespaces)!;
    const cms = this.stores.get(configmaps)!;
    try {
      const n = await nsStore.get('', ns);
      if (n.metadata.deletionTimestamp) return;
      const data = { 'ca.crt': this.caCert };
      try {
        const cur = await cms.get(ns, ROOT_CA_CONFIGMAP);
        if ((cur.data as Record<string, string> | undefined)?.['ca.crt'] === this.caCert) return;
        await cms.update(ns, ROOT_CA_CONFIGMAP, (o) => ({ ...o, data }), { user: SYSTEM_USER });
      } catch (e) {
        if (!(e instanceof ApiError && e.code === 404)) throw e;
        await cms.create(
          ns,
          {
            metadata: { name: ROOT_CA_CONFIGMAP, annotations: { 'kubernetes.io/description': DESCRIPTION } },
            data,
          },
          { user: SYSTEM_USER },
        );
      }
    } catch (e) {
      // The namespace went away or is terminating meanwhile: nothing to publish.
      if (e instanceof ApiError && [404, 403, 409].includes(e.code)) return;
      throw e;
    }
  }
}
