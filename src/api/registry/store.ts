// The generic REST store (Kubernetes' registry/generic/registry.Store): one instance per kind,
// turning API verbs into storage operations with Kubernetes' semantics — names, uids,
// resourceVersion as the storage revision, optimistic concurrency, generation, defaulting,
// validation, admission, dry-run, graceful deletion and finalizers.
import {
  alreadyExists,
  ApiError,
  badRequest,
  conflict,
  forbidden,
  gone,
  invalid,
  notFound,
  type FieldError,
} from '../errors.js';
import type { Admission } from '../admission/types.js';
import { namespaces } from '../resources/namespaces.js';
import { metadataErrors, type NameRule } from '../resources/validation.js';
import { apiVersionOf, type KObject, type ResourceDef } from '../resources/types.js';
import { StorageError, type KeyValue, type Storage } from '../storage/types.js';
import { markDeleting, readyToRemove } from './deletion.js';
import { keyFor, prefixFor } from './keys.js';
import { sameJSON } from '../resources/canonical.js';
import { wireCacheFor, type WireCache } from './wire-cache.js';
import {
  decode,
  encode,
  matches,
  nameSuffix,
  newUid,
  specChanged,
  timestamp,
  withTypeMeta,
} from './object.js';
import { SYSTEM_USER, type DeleteOptions, type ListOptions, type WriteOptions } from './options.js';

export interface Listed<T> {
  items: T[];
  resourceVersion: string;
  continue?: string;
  remainingItemCount?: number;
}

export type ListOutcome = Listed<KObject>;

const NAME_RULES: Record<string, NameRule> = {
  namespaces: 'label',
  roles: 'path-segment',
  clusterroles: 'path-segment',
  rolebindings: 'path-segment',
  clusterrolebindings: 'path-segment',
};

/**
 * A list without a limit is still read in chunks of this many, all at the revision of the first:
 * between chunks other requests run, instead of waiting for one long read and decode (10k pods
 * took the event loop for ~100 ms, an in-process controller's list a write's p99).
 */
const LIST_CHUNK = 500;

export interface UpdateOptions extends WriteOptions {
  subresource?: string;
  /** In-process writers (binding, controllers): spec and status as given, no update-only rules. */
  unrestricted?: boolean;
}

export class Store {
  /** Served JSON by revision (wire-cache.ts); ids are this kind's prefix plus the storage key. */
  private readonly wire: WireCache;
  private readonly wireId: string;
  /** Objects create/update just stored, with the key and revision they were stored at. */
  private readonly fresh = new WeakMap<KObject, { key: string; rev: number }>();

  constructor(
    readonly storage: Storage,
    readonly def: ResourceDef,
    private readonly admit: Admission,
  ) {
    this.wire = wireCacheFor(storage);
    this.wireId = `${apiVersionOf(def)}/${def.plural}\u0000`;
  }

  /** Where objects live: a kind stored as another kind's representation shares its keys. */
  prefix(namespace?: string): string {
    return prefixFor(this.def.storedAs?.def ?? this.def, namespace);
  }

  key(namespace: string, name: string): string {
    return keyFor(this.def.storedAs?.def ?? this.def, namespace, name);
  }

  /** The stored value as this kind, with resourceVersion = the revision. */
  decode(kv: KeyValue, revision = kv.modRevision): KObject {
    const o = decode(kv, revision);
    if (!this.def.storedAs) return o;
    const out = this.def.storedAs.fromStored(o);
    out.metadata.resourceVersion = String(revision);
    return out;
  }

  /** What was just stored, as decode(kv) would return it, without parsing `kv.value` again. */
  private written(o: KObject, kv: KeyValue): KObject {
    let out = o;
    if (this.def.storedAs) out = this.decode(kv);
    else o.metadata.resourceVersion = String(kv.modRevision);
    this.fresh.set(out, { key: kv.key, rev: kv.modRevision });
    return out;
  }

