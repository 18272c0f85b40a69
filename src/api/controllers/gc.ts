// The garbage collector and the namespace controller, in process: they follow every storage
// change and act as kube-controller-manager's do — dependents of a deleted owner go (Background),
// Orphan strips the owner reference, Foreground removes dependents before their owner, and a
// Terminating namespace is emptied, then removed. New namespaces get a `default` ServiceAccount.
import { ApiError } from '../errors.js';
import { keyFor, parseKey } from '../registry/keys.js';
import { decode } from '../registry/object.js';
import type { Store } from '../registry/store.js';
import { namespaces } from '../resources/namespaces.js';
import { serviceaccounts } from '../resources/config.js';
import type { KObject, ResourceDef } from '../resources/types.js';
import type { Storage, Watch, WatchEvent } from '../storage/types.js';
import { OwnerIndex } from './owner-index.js';

const OWNER_REFS = Buffer.from('"ownerReferences"');
const DELETING = Buffer.from('"deletionTimestamp"');

export class Controllers {
  private watch: Watch | undefined;
  private queue: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;
  private readonly defs: ResourceDef[];
  private stopped = false;
  private readonly owners = new OwnerIndex();
  private readonly pending = new Map<string, { def: ResourceDef; ns: string; name: string }>();

  constructor(
    private readonly storage: Storage,
    private readonly stores: Map<ResourceDef, Store>,
    private readonly log: (msg: string) => void,
    private readonly retryMs = 1000,
  ) {
    this.defs = [...stores.keys()];
  }

  async start(): Promise<void> {
    const rev = await this.storage.currentRevision();
    this.watch = this.storage.watch(
      '/registry/',
      rev,
      (e) => this.enqueue(() => this.onEvent(e)),
      (err) => this.log(`controllers: watch ended: ${err.message}`),
    );
    // Resume work left over from a previous run (terminating namespaces, pending finalizers).
    this.timer = setInterval(() => this.enqueue(() => this.resync()), this.retryMs);
    this.timer.unref();
    this.enqueue(() => this.scanAll());
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.watch?.close();
    if (this.timer) clearInterval(this.timer);
    await this.queue;
  }

  /** Resolves when all queued work is done (tests). */
  idle(): Promise<void> {
    return this.queue;
  }

  private enqueue(fn: () => Promise<void>): void {
    this.queue = this.queue
      .then(() => (this.stopped ? undefined : fn()))
      .catch((e: unknown) => {
        if (!(e instanceof ApiError && (e.code === 404 || e.code === 409)))
          this.log(`controllers: ${e instanceof Error ? e.message : String(e)}`);
      });
  }

  private async onEvent(e: WatchEvent): Promise<void> {
    if (e.type === 'progress') return;
    const where = parseKey(e.kv.key, this.defs);
    if (!where) return;
    if (e.type === 'delete') {
      this.owners.remove(e.kv.key);
      await this.collectDependents(where.def, decode(e.prev));
      return;
    }
    // Most writes name no owner and delete nothing: those need no parse (a JSON key appears
    // verbatim in the stored bytes; a false hit merely decodes).
    if (where.def !== namespaces && !e.kv.value.includes(OWNER_REFS) && !e.kv.value.includes(DELETING)) {
      this.owners.remove(e.kv.key);
      return;
    }
    const o = decode(e.kv);
    this.owners.set(
      e.kv.key,
      o.metadata.ownerReferences?.map((r) => r.uid),
    );
    if (where.def === namespaces && !e.prev && !o.metadata.deletionTimestamp)
      await this.defaultServiceAccount(o.metadata.name!);
    if (o.metadata.deletionTimestamp) await this.finalize(where.def, o);
  }

  /** Retries deletions still waiting (dependents or namespace content not gone yet). */
  private async resync(): Promise<void> {
    for (const [key, p] of [...this.pending]) {
      this.pending.delete(key);
      try {
        const o = await this.storeOf(p.def).get(p.ns, p.name);
        if (o.metadata.deletionTimestamp) await this.finalize(p.def, o);
      } catch (e) {
        if (!(e instanceof ApiError && e.code === 404)) throw e;
      }
    }
  }

  /** Once at start: the owner graph, and deletions a previous run left unfinished. */
  private async scanAll(): Promise<void> {
    for (const [def, store] of this.stores) {
      if (def.virtual || def.storedAs) continue;
      const items = (await store.list({})).items;
      for (const o of items)
        this.owners.set(
          keyFor(def, o.metadata.namespace ?? '', o.metadata.name!),
          o.metadata.ownerReferences?.map((r) => r.uid),
        );
      for (const o of items) if (o.metadata.deletionTimestamp) await this.finalize(def, o);
      // Namespaces made before we watched (the bootstrap's, or while the server was down).
      if (def === namespaces)
        for (const o of items)
          if (!o.metadata.deletionTimestamp) await this.defaultServiceAccount(o.metadata.name!);
    }
  }

  private wait(def: ResourceDef, o: KObject): void {
    const ns = o.metadata.namespace ?? '';
    this.pending.set(`${def.group}/${def.plural}/${ns}/${o.metadata.name}`, {
      def,
      ns,
      name: o.metadata.name!,
    });
  }

