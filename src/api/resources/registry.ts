// Every kind the API server serves, and lookups by URL (group, version, plural) and by kind.
import { configmaps, secrets, serviceaccounts } from './config.js';
import { events, eventsV1 } from './events.js';
import { namespaces } from './namespaces.js';
import { leases, networkpolicies, services } from './networking.js';
import { nodes } from './nodes.js';
import { pods } from './pods.js';
import { limitranges, resourcequotas } from './policy.js';
import { clusterrolebindings, clusterroles, rolebindings, roles } from './rbac.js';
import {
  localsubjectaccessreviews,
  selfsubjectaccessreviews,
  selfsubjectreviews,
  selfsubjectrulesreviews,
  subjectaccessreviews,
} from './reviews.js';
import type { ResourceDef } from './types.js';

export const RESOURCES: ResourceDef[] = [
  pods,
  namespaces,
  configmaps,
  secrets,
  serviceaccounts,
  events,
  nodes,
  resourcequotas,
  limitranges,
  services,
  roles,
  rolebindings,
  clusterroles,
  clusterrolebindings,
  networkpolicies,
  leases,
  eventsV1,
  selfsubjectaccessreviews,
  selfsubjectrulesreviews,
  subjectaccessreviews,
  localsubjectaccessreviews,
  selfsubjectreviews,
];

/** Named groups in discovery preference order, each with its versions (preferred first). */
export function groupVersions(): Array<{ group: string; versions: string[] }> {
  const out: Array<{ group: string; versions: string[] }> = [];
  for (const r of RESOURCES) {
    let g = out.find((x) => x.group === r.group);
    if (!g) out.push((g = { group: r.group, versions: [] }));
    if (!g.versions.includes(r.version)) g.versions.push(r.version);
  }
  return out;
}

export function resourcesIn(group: string, version: string): ResourceDef[] {
  return RESOURCES.filter((r) => r.group === group && r.version === version);
}

export function findResource(group: string, version: string, plural: string): ResourceDef | undefined {
  return RESOURCES.find((r) => r.group === group && r.version === version && r.plural === plural);
}

export const storedResources = () => RESOURCES.filter((r) => !r.virtual);