  /** The object as GET serves it (type meta first, resourceVersion last in metadata), as JSON. */
  private serialize(o: KObject): Buffer {
    return Buffer.from(JSON.stringify(withTypeMeta(this.def, o)));
  }

  /** GET's cached bytes for a stored value, made and remembered on a miss. */
  private wireOf(kv: KeyValue, decoded?: KObject): Buffer {
    const id = this.wireId + kv.key;
    const hit = this.wire.get(id, kv.modRevision);
    if (hit) return hit;
    const bytes = this.serialize(decoded ?? this.decode(kv));
    this.wire.set(id, kv.modRevision, bytes);
    return bytes;
  }

  /**
   * The JSON of an object this store returned, with its type meta. For the result of a create or
   * update that was stored (not a dry run), the bytes are remembered for GETs of that revision.
   */
  wireJSON(o: KObject): Buffer {
    const f = this.fresh.get(o);
    if (!f || o.metadata.resourceVersion !== String(f.rev)) return this.serialize(o);
    // A decoded value has resourceVersion last in metadata; the remembered bytes must be
    // what a GET that decodes would send.
    const { resourceVersion, ...rest } = o.metadata;
    const bytes = this.serialize({ ...o, metadata: { ...rest, resourceVersion } });
    this.wire.set(this.wireId + f.key, f.rev, bytes);
    return bytes;
  }

  /** get() as the JSON a GET sends. */
  async getJSON(namespace: string, name: string): Promise<Buffer> {
    const kv = await this.storage.get(this.key(namespace, name));
    if (!kv) throw notFound(this.gr, name);
    return this.wireOf(kv);
  }

  private encode(o: KObject): Buffer {
    return encode(this.def.storedAs ? this.def.storedAs.toStored(o) : o);
  }

  private get gr() {
    return { group: this.def.group, plural: this.def.plural };
  }

  async get(namespace: string, name: string): Promise<KObject> {
    const kv = await this.storage.get(this.key(namespace, name));
    if (!kv) throw notFound(this.gr, name);
    return this.decode(kv);
  }

  async list(opts: ListOptions = {}): Promise<ListOutcome> {
    return this.scan(opts, (kv) => {
      const o = this.decode(kv);
      return matches(this.def, o, opts.match) ? withTypeMeta(this.def, o) : undefined;
    });
  }

  /** list() as the JSON of each item a LIST sends, without decoding what the cache holds. */
  async listJSON(opts: ListOptions = {}): Promise<Listed<Buffer>> {
    return this.scan(opts, (kv) => {
      if (!opts.match) return this.wireOf(kv);
      const o = this.decode(kv);
      return matches(this.def, o, opts.match) ? this.wireOf(kv, o) : undefined;
    });
  }

