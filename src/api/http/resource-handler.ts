// The REST handlers of a kind: get, list, watch, create, update, patch, delete and
// deletecollection, with Kubernetes' query parameters, status codes and representations.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { decodeTokenRequestProtobuf } from '../auth/token-request-protobuf.js';
import { forbiddenError, type AuthzAttributes } from '../auth/types.js';
import { isK8sProtobuf, ProtobufError } from '../protobuf/index.js';
import { ApiError, badRequest, methodNotSupported } from '../errors.js';
import { withTypeMeta } from '../registry/object.js';
import type { DeleteOptions, WriteOptions } from '../registry/options.js';
import type { Store } from '../registry/store.js';
import { findResource } from '../resources/registry.js';
import { STANDARD_VERBS, type KObject, type ResourceDef } from '../resources/types.js';
import { asObject, decodeBody, fieldValidation, readBody } from './body.js';
import type { RequestContext, ServerContext } from './context.js';
import { pickRepresentation, type Representation } from './negotiate.js';
import { applyPatchRequest, defaultManager, patchTypeOf, recordWrite } from './patch.js';
import { handlePodSubresource, POD_CONNECT_SUBRESOURCES } from './pod-subresources.js';
import type { ResourceRequest } from './request-info.js';
import { addWarning, joinList, sendBytes, sendJSON } from './respond.js';
import { matcherFor } from './selectors.js';
import { partialMetadata, toTable, type IncludeObject } from './table.js';
import { serveWatch } from './watch-handler.js';

const notServed = () => new ApiError(404, 'NotFound', 'the server could not find the requested resource', {});