  private async finalize(def: ResourceDef, o: KObject): Promise<void> {
    const fins = o.metadata.finalizers ?? [];
    if (fins.includes('orphan')) {
      for (const d of await this.dependents(def, o)) {
        await this.storeOf(d.def).update(d.ns, d.obj.metadata.name!, (cur) => {
          cur.metadata.ownerReferences = (cur.metadata.ownerReferences ?? []).filter(
            (r) => r.uid !== o.metadata.uid,
          );
          if (!cur.metadata.ownerReferences.length) delete cur.metadata.ownerReferences;
          delete cur.metadata.resourceVersion;
          return cur;
        });
      }
      await this.removeFinalizer(def, o, 'orphan');
    } else if (fins.includes('foregroundDeletion')) {
      const deps = await this.dependents(def, o);
      for (const d of deps) {
        if (!d.obj.metadata.deletionTimestamp)
          await this.tryDelete(d.def, d.ns, d.obj.metadata.name!, 'Foreground');
      }
      if (!deps.length) await this.removeFinalizer(def, o, 'foregroundDeletion');
      else this.wait(def, o);
    }
    if (def === namespaces) await this.emptyNamespace(o);
  }

  private async emptyNamespace(ns: KObject): Promise<void> {
    const name = ns.metadata.name!;
    let remaining = 0;
    for (const [def, store] of this.stores) {
      if (!def.namespaced || def.virtual || def.storedAs) continue;
      const list = await store.list({ namespace: name });
      for (const o of list.items) {
        remaining++;
        if (!o.metadata.deletionTimestamp) await this.tryDelete(def, name, o.metadata.name!, 'Background');
      }
    }
    if (remaining) return this.wait(namespaces, ns);
    const fins = ((ns.spec as { finalizers?: string[] } | undefined)?.finalizers ?? []).filter(
      (f) => f !== 'kubernetes',
    );
    await this.storeOf(namespaces).update(
      '',
      name,
      (cur) => {
        cur.spec = { ...((cur.spec ?? {}) as object), finalizers: fins };
        delete cur.metadata.resourceVersion;
        return cur;
      },
      { unrestricted: true, subresource: 'finalize' },
    );
  }

  /** Background propagation: dependents whose owners are all gone are deleted. */
  private async collectDependents(def: ResourceDef, owner: KObject): Promise<void> {
    for (const d of await this.dependents(def, owner)) {
      const alive = await Promise.all(
        (d.obj.metadata.ownerReferences ?? [])
          .filter((r) => r.uid !== owner.metadata.uid)
          .map((r) => this.ownerExists(d.ns, r.apiVersion, r.kind, r.name, r.uid)),
      );
      if (!alive.some(Boolean)) await this.tryDelete(d.def, d.ns, d.obj.metadata.name!, 'Background');
    }
    // An owner in foreground deletion may now be free to go.
    for (const r of owner.metadata.ownerReferences ?? []) {
      const rdef = this.defs.find(
        (x) => x.kind === r.kind && (x.group ? `${x.group}/${x.version}` : x.version) === r.apiVersion,
      );
      if (!rdef) continue;
      try {
        const o = await this.storeOf(rdef).get(
          rdef.namespaced ? (owner.metadata.namespace ?? '') : '',
          r.name,
        );
        if (o.metadata.uid === r.uid && o.metadata.deletionTimestamp) await this.finalize(rdef, o);
      } catch {
        // Owner already gone.
      }
    }
  }

  private async dependents(
    _def: ResourceDef,
    owner: KObject,
  ): Promise<Array<{ def: ResourceDef; ns: string; obj: KObject }>> {
    const out: Array<{ def: ResourceDef; ns: string; obj: KObject }> = [];
    for (const key of this.owners.dependents(owner.metadata.uid ?? '')) {
      const where = parseKey(key, this.defs);
      const kv = where && (await this.storage.get(key));
      if (!where || !kv) {
        this.owners.remove(key);
        continue;
      }
      const obj = decode(kv);
      if ((obj.metadata.ownerReferences ?? []).some((r) => r.uid === owner.metadata.uid))
        out.push({ def: where.def, ns: where.namespace, obj });
    }
    return out;
  }

  private async ownerExists(
    ns: string,
    apiVersion: string,
    kind: string,
    name: string,
    uid: string,
  ): Promise<boolean> {
    const def = this.defs.find(
      (x) => x.kind === kind && (x.group ? `${x.group}/${x.version}` : x.version) === apiVersion,
    );
    if (!def) return false;
    try {
      return (await this.storeOf(def).get(def.namespaced ? ns : '', name)).metadata.uid === uid;
    } catch {
      return false;
    }
  }

  private async removeFinalizer(def: ResourceDef, o: KObject, f: string): Promise<void> {
    await this.storeOf(def).update(
      o.metadata.namespace ?? '',
      o.metadata.name!,
      (cur) => {
        cur.metadata.finalizers = (cur.metadata.finalizers ?? []).filter((x) => x !== f);
        if (!cur.metadata.finalizers.length) delete cur.metadata.finalizers;
        delete cur.metadata.resourceVersion;
        return cur;
      },
      { unrestricted: true },
    );
  }

  private async tryDelete(
    def: ResourceDef,
    ns: string,
    name: string,
    propagationPolicy: 'Background' | 'Foreground',
  ): Promise<void> {
    try {
      await this.storeOf(def).delete(ns, name, { propagationPolicy });
    } catch (e) {
      if (!(e instanceof ApiError && (e.code === 404 || e.code === 409))) throw e;
    }
  }

  private async defaultServiceAccount(ns: string): Promise<void> {
    try {
      await this.storeOf(serviceaccounts).create(ns, { metadata: { name: 'default' } });
    } catch (e) {
      if (!(e instanceof ApiError && (e.code === 409 || e.code === 403 || e.code === 404))) throw e;
    }
  }

  private storeOf(def: ResourceDef): Store {
    return this.stores.get(def)!;
  }
}