  /** Pages through the stored values of list(); `take` turns one into an item or drops it. */
  private async scan<T>(
    opts: ListOptions,
    take: (kv: KeyValue) => T | undefined,
    attempt = 0,
  ): Promise<Listed<T>> {
    const prefix = this.prefix(opts.namespace);
    let startAfter: string | undefined;
    let revision: number | undefined;
    if (opts.continue) {
      try {
        const c = JSON.parse(Buffer.from(opts.continue, 'base64url').toString()) as {
          rv: number;
          start: string;
        };
        revision = c.rv;
        startAfter = prefix + c.start;
      } catch {
        throw badRequest('continue key is not valid: invalid continue token');
      }
    } else if (opts.resourceVersionMatch === 'Exact') {
      revision = Number(opts.resourceVersion);
      if (!Number.isInteger(revision) || revision <= 0)
        throw badRequest(
          `resourceVersion: Invalid value: "${opts.resourceVersion}": an exact resourceVersion must be given`,
        );
    }
    const limit = opts.limit && opts.limit > 0 ? opts.limit : undefined;
    const items: T[] = [];
    let more = false;
    let atRev = revision;
    let lastKey = '';
    try {
      for (let chunks = 0; ; chunks++) {
        if (chunks > 0) await new Promise((r) => setImmediate(r));
        const chunk = await this.storage.list(prefix, {
          startAfter,
          limit: limit ? Math.max(limit, 100) : LIST_CHUNK,
          revision: atRev,
        });
        atRev ??= chunk.revision;
        for (const kv of chunk.items) {
          if (limit && items.length >= limit) {
            more = true;
            break;
          }
          lastKey = kv.key;
          const item = take(kv);
          if (item !== undefined) items.push(item);
        }
        if (more || !chunk.more || !chunk.items.length) {
          more ||= limit !== undefined && items.length >= limit && chunk.more;
          break;
        }
        startAfter = chunk.items[chunk.items.length - 1]!.key;
      }
    } catch (e) {
      if (e instanceof StorageError && e.code === 'compacted') {
        // The revision this list pinned itself (not the client's) was compacted between chunks.
        if (revision === undefined && attempt < 3) return this.scan(opts, take, attempt + 1);
        throw gone(
          opts.continue
            ? 'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.'
            : `too old resource version: ${revision} (${e.compactRevision ?? ''})`,
        );
      }
      throw e;
    }
    const rv = atRev ?? (await this.storage.currentRevision());
    const out: Listed<T> = { items, resourceVersion: String(rv) };
    if (more)
      out.continue = Buffer.from(JSON.stringify({ rv, start: lastKey.slice(prefix.length) })).toString(
        'base64url',
      );
    return out;
  }

  async create(namespace: string, input: KObject, opts: WriteOptions = {}): Promise<KObject> {
    const o = structuredClone(input);
    o.metadata ??= {};
    const m = o.metadata;
    if (this.def.namespaced) {
      if (m.namespace && m.namespace !== namespace)
        throw badRequest(
          'the namespace of the provided object does not match the namespace sent on the request',
        );
      m.namespace = namespace;
    } else delete m.namespace;
    if (!m.name && m.generateName) m.name = `${m.generateName}${nameSuffix()}`;
    for (const k of [
      'uid',
      'resourceVersion',
      'deletionTimestamp',
      'deletionGracePeriodSeconds',
      'selfLink',
    ] as const)
      delete m[k];
    m.creationTimestamp = timestamp();
    m.uid = newUid();
    if (this.def.strategy.bumpsGeneration) m.generation = 1;
    else delete m.generation;
    Object.assign(o, withTypeMeta(this.def, o));
    if (this.def.strategy.hasStatus) delete o.status;
    this.def.strategy.defaults?.(o);
    // Admission hooks that must see the outcome (quota's charge) run once it is known.
    const done: Array<(stored: boolean) => Promise<void> | void> = [];
    let stored = false;
    try {
      await this.admit({
        operation: 'CREATE',
        def: this.def,
        subresource: '',
        namespace,
        name: m.name ?? '',
        obj: o,
        old: undefined,
        user: opts.user ?? SYSTEM_USER,
        dryRun: !!opts.dryRun,
        ...(opts.warn ? { warn: opts.warn } : {}),
        whenDone: (fn) => done.push(fn),
      });
      // After mutating admission, as in Kubernetes: status (a pod's QoS class) sees LimitRange defaults.
      this.def.strategy.prepareCreate?.(o);
      this.validate(o);
      if (this.def.namespaced) await this.checkNamespace(namespace, m.name ?? '');
      if (opts.dryRun) {
        if (await this.storage.get(this.key(namespace, m.name!))) throw alreadyExists(this.gr, m.name!);
        return o;
      }
      try {
        const kv = await this.storage.create(this.key(namespace, m.name!), this.encode(o));
        stored = true;
        return this.written(o, kv);
      } catch (e) {
        if (e instanceof StorageError && e.code === 'exists') throw alreadyExists(this.gr, m.name!);
        throw e;
      }
    } finally {
      for (const fn of done) await fn(stored);
    }
  }

