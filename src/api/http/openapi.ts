// OpenAPI v3: a root listing every group-version and one document per group-version. Each kind
// gets its schema (from resources/*-schema) and paths whose PATCH advertises fieldValidation, so
// kubectl leaves validation to the server (kubectl-surface.md §3) and `kubectl explain` works.
import { createHash } from 'node:crypto';
import { groupVersions, resourcesIn } from '../resources/registry.js';
import { objectMeta, obj, toOpenAPI } from '../resources/schema.js';
import type { ResourceDef } from '../resources/types.js';

const gvPath = (group: string, version: string) => (group ? `apis/${group}/${version}` : `api/${version}`);

/** io.k8s.api.core.v1.Pod, as Kubernetes names its definitions. */
function definitionName(r: ResourceDef): string {
  const pkg =
    r.group === ''
      ? 'core'
      : r.group
          .replace(/\.k8s\.io$/, '')
          .replace(/\.authorization$/, '')
          .split('.')[0]!;
  return `io.k8s.api.${pkg}.${r.version}.${r.kind}`;
}

function operation(r: ResourceDef, verb: string, extraParams: string[] = []) {
  const gvk = { group: r.group, version: r.version, kind: r.kind };
  return {
    operationId: `${verb}${r.kind}`,
    'x-kubernetes-action': verb,
    'x-kubernetes-group-version-kind': gvk,
    parameters: ['dryRun', 'fieldManager', ...extraParams].map((name) => ({
      name,
      in: 'query',
      schema: { type: name === 'force' ? 'boolean' : 'string' },
    })),
    responses: { '200': { description: 'OK' } },
  };
}

function schemaFor(r: ResourceDef) {
  const s = toOpenAPI(obj({ apiVersion: 'string', kind: 'string', metadata: objectMeta, ...r.schema }));
  const props = s.properties as Record<string, Record<string, unknown>>;
  props.apiVersion!.description =
    'APIVersion defines the versioned schema of this representation of an object.';
  props.kind!.description = 'Kind is a string value representing the REST resource this object represents.';
  return {
    ...s,
    description: r.description ?? `${r.kind} (Corral)`,
    'x-kubernetes-group-version-kind': [{ group: r.group, version: r.version, kind: r.kind }],
  };
}

export function groupVersionDocument(group: string, version: string) {
  const defs = resourcesIn(group, version);
  if (!defs.length) return undefined;
  const paths: Record<string, unknown> = {};
  const schemas: Record<string, unknown> = {};
  const prefix = `/${gvPath(group, version)}`;
  for (const r of defs) {
    const ref = { $ref: `#/components/schemas/${definitionName(r)}` };
    schemas[definitionName(r)] = schemaFor(r);
    const base = r.namespaced ? `${prefix}/namespaces/{namespace}/${r.plural}` : `${prefix}/${r.plural}`;
    const body = { content: { 'application/json': { schema: ref } } };
    paths[base] = { post: { ...operation(r, 'post', ['fieldValidation']), requestBody: body } };
    if (r.virtual) continue;
    paths[base] = { ...(paths[base] as object), get: operation(r, 'list') };
    paths[`${base}/{name}`] = {
      get: {
        ...operation(r, 'get'),
        responses: { '200': { description: 'OK', content: { 'application/json': { schema: ref } } } },
      },
      put: { ...operation(r, 'put', ['fieldValidation']), requestBody: body },
      delete: operation(r, 'delete'),
      // No strategic-merge-patch here: kubectl then uses its compiled-in types for it (§3).
      patch: {
        ...operation(r, 'patch', ['fieldValidation', 'force']),
        requestBody: {
          content: {
            'application/json-patch+json': { schema: { type: 'object' } },
            'application/merge-patch+json': { schema: { type: 'object' } },
            'application/apply-patch+yaml': { schema: { type: 'object' } },
          },
        },
      },
    };
  }
  return {
    openapi: '3.0.0',
    info: { title: 'Kubernetes', version: 'v1.32.4' },
    paths,
    components: { schemas },
  };
}

let rootCache: Record<string, unknown> | undefined;

export function openapiRoot() {
  if (rootCache) return rootCache;
  const paths: Record<string, unknown> = {};
  for (const g of groupVersions()) {
    for (const v of g.versions) {
      const doc = JSON.stringify(groupVersionDocument(g.group, v));
      const hash = createHash('sha512').update(doc).digest('hex').slice(0, 64).toUpperCase();
      paths[gvPath(g.group, v)] = { serverRelativeURL: `/openapi/v3/${gvPath(g.group, v)}?hash=${hash}` };
    }
  }
  return (rootCache = { paths });
}
