// Pod subresources handled by the API server itself (binding, eviction) and the ones that need
// the node agent (log, exec, attach, portforward), which answer 503 until it is connected.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApiError, badRequest, conflict } from '../errors.js';
import type { ResourceDef } from '../resources/types.js';
import { decodeBody, readBody } from './body.js';
import type { RequestContext, ServerContext } from './context.js';
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
  if (POD_CONNECT_SUBRESOURCES.has(sub)) {
    throw new ApiError(
      503,
      'ServiceUnavailable',
      `pods/${sub} for pod "${pod.metadata.name}" is not available: no node agent is connected to this API server yet`,
    );
  }
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
    await store.update(
      info.namespace,
      info.name,
      (cur) => {
        const spec = (cur.spec ?? {}) as { nodeName?: string };
        if (cur.metadata.deletionTimestamp)
          throw conflict(
            { group: '', plural: 'pods' },
            info.name,
            'pod is being deleted, cannot be assigned to a host',
          );
        if (spec.nodeName)
          throw conflict(
            { group: '', plural: 'pods' },
            info.name,
            `pod ${info.name} is already assigned to node "${spec.nodeName}"`,
          );
        cur.spec = { ...spec, nodeName: target.name };
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
      { dryRun, user: rc.user, unrestricted: true },
    );
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