  /**
   * Read-modify-write with optimistic concurrency: `mutate` gets the current object and returns
   * the desired one. A resourceVersion in the desired object is a precondition (409 on mismatch);
   * without one, storage conflicts are retried against the newer object.
   */
  async update(
    namespace: string,
    name: string,
    mutate: (cur: KObject) => KObject | Promise<KObject>,
    opts: UpdateOptions = {},
  ): Promise<KObject> {
    const key = this.key(namespace, name);
    for (let attempt = 0; ; attempt++) {
      const kv = await this.storage.get(key);
      if (!kv) throw notFound(this.gr, name);
      const cur = this.decode(kv);
      // mutate gets its own copy: parsing the value again costs less than structuredClone.
      const desired = structuredClone(await mutate(this.decode(kv)));
      const preconditioned = !!desired.metadata?.resourceVersion;
      if (preconditioned && desired.metadata.resourceVersion !== cur.metadata.resourceVersion)
        throw conflict(this.gr, name);
      const next = await this.prepareUpdate(cur, desired, namespace, name, opts);
      if (sameJSON(next, cur)) return cur;
      if (readyToRemove(this.def, next)) {
        if (opts.dryRun) return next;
        try {
          const gone = await this.storage.delete(key, kv.modRevision);
          return this.decode({ ...gone, value: this.encode(next) });
        } catch (e) {
          if (e instanceof StorageError && e.code === 'conflict' && !preconditioned && attempt < 10) continue;
          throw this.storageError(e, name);
        }
      }
      if (opts.dryRun) return next;
      try {
        return this.written(next, await this.storage.update(key, this.encode(next), kv.modRevision));
      } catch (e) {
        if (e instanceof StorageError && e.code === 'conflict' && !preconditioned && attempt < 10) continue;
        throw this.storageError(e, name);
      }
    }
  }

  private async prepareUpdate(
    cur: KObject,
    desired: KObject,
    namespace: string,
    name: string,
    opts: UpdateOptions,
  ): Promise<KObject> {
    desired.metadata ??= {};
    if (desired.metadata.name && desired.metadata.name !== name) {
      throw badRequest(
        `the name of the object (${desired.metadata.name}) does not match the name on the URL (${name})`,
      );
    }
    if (this.def.namespaced && desired.metadata.namespace && desired.metadata.namespace !== namespace) {
      throw badRequest(
        'the namespace of the provided object does not match the namespace sent on the request',
      );
    }
    const sub = opts.subresource ?? '';
    let next: KObject;
    if (sub === 'status') {
      // Status writes change only status (Kubernetes' status strategies reset the rest).
      next = { ...cur, status: desired.status };
    } else {
      next = { ...desired, metadata: { ...desired.metadata } };
      if (this.def.strategy.hasStatus && !opts.unrestricted) next.status = cur.status;
    }
    const m = next.metadata;
    const old = cur.metadata;
    Object.assign(m, { name, uid: old.uid, creationTimestamp: old.creationTimestamp });
    if (this.def.namespaced) m.namespace = namespace;
    else delete m.namespace;
    for (const k of ['deletionTimestamp', 'deletionGracePeriodSeconds', 'generation'] as const) {
      if (old[k] === undefined) delete m[k];
      else m[k] = old[k] as never;
    }
    if (old.deletionTimestamp && (m.finalizers ?? []).some((f) => !(old.finalizers ?? []).includes(f))) {
      throw new ApiError(
        422,
        'Invalid',
        `${this.def.kind} "${name}" is invalid: metadata.finalizers: Forbidden: no new finalizers can be added if the object is being deleted`,
      );
    }
    Object.assign(next, withTypeMeta(this.def, next));
    this.def.strategy.defaults?.(next);
    if (this.def.strategy.bumpsGeneration && specChanged(next, cur)) m.generation = (old.generation ?? 1) + 1;
    m.resourceVersion = old.resourceVersion;
    await this.admit({
      operation: 'UPDATE',
      def: this.def,
      subresource: sub,
      namespace,
      name,
      obj: next,
      old: cur,
      user: opts.user ?? SYSTEM_USER,
      dryRun: !!opts.dryRun,
      ...(opts.warn ? { warn: opts.warn } : {}),
    });
    this.validate(next, sub === 'status' || opts.unrestricted ? undefined : cur);
    return next;
  }