export async function handleResource(
  ctx: ServerContext,
  rc: RequestContext,
  info: ResourceRequest,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const def = findResource(info.group, info.version, info.resource);
  if (!def) throw notServed();
  if (!def.namespaced && info.namespace && info.resource !== 'namespaces') throw notServed();
  const gr = { group: def.group, plural: def.plural };
  if (info.subresource && !def.subresources?.[info.subresource]) throw notServed();
  const q = rc.url.searchParams;
  await authorize(ctx, rc, info);
  const opts: WriteOptions = {
    dryRun: dryRun(q.get('dryRun')),
    fieldManager: q.get('fieldManager') ?? undefined,
    user: rc.user,
    warn: (w) => addWarning(res, w),
  };

  if (def.virtual) {
    if (info.verb !== 'create' || info.name) throw methodNotSupported(gr, info.verb);
    const body = asObject(
      def,
      decodeBody(await readBody(req), req.headers['content-type']),
      'Ignore',
      () => {},
    );
    const authorize = async (a: AuthzAttributes) => ctx.authorize(a);
    const review = { user: rc.user, authorize, rulesFor: ctx.rulesFor };
    const answer = await def.virtual(withTypeMeta(def, body), review);
    return sendJSON(res, 201, withTypeMeta(def, answer));
  }
  if (
    (info.subresource && POD_CONNECT_SUBRESOURCES.has(info.subresource)) ||
    (def.plural === 'pods' && ['binding', 'eviction'].includes(info.subresource))
  ) {
    return handlePodSubresource(ctx, rc, def, info, req, res);
  }
  if (def.plural === 'serviceaccounts' && info.subresource === 'token') {
    if (info.verb !== 'create') throw methodNotSupported(gr, info.verb);
    return createToken(ctx, rc, info, req, res);
  }
  if (info.subresource && ['proxy'].includes(info.subresource)) {
    throw new ApiError(
      503,
      'ServiceUnavailable',
      `${def.plural}/proxy is not available yet: it needs the node agent`,
    );
  }
  const verbs = info.subresource ? def.subresources![info.subresource]!.verbs : (def.verbs ?? STANDARD_VERBS);
  const verb = info.verb === 'watch' && info.name ? 'watch' : info.verb;
  if (!verbs.includes(verb === 'watch' && info.subresource ? 'get' : verb))
    throw methodNotSupported(gr, verb);
  const store = ctx.stores.get(def)!;
  const ns = def.namespaced ? info.namespace : '';
  const rep = pickRepresentation(req.headers.accept);

  switch (info.verb) {
    case 'get': {
      if (rep.as === 'object') return sendBytes(res, 200, await store.getJSON(ns, info.name));
      const o = withTypeMeta(def, await store.get(ns, info.name));
      return sendJSON(res, 200, represent(def, [o], rep, q, false, o.metadata.resourceVersion));
    }
    case 'list': {
      if (def.namespaced && !info.namespace && info.resource === 'namespaces') throw notServed();
      const listOpts = {
        namespace: ns || undefined,
        match: matcherFor(def, q.get('labelSelector'), q.get('fieldSelector')),
        limit: intParam(q, 'limit'),
        continue: q.get('continue') ?? undefined,
        resourceVersion: q.get('resourceVersion') ?? undefined,
        resourceVersionMatch: q.get('resourceVersionMatch') ?? undefined,
      };
      if (rep.as !== 'object') {
        const list = await store.list(listOpts);
        return sendJSON(
          res,
          200,
          represent(def, list.items, rep, q, true, list.resourceVersion, list.continue),
        );
      }
      // The list's envelope around the items' JSON as GET sends it (mostly cached bytes).
      const list = await store.listJSON(listOpts);
      const head = JSON.stringify({
        kind: `${def.kind}List`,
        apiVersion: withTypeMeta(def, { metadata: {} }).apiVersion,
        metadata: {
          resourceVersion: list.resourceVersion,
          ...(list.continue ? { continue: list.continue } : {}),
        },
        items: [],
      });
      return sendBytes(res, 200, joinList(head, list.items));
    }
    case 'watch': {
      let fieldSelector = q.get('fieldSelector');
      if (info.name) fieldSelector = [fieldSelector, `metadata.name=${info.name}`].filter(Boolean).join(',');
      const match = matcherFor(def, q.get('labelSelector'), fieldSelector);
      const toWire = (o: KObject) => (rep.as === 'object' ? o : represent(def, [o], rep, q, false));
      return serveWatch(
        ctx,
        store,
        {
          namespace: ns || undefined,
          match,
          resourceVersion: q.get('resourceVersion') ?? undefined,
          allowBookmarks: q.get('allowWatchBookmarks') === 'true',
          sendInitialEvents: q.get('sendInitialEvents') === 'true' ? true : undefined,
          timeoutSeconds: intParam(q, 'timeoutSeconds'),
        },
        toWire,
        req,
        res,
      );
    }
    case 'create': {
      if (info.name && !info.subresource) throw methodNotSupported(gr, 'create');
      const o = await decodeObject(def, req, q, res);
      const created = await store.create(
        info.namespace,
        recordWrite(def, undefined, o, manager(req, opts), ''),
        opts,
      );
      return sendBytes(res, 201, store.wireJSON(created));
    }
    case 'update': {
      const o = await decodeObject(def, req, q, res);
      const updated = await store.update(
        ns,
        info.name,
        (cur) => recordWrite(def, cur, o, manager(req, opts), info.subresource),
        { ...opts, subresource: info.subresource },
      );
      return sendBytes(res, 200, store.wireJSON(updated));
    }
    case 'patch':
      return patch(store, def, ns, info, req, res, q, opts);
    case 'delete': {
      const d = await deleteOptions(req, q, opts);
      const { obj, removed } = await store.delete(ns, info.name, d);
      return sendJSON(res, removed ? 200 : 202, withTypeMeta(def, obj));
    }
    case 'deletecollection': {
      const d = await deleteOptions(req, q, opts);
      const list = await store.list({
        namespace: ns || undefined,
        match: matcherFor(def, q.get('labelSelector'), q.get('fieldSelector')),
      });
      const items: KObject[] = [];
      for (const o of list.items) {
        try {
          items.push(
            withTypeMeta(
              def,
              (await store.delete(ns || o.metadata.namespace || '', o.metadata.name!, d)).obj,
            ),
          );
        } catch (e) {
          if (!(e instanceof ApiError && e.code === 404)) throw e;
        }
      }
      return sendJSON(res, 200, {
        kind: `${def.kind}List`,
        apiVersion: withTypeMeta(def, { metadata: {} }).apiVersion,
        metadata: { resourceVersion: list.resourceVersion },
        items,
      });
    }
    default:
      throw methodNotSupported(gr, info.verb);
  }
}

