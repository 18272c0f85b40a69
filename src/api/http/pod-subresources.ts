// Pod subresources handled by the API server itself (binding, eviction) and the ones proxied to
// the node agent (log, exec, attach: pod-connect.ts; portforward: pod-portforward.ts).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApiError, badRequest, conflict } from '../errors.js';
import type { Store } from '../registry/store.js';
import type { ResourceDef, UserInfo } from '../resources/types.js';
import { decodeBody, readBody } from './body.js';
import type { RequestContext, ServerContext } from './context.js';
import { proxyExec, proxyLog } from './pod-connect.js';
import { proxyPortForward } from './pod-portforward.js';
import type { ResourceRequest } from './request-info.js';
import { sendJSON, successStatus } from './respond.js';

export const POD_CONNECT_SUBRESOURCES = new Set(['log', 'exec', 'attach', 'portforward']);

export async function handlePodSubresource(
  ctx: ServerContext,
  rc: RequestContext,
  def: ResourceDef,
  info: ResourceRequest,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const store = ctx.stores.get(def)!;
  const pod = await store.get(info.namespace, info.name);
  const sub = info.subresource;
  if (sub === 'log') {
    if (info.verb !== 'get')
      throw new ApiError(405, 'MethodNotAllowed', `${info.verb} is not supported on pods/log`);
    return proxyLog(ctx, pod, rc.url.searchParams, req, res);
  }
  if (sub === 'exec' || sub === 'attach') return proxyExec(ctx, pod, sub, rc.url.searchParams, req);
  if (sub === 'portforward') return proxyPortForward(ctx, pod, req);
  if (info.verb !== 'create')
    throw new ApiError(405, 'MethodNotAllowed', `${info.verb} is not supported on pods/${sub}`);
  const body = (decodeBody(await readBody(req), req.headers['content-type']) ?? {}) as Record<
    string,
    unknown
  >;
  const dryRun = rc.url.searchParams.get('dryRun') === 'All';
  if (sub === 'binding') {
    const target = (body.target ?? {}) as { name?: string; kind?: string };
    if (!target.name) throw badRequest('Binding target.name is required');
    await bindPod(store, info.namespace, info.name, target.name, { dryRun, user: rc.user });
    return sendJSON(res, 201, successStatus({}));
  }
  // Eviction: a delete with the eviction's DeleteOptions (no PodDisruptionBudgets yet).
  const opts = (body.deleteOptions ?? {}) as {
    gracePeriodSeconds?: number;
    preconditions?: { uid?: string; resourceVersion?: string };
  };
  await store.delete(info.namespace, info.name, { ...opts, dryRun, user: rc.user });
  return sendJSON(res, 201, successStatus({}));
}

/** Assign a pod to a node (the binding subresource; the scheduler calls it too). */
export async function bindPod(
  store: Store,
  namespace: string,
  name: string,
  nodeName: string,
  opts: { dryRun?: boolean; user?: UserInfo } = {},
): Promise<void> {
  await store.update(
    namespace,
    name,
    (cur) => {
      const spec = (cur.spec ?? {}) as { nodeName?: string };
      if (cur.metadata.deletionTimestamp)
        throw conflict(
          { group: '', plural: 'pods' },
          name,
          'pod is being deleted, cannot be assigned to a host',
        );
      if (spec.nodeName)
        throw conflict(
          { group: '', plural: 'pods' },
          name,
          `pod ${name} is already assigned to node "${spec.nodeName}"`,
        );
      cur.spec = { ...spec, nodeName };
      const st = (cur.status ?? {}) as { conditions?: unknown[] };
      cur.status = {
        ...st,
        conditions: [
          ...(st.conditions ?? []).filter((c) => (c as { type?: string }).type !== 'PodScheduled'),
          {
            type: 'PodScheduled',
            status: 'True',
            lastProbeTime: null,
            lastTransitionTime: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
          },
        ],
      };
      delete cur.metadata.resourceVersion;
      return cur;
    },
    { ...opts, unrestricted: true },
  );
}