  async delete(
    namespace: string,
    name: string,
    opts: DeleteOptions = {},
  ): Promise<{ obj: KObject; removed: boolean }> {
    const key = this.key(namespace, name);
    for (let attempt = 0; ; attempt++) {
      const kv = await this.storage.get(key);
      if (!kv) throw notFound(this.gr, name);
      const cur = this.decode(kv);
      const pre = opts.preconditions ?? {};
      if (pre.uid && pre.uid !== cur.metadata.uid) {
        throw conflict(
          this.gr,
          name,
          `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${cur.metadata.uid}`,
        );
      }
      if (pre.resourceVersion && pre.resourceVersion !== cur.metadata.resourceVersion) {
        throw conflict(
          this.gr,
          name,
          `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in meta: ${cur.metadata.resourceVersion}`,
        );
      }
      await this.admit({
        operation: 'DELETE',
        def: this.def,
        subresource: '',
        namespace,
        name,
        obj: undefined,
        old: cur,
        user: opts.user ?? SYSTEM_USER,
        dryRun: !!opts.dryRun,
      });
      const next = markDeleting(this.def, cur, opts);
      try {
        if (next) {
          if (opts.dryRun) return { obj: next, removed: false };
          if (sameJSON(next, cur)) return { obj: cur, removed: false };
          return {
            obj: this.decode(await this.storage.update(key, this.encode(next), kv.modRevision)),
            removed: false,
          };
        }
        if (opts.dryRun) return { obj: cur, removed: true };
        await this.storage.delete(key, kv.modRevision);
        return { obj: cur, removed: true };
      } catch (e) {
        if (e instanceof StorageError && e.code === 'conflict' && attempt < 10) continue;
        throw this.storageError(e, name);
      }
    }
  }

  private validate(o: KObject, old?: KObject): void {
    const errs: FieldError[] = [
      ...metadataErrors(o, NAME_RULES[this.def.plural] ?? 'subdomain', this.def.namespaced),
      ...(this.def.strategy.validate?.(o, old) ?? []),
    ];
    if (errs.length) throw invalid(this.def.kind, this.def.group, o.metadata.name ?? '', errs);
  }

  private async checkNamespace(namespace: string, name: string): Promise<void> {
    const kv = await this.storage.get(keyFor(namespaces, '', namespace));
    if (!kv) throw notFound({ group: '', plural: 'namespaces' }, namespace);
    // Parsing the namespace on every create is a visible share of a create's cost; a revision
    // seen live before is live still.
    if (this.liveNamespaces.get(namespace) === kv.modRevision) return;
    if (decode(kv).metadata.deletionTimestamp) {
      throw forbidden(
        this.gr,
        name,
        `unable to create new content in namespace ${namespace} because it is being terminated`,
      );
    }
    if (this.liveNamespaces.size > 1000) this.liveNamespaces.clear();
    this.liveNamespaces.set(namespace, kv.modRevision);
  }

  private readonly liveNamespaces = new Map<string, number>();

  private storageError(e: unknown, name: string): unknown {
    if (e instanceof StorageError) {
      if (e.code === 'not-found') return notFound(this.gr, name);
      if (e.code === 'conflict') return conflict(this.gr, name);
      if (e.code === 'exists') return alreadyExists(this.gr, name);
    }
    return e;
  }
}