async function patch(
  store: Store,
  def: ResourceDef,
  ns: string,
  info: ResourceRequest,
  req: IncomingMessage,
  res: ServerResponse,
  q: URLSearchParams,
  opts: WriteOptions,
): Promise<void> {
  const type = patchTypeOf(req.headers['content-type']);
  const body = await readBody(req);
  const validation = fieldValidation(q.get('fieldValidation'));
  const force = q.get('force') === 'true';
  if (type === 'application/apply-patch+yaml' && !opts.fieldManager)
    throw badRequest('PATCH, fieldManager: Required value: is required for apply patch');
  const fieldManager = manager(req, opts);
  // A patch that names a resourceVersion makes it a precondition; otherwise conflicts are retried.
  const pinned = body.includes('"resourceVersion"');
  const check = (o: KObject) => {
    const out = asObject(def, o, validation, (w) => addWarning(res, w));
    if (!pinned) delete out.metadata.resourceVersion;
    return out;
  };
  try {
    const updated = await store.update(
      ns,
      info.name,
      (cur) =>
        check(
          applyPatchRequest({
            def,
            type,
            body,
            current: cur,
            fieldManager,
            force,
            subresource: info.subresource,
          }),
        ),
      { ...opts, subresource: info.subresource },
    );
    return sendBytes(res, 200, store.wireJSON(updated));
  } catch (e) {
    // Server-side apply creates what does not exist yet.
    if (!(
      e instanceof ApiError &&
      e.code === 404 &&
      type === 'application/apply-patch+yaml' &&
      !info.subresource
    ))
      throw e;
    const o = check(
      applyPatchRequest({ def, type, body, current: undefined, fieldManager, force, subresource: '' }),
    );
    o.metadata.name ??= info.name;
    return sendBytes(res, 201, store.wireJSON(await store.create(info.namespace, o, opts)));
  }
}

async function decodeObject(
  def: ResourceDef,
  req: IncomingMessage,
  q: URLSearchParams,
  res: ServerResponse,
): Promise<KObject> {
  const validation = fieldValidation(q.get('fieldValidation'));
  const value = decodeBody(await readBody(req), req.headers['content-type']);
  if (value === undefined)
    throw badRequest(`the body of the request was empty: a ${def.kind} object is required`);
  return asObject(def, value, validation, (w) => addWarning(res, w));
}

async function deleteOptions(
  req: IncomingMessage,
  q: URLSearchParams,
  opts: WriteOptions,
): Promise<DeleteOptions> {
  const raw = decodeBody(await readBody(req), req.headers['content-type']);
  const b = (raw ?? {}) as DeleteOptions & { dryRun?: string[] };
  if (typeof b !== 'object') throw badRequest('DeleteOptions must be an object');
  const grace = intParam(q, 'gracePeriodSeconds') ?? b.gracePeriodSeconds;
  const policy = (q.get('propagationPolicy') ?? b.propagationPolicy) as DeleteOptions['propagationPolicy'];
  if (policy && !['Background', 'Foreground', 'Orphan'].includes(policy)) {
    throw badRequest(
      `propagationPolicy: Unsupported value: "${policy}": supported values: "Foreground", "Background", "Orphan"`,
    );
  }
  const orphan = q.get('orphanDependents') ?? b.orphanDependents;
  return {
    ...opts,
    dryRun: opts.dryRun || (Array.isArray(b.dryRun) && b.dryRun.includes('All')),
    gracePeriodSeconds: grace,
    propagationPolicy: policy,
    orphanDependents: orphan === undefined || orphan === null ? undefined : String(orphan) === 'true',
    preconditions: b.preconditions,
  };
}

