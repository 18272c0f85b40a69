// Discovery documents: legacy (/api, /apis, APIGroup, APIResourceList) and aggregated
// (apidiscovery.k8s.io/v2), built from the resource registry.
import { groupVersions, resourcesIn, RESOURCES } from '../resources/registry.js';
import { STANDARD_VERBS, type ResourceDef } from '../resources/types.js';

const verbsOf = (r: ResourceDef) => r.verbs ?? STANDARD_VERBS;

export function apiVersions(serverAddress: string) {
  return {
    kind: 'APIVersions',
    versions: ['v1'],
    serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }],
  };
}

function apiGroup(group: string, versions: string[]) {
  const vs = versions.map((v) => ({ groupVersion: `${group}/${v}`, version: v }));
  return { name: group, versions: vs, preferredVersion: vs[0] };
}

export function apiGroupList() {
  return {
    kind: 'APIGroupList',
    apiVersion: 'v1',
    groups: groupVersions()
      .filter((g) => g.group)
      .map((g) => apiGroup(g.group, g.versions)),
  };
}

export function apiGroupDoc(group: string) {
  const g = groupVersions().find((x) => x.group === group);
  return g ? { kind: 'APIGroup', apiVersion: 'v1', ...apiGroup(group, g.versions) } : undefined;
}

export function apiResourceList(group: string, version: string) {
  const defs = resourcesIn(group, version);
  if (!defs.length) return undefined;
  const resources: unknown[] = [];
  for (const r of defs) {
    resources.push({
      name: r.plural,
      singularName: r.singular,
      namespaced: r.namespaced,
      kind: r.kind,
      verbs: verbsOf(r),
      ...(r.shortNames ? { shortNames: r.shortNames } : {}),
      ...(r.categories ? { categories: r.categories } : {}),
      ...(r.virtual ? {} : { storageVersionHash: hashOf(`${group}/${version}/${r.kind}`) }),
    });
    for (const [sub, s] of Object.entries(r.subresources ?? {})) {
      resources.push({
        name: `${r.plural}/${sub}`,
        singularName: '',
        namespaced: r.namespaced,
        ...(s.group !== undefined ? { group: s.group, version: s.version } : {}),
        kind: s.kind,
        verbs: s.verbs,
      });
    }
  }
  return {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion: group ? `${group}/${version}` : version,
    resources,
  };
}

function hashOf(s: string): string {
  let h = 0;
  for (const c of s) h = (h * 31 + c.charCodeAt(0)) | 0;
  return Buffer.from(String(h >>> 0))
    .toString('base64')
    .slice(0, 11);
}

function discoveryResource(r: ResourceDef) {
  return {
    resource: r.plural,
    responseKind: { group: r.group, version: r.version, kind: r.kind },
    scope: r.namespaced ? 'Namespaced' : 'Cluster',
    singularResource: r.singular,
    verbs: verbsOf(r),
    ...(r.shortNames ? { shortNames: r.shortNames } : {}),
    ...(r.categories ? { categories: r.categories } : {}),
    ...(r.subresources
      ? {
          subresources: Object.entries(r.subresources).map(([sub, s]) => ({
            subresource: sub,
            responseKind: { group: s.group ?? r.group, version: s.version ?? r.version, kind: s.kind },
            verbs: s.verbs,
          })),
        }
      : {}),
  };
}

/** Aggregated discovery for the core group (`/api`) or the named groups (`/apis`). */
export function aggregated(core: boolean, contentType: string) {
  const apiVersion = contentType.includes('v=v2beta1')
    ? 'apidiscovery.k8s.io/v2beta1'
    : 'apidiscovery.k8s.io/v2';
  const items = groupVersions()
    .filter((g) => (g.group === '') === core)
    .map((g) => ({
      metadata: { name: g.group, creationTimestamp: null },
      versions: g.versions.map((v) => ({
        version: v,
        freshness: 'Current',
        resources: RESOURCES.filter((r) => r.group === g.group && r.version === v).map(discoveryResource),
      })),
    }));
  return { kind: 'APIGroupDiscoveryList', apiVersion, metadata: {}, items };
}