function represent(
  def: ResourceDef,
  objects: KObject[],
  rep: Representation,
  q: URLSearchParams,
  isList: boolean,
  resourceVersion?: string,
  cont?: string,
): unknown {
  if (rep.as === 'object') return objects[0];
  if (rep.as === 'Table') {
    const include = (q.get('includeObject') ?? 'Metadata') as IncludeObject;
    return toTable(def, objects, { include, version: rep.version, resourceVersion, continue: cont });
  }
  if (rep.as === 'PartialObjectMetadataList' || isList) {
    return {
      kind: 'PartialObjectMetadataList',
      apiVersion: `meta.k8s.io/${rep.version}`,
      metadata: { resourceVersion, ...(cont ? { continue: cont } : {}) },
      items: objects.map((o) => partialMetadata(o, rep.version)),
    };
  }
  return partialMetadata(objects[0]!, rep.version);
}

const CREATE_ON_CONNECT = new Set(['exec', 'attach', 'portforward']);

/** POST serviceaccounts/NAME/token: a TokenRequest, answered with a signed token. */
async function createToken(
  ctx: ServerContext,
  rc: RequestContext,
  info: ResourceRequest,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  if (!ctx.authn.serviceAccounts)
    throw new ApiError(
      503,
      'ServiceUnavailable',
      'this server issues no ServiceAccount tokens (it has no signing key)',
    );
  const buf = await readBody(req);
  let body: unknown;
  try {
    body = isK8sProtobuf(req.headers['content-type'])
      ? decodeTokenRequestProtobuf(buf)
      : decodeBody(buf, req.headers['content-type']);
  } catch (e) {
    if (e instanceof ProtobufError) throw badRequest(`TokenRequest: ${e.message}`);
    throw e;
  }
  const tr = (body && typeof body === 'object' ? body : {}) as KObject;
  tr.metadata ??= {};
  // The requester matters: a node may only have tokens bound to its own pods (NodeRestriction).
  const answer = await ctx.authn.serviceAccounts.request(info.namespace, info.name, tr, rc.user);
  return sendJSON(res, 201, { ...answer, apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest' });
}

async function authorize(ctx: ServerContext, rc: RequestContext, info: ResourceRequest): Promise<void> {
  const attrs: AuthzAttributes = {
    user: rc.user,
    // Opening exec/attach/portforward is `create`, whatever the method (WebSocket upgrades are GETs).
    verb: CREATE_ON_CONNECT.has(info.subresource) ? 'create' : info.verb === 'connect' ? 'get' : info.verb,
    namespace: info.resource === 'namespaces' ? '' : info.namespace,
    apiGroup: info.group,
    resource: info.resource,
    subresource: info.subresource,
    name: info.name,
  };
  const d = await ctx.authorize(attrs);
  if (!d.allowed) throw forbiddenError(attrs);
}

const manager = (req: IncomingMessage, opts: WriteOptions) =>
  opts.fieldManager || defaultManager(req.headers['user-agent']);

function dryRun(v: string | null): boolean {
  if (!v) return false;
  if (v === 'All') return true;
  throw badRequest(`dryRun: Unsupported value: "${v}": supported values: "All"`);
}

function intParam(q: URLSearchParams, name: string): number | undefined {
  const v = q.get(name);
  if (v === null || v === '') return undefined;
  const n = Number(v);
  if (!Number.isInteger(n)) throw badRequest(`${name}: Invalid value: "${v}": must be an integer`);
  return n;
}
